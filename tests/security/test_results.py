"""Results only the platform can vouch for: what a learner's device says about a quiz or a module earns
nothing; the LMS grades the answers itself, counts attempts from its own grading, and reports only that."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from conftest import PUBLIC_URL
from lms.services import learning
from xapi.models import StatementRecord
from xapi.statements import VERBS
from xapi.store import agent_key

COURSE = "/courses/crisis-management"
MODULE = f"{COURSE}/modules/consular-crisis-response"
MODULE_IRI = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
PAGES = ["roles-in-a-consular-crisis", "registration-of-nationals-and-contingency-plans",
         "communicating-with-families"]
XAPI = {"X-Experience-API-Version": "1.0.3"}
#: What a device sends for each question of the sample quiz: right answers, and four of seven right (57%).
RIGHT = {"crisis-lead": "1", "registration-value": "0[,]1", "registration-compulsory": "1", "check-messages": "2",
         "wardens": "Warden", "confirm-death": "1", "plan-testing": "1"}
WRONG = RIGHT | {"crisis-lead": "\u00b2", "registration-value": "0", "check-messages": "4,5"}  # ² reads as no option
LMS = agent_key(learning.authority(PUBLIC_URL))


def player_data(client, url: str) -> dict:
    html = client.get(url).get_data(as_text=True)
    return json.loads(html.split('<script type="application/json" id="xapi">')[1].split("</script>")[0])


def made(template: dict, result: dict | None = None) -> dict:
    """A statement as the player makes it from the page's template: its own id, and the result it adds."""
    return dict(template, id=str(uuid.uuid4()), **({"result": result} if result else {}))


def sender(client, auth, how: str) -> dict:
    """Log the learner in; return the headers that send statements as them: their session, or a launch key."""
    auth.login("learner")
    if how == "session":
        return XAPI
    launched = urlsplit(client.get(f"{MODULE}/launch").headers["Location"])
    fetch = urlsplit(parse_qs(launched.query)["fetch"][0])
    token = client.post(f"{fetch.path}?{fetch.query}").get_json()["auth-token"]
    return {**XAPI, "Authorization": token}


def send(client, headers: dict, statements: list[dict]) -> None:
    response = client.post("/xapi/statements", json=statements, headers=headers)
    assert response.status_code == 200, response.get_json()


def page_views(client) -> list[dict]:
    return [made(s) for page in PAGES for s in player_data(client, f"{MODULE}/pages/{page}")["statements"]]


def device_attempt(client, answers: dict[str, str], verb: str = "passed") -> list[dict]:
    """The statements the player sends for a quiz graded on the device: each answer, then its own outcome."""
    quiz = player_data(client, f"{MODULE}/quiz")["quiz"]
    sent = [made(q["statement"], {"response": answers[q["id"]], "success": True}) for q in quiz["questions"]]
    return sent + [claim(quiz, verb)]


def claim(quiz: dict, verb: str) -> dict:
    """The outcome a device says it graded: 7 of 7."""
    return made(quiz[verb], {"score": {"raw": 7, "min": 0, "max": 7, "scaled": 1.0}, "success": True,
                             "completion": True})


def outcomes(db) -> list[tuple[str, str, dict]]:
    """The quiz outcomes stored: (verb, authority key, result), in the order they were stored."""
    db.expire_all()
    rows = db.scalars(select(StatementRecord).where(StatementRecord.object_id == f"{MODULE_IRI}/quiz")
                      .order_by(StatementRecord.seq))
    return [(row.verb_id.rsplit("/", 1)[1], row.authority_key, json.loads(row.data).get("result", {}))
            for row in rows]


def report_row(client, auth) -> list[str]:
    """The sample module's row of the M&E report: module, enrolled, started, completed, mean score."""
    auth.logout()
    auth.login("analyst")
    client.application.config["REPORTS_MIN_GROUP"] = 1  # one learner here: show the figures of a group of one
    html = client.get("/reports/crisis-management/").get_data(as_text=True)
    row = re.search(r'<tr data-module="consular-crisis-response">(.*?)</tr>', html, re.S)
    return re.findall(r"<td>(.*?)</td>", row[1], re.S)


