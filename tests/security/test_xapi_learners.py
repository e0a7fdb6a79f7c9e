"""A learner, signed in or with a launched module's key, speaks to the LRS only as themselves: a malformed
actor is a 400, a group with someone else in it is refused, and they void only statements they made."""

from __future__ import annotations

import pytest

from conftest import PUBLIC_URL
from lms.db import get_db
from lms.services.learning import authority
from lrs_helpers import ACTOR, V, new_id, statement
from xapi import credentials
from xapi.store import store_statements

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
LEARNER_SCOPES = ["statements/write", "statements/read/mine", "state"]


@pytest.fixture
def learner_agent(users) -> dict:
    return {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": users["learner"].actor_id}}


@pytest.fixture(params=["session", "launch key"])
def as_learner(request, app, client, auth, learner_agent):
    """Post statements to the LRS as the learner: signed in (the cookie), or with a key acting only as them."""
    headers = dict(V)
    if request.param == "session":
        auth.login("learner")
    else:
        with app.app_context():
            credential, secret = credentials.create_credential(get_db(), "Launch", LEARNER_SCOPES,
                                                               agent=learner_agent)
            get_db().commit()
        headers["Authorization"] = credentials.token(credential.key, secret)
    return lambda body: client.post("/xapi/statements", json=body, headers=headers)


def void(target: str, actor: dict) -> dict:
    return {"actor": actor, "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": target}}


def recorded_by_the_lms(app, learner_agent, verb="completed") -> str:
    """A statement the LMS recorded about the learner under its own authority (a completion, a graded quiz)."""
    sid = new_id()
    with app.app_context():
        store_statements(get_db(), [statement(verb, id=sid, actor=learner_agent,
                                              result={"completion": True, "success": True})],
                         authority(PUBLIC_URL))
        get_db().commit()
    return sid


def is_voided(lrs, sid: str) -> bool:
    return lrs.get("statements", params={"voidedStatementId": sid}).status_code == 200


@pytest.mark.parametrize("actor, reason", [
    ({"account": 1}, "actor.account must be a JSON object"),
    ({"member": 5}, "actor.member is not a property of this object"),
    ({"objectType": "Group", "member": 5}, "actor.member must be a list of Agents"),
])
def test_a_learner_posting_a_malformed_actor_gets_a_400(as_learner, actor, reason):
    response = as_learner(statement(actor=actor))
    assert response.status_code == 400 and reason in response.get_json()["error"]["message"]


def test_a_learner_voids_what_they_sent_but_not_what_the_lms_recorded_about_them(app, lrs, as_learner,
                                                                                 learner_agent):
    [own] = as_learner(statement(id=new_id(), actor=learner_agent)).get_json()
    assert as_learner(void(own, learner_agent)).status_code == 200
    assert is_voided(lrs, own)
    completed = recorded_by_the_lms(app, learner_agent)
    refused = as_learner(void(completed, learner_agent))
    assert refused.status_code == 403
    assert "may void only statements they sent themselves" in refused.get_json()["error"]["message"]
    assert not is_voided(lrs, completed)


def test_a_learner_cannot_void_a_statement_about_them_sent_by_another_client(lrs, as_learner, learner_agent):
    [sid] = lrs.send(statement("passed", actor=learner_agent))  # an LRS client with its own key
    assert as_learner(void(sid, learner_agent)).status_code == 403
    assert not is_voided(lrs, sid)


def test_a_learner_cannot_void_someone_elses_statement(lrs, as_learner, learner_agent):
    [sid] = lrs.send(statement(actor=ACTOR))
    assert as_learner(void(sid, learner_agent)).status_code == 403
    assert not is_voided(lrs, sid)


def test_resending_what_the_lms_recorded_does_not_make_it_the_learners_to_void(app, lrs, as_learner,
                                                                                learner_agent):
    completed = recorded_by_the_lms(app, learner_agent)
    copy = lrs.get("statements", params={"statementId": completed}).get_json()
    copy = {key: value for key, value in copy.items() if key not in ("authority", "stored", "version")}
    response = as_learner([copy, void(completed, learner_agent)])
    assert response.status_code == 403
    assert not is_voided(lrs, completed)


def test_a_learner_cannot_void_a_statement_the_store_does_not_hold(as_learner, learner_agent):
    assert as_learner(void(new_id(), learner_agent)).status_code == 403


def test_a_group_actor_holding_another_learner_is_refused(lrs, as_learner, learner_agent):
    group = {"objectType": "Group", "account": learner_agent["account"],
             "member": [learner_agent, {"objectType": "Agent", "account": ACTOR["account"]}]}
    response = as_learner(statement("passed", actor=group))
    assert response.status_code == 403
    assert "a group that holds other people" in response.get_json()["error"]["message"]
    assert lrs.query() == []
