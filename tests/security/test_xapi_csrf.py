"""The alternate request syntax can be sent by any site's form, its version "header" included: with only
the learner's session cookie it is refused, while LRS clients with credentials keep using it."""

from __future__ import annotations

import json

import pytest

from conftest import PUBLIC_URL
from lrs_helpers import V, new_id, statement
from xapi import credentials

FORM = "application/x-www-form-urlencoded"
ACTIVITY = "https://academy.example.org/courses/crisis/modules/m1"


@pytest.fixture
def me(users) -> dict:
    return {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": users["learner"].actor_id}}


def cross_site_form(client, path: str, fields: dict):
    """What a page on another site posts with the learner's cookie: a form, no header of its own."""
    return client.post(path, data=fields, content_type=FORM, headers={"Origin": "https://evil.example"})


def test_a_cross_site_form_cannot_store_a_statement_with_the_session_cookie(client, auth, lrs, me):
    auth.login("learner")
    sid = new_id()
    response = cross_site_form(client, "/xapi/statements?method=PUT", {
        "X-Experience-API-Version": "1.0.3", "statementId": sid,
        "content": json.dumps(statement("passed", actor=me, result={"score": {"scaled": 1.0}}))})
    assert response.status_code == 403
    assert "alternate request syntax" in response.get_json()["error"]["message"]
    assert lrs.get("statements", params={"statementId": sid}).status_code == 404


def test_a_cross_site_form_cannot_delete_the_learners_state(client, auth, me):
    auth.login("learner")
    params = {"activityId": ACTIVITY, "agent": json.dumps(me), "stateId": "bookmark"}
    assert client.put("/xapi/activities/state", query_string=params, json={"page": "p3"}, headers=V).status_code == 204
    response = cross_site_form(client, "/xapi/activities/state?method=DELETE",
                               params | {"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 403
    kept = client.get("/xapi/activities/state", query_string=params, headers=V)
    assert kept.get_json() == {"page": "p3"}


@pytest.mark.parametrize("where", ["header", "form field"])
def test_clients_with_credentials_still_use_the_alternate_syntax(client, auth, key, lrs, where):
    auth.login("learner")  # a cookie as well changes nothing: the credentials decide
    sid = new_id()
    fields = {"X-Experience-API-Version": "1.0.3", "statementId": sid, "content": json.dumps(statement())}
    headers = {}
    if where == "header":
        headers["Authorization"] = credentials.token(*key)
    else:
        fields["Authorization"] = credentials.token(*key)
    response = client.post("/xapi/statements?method=PUT", data=fields, content_type=FORM, headers=headers)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert lrs.get("statements", params={"statementId": sid}).get_json()["id"] == sid