@pytest.mark.parametrize("how", ["session", "key"])
def test_a_pass_and_a_completion_the_learner_claims_earn_nothing(client, auth, enrolled, db, how):
    headers = sender(client, auth, how)
    forged = claim(player_data(client, f"{MODULE}/quiz")["quiz"], "passed")  # at 100%, with no answer at all
    completed = made(forged, {"completion": True, "success": True})
    completed.update(verb={"id": VERBS["completed"]}, object={"id": MODULE_IRI, "objectType": "Activity"})
    send(client, headers, page_views(client) + [forged, completed])

    assert [verb for verb, _, _ in outcomes(db)] == ["passed"]  # the claim is kept, as what the device said
    assert outcomes(db)[0][1] != LMS
    overview = client.get(f"{MODULE}/").get_data(as_text=True)
    assert overview.count("· read") == 3  # the pages read count: that is what reading can show
    assert "You have completed this module." not in overview
    assert "best score" not in client.get(f"{COURSE}/").get_data(as_text=True)
    assert "Attempts left: 3" in client.get(f"{MODULE}/quiz").get_data(as_text=True)
    assert report_row(client, auth)[1:5] == ["1", "1", "0", "—"]  # enrolled, started, completed, no score


@pytest.mark.parametrize("how", ["session", "key"])
def test_the_answers_a_device_sends_are_graded_by_the_server(client, auth, enrolled, db, how):
    headers = sender(client, auth, how)
    send(client, headers, page_views(client))
    send(client, headers, device_attempt(client, WRONG, "passed"))  # the device says passed; four of seven are right
    device, server = outcomes(db)
    assert device[0] == "passed" and device[1] != LMS
    assert server[:2] == ("failed", LMS)
    assert server[2]["score"] == {"raw": 4, "min": 0, "max": 7, "scaled": 0.5714} and server[2]["success"] is False
    assert "You have completed this module." not in client.get(f"{MODULE}/").get_data(as_text=True)

    # The answers come in two batches, as from an outbox that held more than one: graded once the last arrives.
    attempt = device_attempt(client, RIGHT, "passed")
    send(client, headers, attempt[:3])
    assert len(outcomes(db)) == 2
    send(client, headers, attempt[3:])
    assert [(verb, key == LMS) for verb, key, _ in outcomes(db)[2:]] == [("passed", False), ("passed", True)]
    assert outcomes(db)[-1][2]["score"] == {"raw": 7, "min": 0, "max": 7, "scaled": 1.0}
    assert "You have completed this module." in client.get(f"{MODULE}/").get_data(as_text=True)
    # Passed with one of three attempts left: the page says so, and offers the last as a choice.
    page = client.get(f"{MODULE}/quiz").get_data(as_text=True)
    assert "You have passed this quiz. You may answer it again if you wish." in page
    completed, score = report_row(client, auth)[3:5]
    assert completed == "1" and score.startswith("100.0%")


def test_answers_beyond_the_attempts_allowed_are_kept_and_not_graded(client, auth, enrolled, db):
    headers = sender(client, auth, "session")
    for _ in range(4):  # the sample quiz allows three
        send(client, headers, device_attempt(client, RIGHT))
    assert [verb for verb, key, _ in outcomes(db) if key == LMS] == ["passed"] * 3
    page = client.get(f"{MODULE}/quiz").get_data(as_text=True)
    assert "You have passed this quiz." in page and "answer it again" not in page
    assert '<form method="post" class="quiz">' not in page  # no attempt is left to offer


def test_voiding_a_failed_gives_no_attempt_back(client, auth, enrolled, db):
    auth.login("learner")
    attempt = device_attempt(client, WRONG, "failed")
    send(client, XAPI, attempt)
    assert "Attempts left: 2" in client.get(f"{MODULE}/quiz").get_data(as_text=True)

    db.expire_all()
    server_failed = db.scalar(select(StatementRecord.id).where(StatementRecord.authority_key == LMS,
                                                               StatementRecord.verb_id == VERBS["failed"]))
    for target in (attempt[-1]["id"], server_failed):  # the device's own "failed", then the server's if it may
        voiding = {"actor": attempt[-1]["actor"], "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                   "object": {"objectType": "StatementRef", "id": target}}
        client.post("/xapi/statements", json=voiding, headers=XAPI)
        assert "Attempts left: 2" in client.get(f"{MODULE}/quiz").get_data(as_text=True)
    learner = learning.Learner(actor_id=enrolled.user.actor_id, registration=enrolled.registration,
                               language="en", home_page=PUBLIC_URL)
    module = enrolled.course.current.model.module("consular-crisis-response")
    assert learning.progress(db, learner, module).attempts == 1
