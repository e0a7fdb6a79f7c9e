"""HTTP around the resources: versions, HEAD, CORS, the alternate request syntax, limits, sessions."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from lrs_helpers import ACTOR, V, new_id, statement

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("version, status", [("1.0.3", 200), ("1.0", 200), ("1.0.0", 200), ("0.95", 400),
                                             ("2.0.0", 400), ("1.0.x", 400)])
def test_versions(lrs, version, status):
    response = lrs.get("statements", headers={"X-Experience-API-Version": version})
    assert response.status_code == status
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_head_answers_like_get_without_a_body(lrs):
    [sid] = lrs.send(statement())
    response = lrs.request("HEAD", "statements", params={"statementId": sid})
    assert response.status_code == 200 and response.data == b""
    assert int(response.headers["Content-Length"]) > 0
    assert response.headers["X-Experience-API-Consistent-Through"]


def test_cors_lets_browser_activity_providers_in(client, lrs):
    preflight = client.options("/xapi/statements", headers={
        "Origin": "https://content.example.org", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, X-Experience-API-Version, Content-Type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://content.example.org")
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "x-experience-api-version" in allowed
    response = lrs.get("statements", headers={"Origin": "https://content.example.org"})
    assert "X-Experience-API-Consistent-Through" in response.headers["Access-Control-Expose-Headers"]


def test_alternate_syntax_get_and_put(client, key):
    authorization = "Basic " + base64.b64encode(f"{key[0]}:{key[1]}".encode()).decode()
    sid = new_id()
    form = {"statementId": sid, "content": json.dumps(statement()), "Authorization": authorization,
            "X-Experience-API-Version": "1.0.3"}
    put = client.post("/xapi/statements?method=PUT", data=urlencode(form), headers=FORM)
    assert put.status_code == 204, put.get_json()
    get = client.post("/xapi/statements?method=GET", data=urlencode({
        "statementId": sid, "Authorization": authorization, "X-Experience-API-Version": "1.0.3"}), headers=FORM)
    assert get.status_code == 200 and get.get_json()["id"] == sid


@pytest.mark.parametrize("method, url, form, reason", [
    ("PUT", "/xapi/statements?method=PUT", {}, "must be sent as a POST"),
    ("POST", "/xapi/statements?method=PUT&statementId=x", {"content": "{}"}, "holds only the method"),
    ("POST", "/xapi/statements?method=PUT", {"statementId": "x"}, "form field named content"),
    ("POST", "/xapi/statements?method=PATCH", {}, "method must be one of"),
])
def test_alternate_syntax_refusals(client, key, method, url, form, reason):
    response = client.open(url, method=method, data=urlencode(form), headers=FORM | V, auth=key)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]


def test_alternate_syntax_headers_in_the_form_win(client, key):
    form = {"statementId": new_id(), "content": json.dumps(statement()), "X-Experience-API-Version": "0.8"}
    response = client.post("/xapi/statements?method=PUT", data=urlencode(form), headers=FORM | V, auth=key)
    assert response.status_code == 400 and "0.8" in response.get_json()["error"]["message"]


def test_bodies_over_the_limit_are_refused(app, lrs):
    app.extensions["xapi"]["max_body"] = 1000
    response = lrs.post("statements", json_body=statement(result={"response": "x" * 2000}))
    assert response.status_code == 413
    assert lrs.query() == []


def test_statements_need_a_json_or_multipart_body(lrs):
    response = lrs.post("statements", data=json.dumps(statement()), headers={"Content-Type": "text/plain"})
    assert response.status_code == 400


def test_a_signed_in_learner_writes_and_reads_only_their_own_statements(client, auth, users, lrs):
    lrs.send(statement())  # somebody else's
    auth.login("learner")
    me = {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/",
                                             "name": users["learner"].actor_id}}
    own = client.post("/xapi/statements", json=statement() | {"actor": me}, headers=V)
    assert own.status_code == 200
    forged = client.post("/xapi/statements", json=statement() | {"actor": ACTOR}, headers=V)
    assert forged.status_code == 403
    read = client.get("/xapi/statements", headers=V).get_json()["statements"]
    assert [s["id"] for s in read] == own.get_json()
    assert read[0]["authority"] == me  # vouched for by the learner, not by the LMS
    # Without the version header (as a cross-site form would send), nothing is stored.
    assert client.post("/xapi/statements", json=statement() | {"actor": me}).status_code == 400
    auth.logout()
    assert client.get("/xapi/statements", headers=V).status_code == 401
