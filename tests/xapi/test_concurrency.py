"""Many clients posting at once over real HTTP: every statement is stored once, and 409 means a real conflict."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from lrs_helpers import ACTOR, V, new_id, statement
from xapi import credentials, documents
from xapi.models import StatementActivity, StatementAgent, StatementRecord

CLIENTS = 8
ROUNDS = 4
BATCH = 50
# Each client names the activities it shares with the others in a language of its own: none may be lost.
LANGUAGES = ["en", "fr", "es", "ar", "ru", "pt", "de", "zh"]
SHARED = "https://academy.example.org/shared"


def post(live_server: str, key: tuple[str, str], body) -> tuple[int, object]:
    """POST statements as an xAPI client does; return the status and the decoded answer."""
    request = urllib.request.Request(
        f"{live_server}/xapi/statements", data=json.dumps(body).encode(), method="POST",
        headers=V | {"Content-Type": "application/json", "Authorization": credentials.token(*key)})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def at_once(work, clients: int) -> list:
    """Run ``work(n, start)`` in ``clients`` threads; ``start()`` waits until every thread is there."""
    barrier = threading.Barrier(clients, timeout=120)
    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(work, n, barrier.wait) for n in range(clients)]
        return [future.result() for future in futures]


def new_statement(client: int, round_: int, i: int) -> dict:
    """A statement by a new learner about a new activity, within activities every client mentions this round."""
    language = LANGUAGES[client]
    return {
        "id": new_id(),
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/",
                                                     "name": f"new-{client}-{round_}-{i}-{new_id()}"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"objectType": "Activity", "id": f"https://academy.example.org/new/{new_id()}",
                   "definition": {"name": {language: f"page {i}"}}},
        "context": {
            "instructor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/",
                                                              "name": f"trainer-{new_id()}"}},
            "contextActivities": {
                "parent": [{"id": f"{SHARED}/{round_}/modules/m{i % 5}",
                            "definition": {"name": {language: f"module {i % 5}"}}}],
                "grouping": [{"id": f"{SHARED}/{round_}", "definition": {"name": {language: "course"}}}],
            },
        },
    }


def test_eight_clients_posting_new_activities_and_agents_lose_nothing(app, db, live_server, key):
    def client(n, start):
        answers = []
        for round_ in range(ROUNDS):
            batch = [new_statement(n, round_, i) for i in range(BATCH)]
            start()  # every client sends its batch of the round at the same moment
            answers.append((batch, *post(live_server, key, batch)))
        return answers

    answers = [answer for answers in at_once(client, CLIENTS) for answer in answers]

    refused = [(status, body) for _, status, body in answers if status != 200]
    assert refused == []
    for batch, _, ids in answers:
        assert ids == [s["id"] for s in batch]
    sent = sorted(s["id"] for batch, _, _ in answers for s in batch)
    assert sorted(db.scalars(select(StatementRecord.id))) == sent
    # Each statement is found by its activity and its agents, once.
    assert db.scalar(select(func.count()).select_from(StatementActivity)
                     .where(StatementActivity.related.is_(False))) == len(sent)
    actors = db.scalar(select(func.count()).select_from(StatementAgent).where(
        StatementAgent.related.is_(False), StatementAgent.agent_key.like("account:%|new-%")))
    assert actors == len(sent)
    for round_ in range(ROUNDS):
        for iri in [f"{SHARED}/{round_}"] + [f"{SHARED}/{round_}/modules/m{m}" for m in range(5)]:
            activity = app.test_client().get("/xapi/activities", query_string={"activityId": iri}, headers=V,
                                             auth=key).get_json()
            assert sorted(activity["definition"]["name"]) == sorted(LANGUAGES), iri


ROUNDS_OF_ONE_ID = 5


@pytest.mark.parametrize("same_content", [True, False], ids=["same content", "different content"])
def test_one_statement_id_sent_by_two_clients_at_once(app, live_server, key, same_content):
    for _ in range(ROUNDS_OF_ONE_ID):
        sid = new_id()

        def client(n, start, sid=sid):
            verb = "experienced" if same_content or n == 0 else "completed"
            batch = [new_statement(n, 0, i) for i in range(BATCH - 1)] + [dict(statement(verb), id=sid)]
            start()
            return batch, *post(live_server, key, batch)

        answers = at_once(client, 2)

        statuses = sorted(status for _, status, _ in answers)
        lrs = app.test_client()
        stored = lrs.get("/xapi/statements", query_string={"statementId": sid}, headers=V, auth=key).get_json()
        if same_content:
            assert statuses == [200, 200], answers
            assert stored["verb"]["id"].endswith("/experienced")
        else:
            assert statuses == [200, 409], answers
            [(refused, _, error)] = [answer for answer in answers if answer[1] == 409]
            assert "already stored with different content" in error["error"]["message"]
            assert stored["verb"] != refused[-1]["verb"]  # what was stored first stays
            # The refused batch is stored not at all: a client may correct it and send it again.
            missing = lrs.get("/xapi/statements", query_string={"statementId": refused[0]["id"]}, headers=V,
                              auth=key)
            assert missing.status_code == 404


def deadlock() -> OperationalError:
    """What the database raises on a transaction it chose to abort to break a deadlock."""
    from psycopg.errors import DeadlockDetected

    return OperationalError("UPDATE xapi_activity SET definition=%(definition)s", {},
                            DeadlockDetected("deadlock detected"))


def test_a_request_that_loses_a_race_is_stored_on_another_try(app, lrs, monkeypatch):
    settings = app.extensions["xapi"]
    recorded, failures = settings["on_stored"], [deadlock()]

    def on_stored(session, statements):
        recorded(session, statements)  # what the LMS derives is redone with the statements
        if failures:
            raise failures.pop()

    monkeypatch.setitem(settings, "on_stored", on_stored)
    sent = statement(id=new_id(), actor=ACTOR)
    response = lrs.post("statements", json_body=[sent])
    assert response.status_code == 200, response.get_json()
    assert [s["id"] for s in lrs.query()] == [sent["id"]]


def test_a_request_that_keeps_losing_races_is_not_called_a_conflict(app, lrs, monkeypatch):
    def on_stored(session, statements):
        raise deadlock()

    monkeypatch.setitem(app.extensions["xapi"], "on_stored", on_stored)
    response = lrs.post("statements", json_body=[statement(id=new_id())])
    assert response.status_code == 503
    assert "send the request again" in response.get_json()["error"]["message"]
    assert lrs.query() == []


@pytest.mark.parametrize("method", ["put", "post"])
def test_a_state_document_first_written_by_two_requests_at_once_keeps_the_later_one(app, lrs, monkeypatch, method):
    """The second of two first writes finds no document, then meets the first one's row: it is tried again, not a 409.

    A player keeps the learner's place with a plain PUT on every page; two tabs writing it at once
    must both be answered 204, as for any later write.
    """
    params = {"activityId": "https://academy.example.org/m1", "agent": json.dumps(ACTOR), "stateId": "bookmark"}
    assert lrs.put("activities/state", params=params, json_body={"page": "p1"}).status_code == 204
    missed = [True]  # the first look-up does not see the document the other request has just stored
    real_get = documents.get

    def get(session, key):
        if missed:
            missed.pop()
            return None
        return real_get(session, key)

    monkeypatch.setattr(documents, "get", get)
    response = getattr(lrs, method)("activities/state", params=params, json_body={"page": "p2"})
    assert response.status_code == 204, response.get_json()
    assert lrs.get("activities/state", params=params).get_json() == {"page": "p2"}
