"""The LRS's HTTP interface: credentials, version header, storing and querying."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from xapi import store
from xapi.models import StatementRecord

from lrs_helpers import V, make_key, statement


def test_about_is_public(client):
    response = client.get("/xapi/about")
    assert response.status_code == 200
    assert response.get_json()["version"] == ["1.0.3"]


def test_statements_need_credentials(client):
    response = client.get("/xapi/statements", headers=V)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "credentials" in response.get_json()["error"]["message"]


def test_wrong_secret_is_refused(client, key):
    assert client.get("/xapi/statements", headers=V, auth=(key[0], "nope")).status_code == 401


def test_version_header_is_required(client, key):
    response = client.get("/xapi/statements", auth=key)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.get_json()["error"]["message"]


def test_post_then_get_by_id(client, key):
    response = client.post("/xapi/statements", json=statement(), headers=V, auth=key)
    assert response.status_code == 200
    [sid] = response.get_json()
    got = client.get(f"/xapi/statements?statementId={sid}", headers=V, auth=key)
    assert got.status_code == 200
    body = got.get_json()
    assert body["id"] == sid and body["verb"]["id"].endswith("/experienced")
    assert body["authority"]["account"]["name"] == key[0]
    assert body["stored"] and body["timestamp"]
    assert "X-Experience-API-Consistent-Through" in got.headers


def test_put_is_idempotent_and_conflicts_are_refused(client, key):
    sid = str(uuid.uuid4())
    url = f"/xapi/statements?statementId={sid}"
    assert client.put(url, json=statement(), headers=V, auth=key).status_code == 204
    assert client.put(url, json=statement(), headers=V, auth=key).status_code == 204
    conflict = client.put(url, json=statement(verb="completed"), headers=V, auth=key)
    assert conflict.status_code == 409
    stored = client.get(url, headers=V, auth=key).get_json()
    assert stored["verb"]["id"].endswith("/experienced")  # what was stored before stays


@pytest.mark.parametrize("body, reason", [
    ({"verb": {"id": "http://x/v"}, "object": {"id": "http://x/a"}}, "statement 1: statement.actor is required"),
    (statement(verb="x") | {"verb": {"id": "not an iri"}}, "verb.id must be an IRI"),
    (statement() | {"actor": {"mbox": "mailto:a@b.c", "account": {"homePage": "http://x", "name": "a"}}},
     "exactly one of"),
    (statement() | {"id": "not-a-uuid"}, "id must be a UUID"),
    ("just a string", "statement 1: statement must be a JSON object"),
])
def test_malformed_statements_get_400_and_nothing_is_stored(client, key, body, reason):
    response = client.post("/xapi/statements", json=[statement(), body], headers=V, auth=key)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]
    assert client.get("/xapi/statements", headers=V, auth=key).get_json()["statements"] == []


def test_body_that_is_not_json(client, key):
    response = client.post("/xapi/statements", data=b"{nope", headers=V | {"Content-Type": "application/json"},
                           auth=key)
    assert response.status_code == 400


def test_filters_and_paging(client, key):
    for n in range(5):
        client.post("/xapi/statements", json=statement(activity=f"https://academy.example.org/a/{n}"),
                    headers=V, auth=key)
    client.post("/xapi/statements", json=statement(verb="completed"), headers=V, auth=key)
    completed = client.get("/xapi/statements?verb=http://adlnet.gov/expapi/verbs/completed",
                           headers=V, auth=key).get_json()
    assert len(completed["statements"]) == 1 and completed["more"] == ""
    first = client.get("/xapi/statements?limit=4", headers=V, auth=key).get_json()
    assert len(first["statements"]) == 4 and first["more"].startswith("/xapi/statements?more=")
    second = client.get(first["more"], headers=V, auth=key).get_json()
    assert len(second["statements"]) == 2 and second["more"] == ""
    ids = [s["id"] for s in first["statements"] + second["statements"]]
    assert len(set(ids)) == 6
    assert client.get("/xapi/statements?more=garbage", headers=V, auth=key).status_code == 400


def test_read_only_credentials_cannot_write(app, client):
    auth = make_key(app, "all/read", name="dashboard")
    assert client.get("/xapi/statements", headers=V, auth=auth).status_code == 200
    assert client.post("/xapi/statements", json=statement(), headers=V, auth=auth).status_code == 403


def test_credentials_cli_create_list_revoke(runner, client):
    created = runner.invoke(args=["lrs-credentials", "create", "Regional LRS", "--scope", "all/read"])
    assert created.exit_code == 0, created.output
    lines = dict(line.split(": ", 1) for line in created.output.strip().splitlines())
    key, secret = lines["key"], lines["secret"]
    assert client.get("/xapi/statements", headers=V, auth=(key, secret)).status_code == 200
    listed = runner.invoke(args=["lrs-credentials", "list"])
    assert key in listed.output and secret not in listed.output and "active" in listed.output
    assert runner.invoke(args=["lrs-credentials", "revoke", key]).exit_code == 0
    assert client.get("/xapi/statements", headers=V, auth=(key, secret)).status_code == 401
    again = runner.invoke(args=["lrs-credentials", "revoke", key])
    assert again.exit_code != 0 and "no active credential" in again.output


def test_activities_under_an_iri_are_matched_literally(app, db):
    """An underscore or percent sign in an IRI is not a wildcard."""
    auth = {"objectType": "Agent", "account": {"homePage": "https://x.test/", "name": "client"}}
    store.store_statements(db, [statement(activity="https://a.test/m_1/pages/p"),
                                statement(activity="https://a.test/mX1/pages/p"),
                                statement(activity="https://a.test/m_1")], auth)
    db.commit()

    def found(condition):
        return sorted(row.object_id for row in db.scalars(select(StatementRecord).where(condition)))
    assert found(store.about_activity("https://a.test/m_1")) == ["https://a.test/m_1", "https://a.test/m_1/pages/p"]
    assert found(store.about_activity("https://a.test/m_1", include_children=False)) == ["https://a.test/m_1"]
