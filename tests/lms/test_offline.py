"""What a module hands the device to work offline: the files to save and their size, a quiz and survey to answer."""

from __future__ import annotations

import json
import math
import re
import uuid

from sqlalchemy import select

from conftest import PUBLIC_URL, csrf_token
from lms.accounts import services as accounts
from lms.services import catalog
from lms.services.learning import authority
from test_journey import PAGES
from test_activities import MIGRANTS, MIGRANTS_IRI
from test_launch import MODULE, MODULE_IRI, XAPI, fetch, launch
from lms.reports.models import CourseProgress, ModuleProgress, QuestionAnswer
from xapi.models import StatementRecord
from xapi.store import statements_stored
from xapi.statements import VERBS


def player_data(html: str) -> dict:
    return json.loads(html.split('<script type="application/json" id="xapi">')[1].split("</script>")[0])


def test_the_service_worker_has_a_stable_address_checked_on_each_visit(client):
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert '"/xapi/"' in worker.get_data(as_text=True)  # the LRS is never answered from the cache


def test_save_for_offline_lists_every_file_of_the_module_and_shows_about_what_they_weigh(client, auth, enrolled):
    auth.login("learner")
    html = client.get(f"{MODULE}/").get_data(as_text=True)
    offline = player_data(html)["offline"]
    shown = int(re.search(r"Save for offline \((\d+) kB\)", html)[1])
    assert shown == math.ceil(offline["bytes"] / 1000)
    urls = offline["urls"]
    assert {f"{MODULE}/pages/{p}" for p in PAGES} | {f"{MODULE}/", f"{MODULE}/quiz"} <= set(urls)
    assert any("/assets/images/" in u for u in urls) and any(u.startswith("/static/player.js?v=") for u in urls)
    downloaded = 0
    for url in urls:
        answer = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, url
        downloaded += len(answer.data)
    assert downloaded / 2 <= offline["bytes"] <= downloaded * 2  # "about": the same order as what is fetched


def read_on_device(client, pages=PAGES) -> list[dict]:
    """The statements a device sends as the signed-in learner reads the module's pages."""
    return [dict(s, id=str(uuid.uuid4())) for page in pages
            for s in player_data(client.get(f"{MODULE}/pages/{page}").get_data(as_text=True))["statements"]]


def quiz_on_device(client) -> tuple[dict, list[dict]]:
    """The module's quiz as the page hands it to the device, and what the device sends as the learner answers
    every question right and claims the pass."""
    quiz = player_data(client.get(f"{MODULE}/quiz").get_data(as_text=True))["quiz"]

    def right(key: dict) -> str:  # the answer the key calls right, as the device sends it
        if "correct" in key:
            return "[,]".join(map(str, key["correct"]))
        return key["answers"][0] if "answers" in key else f"{key['number']:g}"

    made = [dict(q["statement"], id=str(uuid.uuid4()), result={"response": right(q), "success": True})
            for q in quiz["questions"]]
    made.append(dict(quiz["passed"], id=str(uuid.uuid4()),
                     result={"score": {"raw": 7, "min": 0, "max": 7, "scaled": 1}, "success": True,
                             "completion": True}))
    return quiz, made


def completions(db, actor_name: str | None = None) -> list[dict]:
    """The module's completions stored, as statements (of one learner's account, if named)."""
    db.expire_all()
    rows = db.scalars(select(StatementRecord).where(StatementRecord.object_id == MODULE_IRI,
                                                    StatementRecord.verb_id == VERBS["completed"]))
    found = [json.loads(row.data) for row in rows]
    return [s for s in found if actor_name is None or s["actor"]["account"]["name"] == actor_name]


def test_a_quiz_answered_on_the_device_is_graded_again_by_the_server(client, auth, enrolled, db):
    """What a device grades from the page's answer key, the server grades the same; only its own grading counts."""
    auth.login("learner")
    token = fetch(client, launch(client)["fetch"]).get_json()["auth-token"]
    for page in PAGES:
        client.post("/xapi/statements", json=read_on_device(client, [page]),
                    headers={**XAPI, "Authorization": token})
    quiz, made = quiz_on_device(client)
    keys = {q["id"]: q for q in quiz["questions"]}
    assert keys["crisis-lead"]["correct"] == [1] and keys["registration-value"]["correct"] == [0, 1]
    assert keys["check-messages"]["number"] == 2 and keys["wardens"]["answers"] == ["warden", "wardens"]
    heard = []

    def hear(_engine, session, records, voided):
        heard.append([record["verb"]["id"] for record in records])

    statements_stored.connect(hear)
    try:
        assert client.post("/xapi/statements", json=made, headers={**XAPI, "Authorization": token}).status_code == 200
    finally:
        statements_stored.disconnect(hear)
    # What listens to the store (the M&E projections) hears the device's statements and what the server derived
    # from them (its grading, the module's completion) at once.
    assert len(heard) == 1 and heard[0].count(VERBS["answered"]) == len(quiz["questions"])
    assert heard[0].count(VERBS["passed"]) == 2 and VERBS["completed"] in heard[0]
    db.expire_all()
    kept = db.scalar(select(ModuleProgress).where(ModuleProgress.module == MODULE_IRI.rsplit("/", 1)[1]))
    assert kept.completed is not None and kept.best_score == 1.0
    graded = db.scalars(select(StatementRecord).where(StatementRecord.object_id == f"{MODULE_IRI}/quiz")
                        .order_by(StatementRecord.seq)).all()
    assert [row.verb_id for row in graded] == [VERBS["passed"]] * 2  # the device's, then the server's
    assert json.loads(graded[1].data)["authority"] == authority(PUBLIC_URL)
    assert json.loads(graded[1].data)["result"]["score"] == {"raw": 7, "min": 0, "max": 7, "scaled": 1.0}
    completed = db.scalars(select(StatementRecord).where(StatementRecord.object_id == MODULE_IRI,
                                                         StatementRecord.verb_id == VERBS["completed"])).all()
    assert len(completed) == 1 and len(completions(db)) == 1
    # What the server derived is stored together, in the order it was decided: its grading, then the completion.
    assert (completed[0].seq, completed[0].stored) == (graded[1].seq + 1, graded[1].stored)
    result = client.get(f"{MODULE}/").get_data(as_text=True)
    assert "You have completed this module." in result


def test_one_batch_from_a_relay_grades_and_completes_each_learner_it_holds(client, auth, enrolled, course, db, lrs):
    """A relay (a sync service, an LMS forwarding its learners' records) sends several learners' modules in one
    batch: each learner's quiz is graded and module completed, once, under the LMS's authority."""
    other = accounts.create_user(db, "second-learner", "second-learner-pw", "learner", display_name="Second")
    catalog.enrol(db, other, course)
    db.commit()
    names, batch = [enrolled.user.actor_id, other.actor_id], []
    for username, password in (("learner", None), ("second-learner", "second-learner-pw")):
        auth.login(username, password)
        quiz, answered = quiz_on_device(client)
        batch += read_on_device(client) + answered
        auth.logout()
    assert lrs.request("POST", "statements", json_body=batch).status_code == 200
    for name in names:
        [completed] = completions(db, name)
        assert completed["authority"] == authority(PUBLIC_URL)
        assert completed["result"]["score"]["scaled"] == 1.0
    db.expire_all()
    kept = db.scalars(select(ModuleProgress).where(ModuleProgress.module == MODULE_IRI.rsplit("/", 1)[1])).all()
    assert len(kept) == 2 and all(row.completed is not None and row.best_score == 1.0 for row in kept)
    # The M&E figures of both, kept in the same request: each one's answers, graded, and each one trained.
    answers = db.scalars(select(QuestionAnswer)).all()
    assert {row.enrolment_id for row in answers} == {row.enrolment_id for row in kept}
    assert len(answers) == 2 * len(quiz["questions"]) and all(row.correct for row in answers)
    assert len([row for row in db.scalars(select(CourseProgress)) if row.trained is not None]) == 2


def test_a_module_read_in_two_languages_in_one_batch_is_completed_once(client, auth, enrolled, db):
    """The learner passed the quiz, then, offline, read the last page and switched the interface to French to
    read it again: the batch completes the module in English, and the French pages find it completed."""
    auth.login("learner")
    client.post("/xapi/statements", json=read_on_device(client, PAGES[:-1]) + quiz_on_device(client)[1],
                headers=XAPI)
    assert completions(db) == []
    last = read_on_device(client, PAGES[-1:])
    french = [dict(s, id=str(uuid.uuid4()), context=dict(s["context"], language="fr")) for s in last]
    assert client.post("/xapi/statements", json=last + french, headers=XAPI).status_code == 200
    [completed] = completions(db)
    assert completed["authority"] == authority(PUBLIC_URL)


def test_a_quiz_graded_on_the_server_gives_the_page_no_answer_key(client, auth, enrolled, prerequisites_done, db):
    """The sample's last module has ``graded: server``: its answers wait on the device, graded on arrival."""
    auth.login("learner")
    html = client.get(f"{MIGRANTS}/quiz").get_data(as_text=True)
    quiz = player_data(html)["quiz"]
    assert quiz["server"] is True and set(quiz) == {"server", "questions"}  # no pass mark, no outcome to claim
    assert [set(q) for q in quiz["questions"]] == [{"id", "statement"}] * 2
    for word in ('"correct"', '"answers"', '"number"', "data-correct", 'class="feedback"'):
        assert word not in html
    assert "your answers will be sent and graded when the network is back" in html  # what the device tells

    made = [dict(q["statement"], id=str(uuid.uuid4()), result={"response": response})
            for q, response in zip(quiz["questions"], ["0", "4"], strict=True)]
    assert client.post("/xapi/statements", json=made, headers=XAPI).status_code == 200
    db.expire_all()
    [graded] = db.scalars(select(StatementRecord).where(StatementRecord.object_id == f"{MIGRANTS_IRI}/quiz"))
    assert graded.verb_id == VERBS["passed"] and json.loads(graded.data)["result"]["score"]["raw"] == 2

    # Online, the server grades the form at once, and tells the score, not which answers were right.
    form = {"csrf_token": csrf_token(client, f"{MIGRANTS}/quiz"), "q-reach": "1", "q-partners": "4"}
    result = client.post(f"{MIGRANTS}/quiz", data=form).get_data(as_text=True)
    assert "Your score: 1 / 2 (50%)" in result and "the right answers are not shown" in result
    assert 'id="result-reach"' not in result and "incorrect" not in result
    # The pass graded on arrival stands: the page says so, and offers no attempt it would count.
    page = client.get(f"{MIGRANTS}/quiz").get_data(as_text=True)
    assert "You have passed this quiz." in page and '<form method="post" class="quiz">' not in page


def test_a_survey_answered_on_the_device_is_recorded_as_responded_then_completed(client, auth, enrolled,
                                                                                  prerequisites_done, db):
    auth.login("learner")
    survey = player_data(client.get(f"{MIGRANTS}/survey").get_data(as_text=True))["survey"]
    first = survey["items"][0]["statement"]
    made = [dict(first, id=str(uuid.uuid4()), result={"response": "4"}), dict(survey["completed"], id=str(uuid.uuid4()))]
    assert client.post("/xapi/statements", json=made, headers=XAPI).status_code == 200  # as the signed-in learner
    db.expire_all()
    stored = [json.loads(r.data) for r in db.scalars(select(StatementRecord).order_by(StatementRecord.seq))]
    assert [s["verb"]["id"] for s in stored[-2:]] == [VERBS["responded"], VERBS["completed"]]
    assert stored[-2]["object"]["definition"]["interactionType"] == "likert"
    assert stored[-1]["object"]["id"].endswith("/modules/migrants-in-crisis/survey")
    assert "answered" in client.get(f"{MIGRANTS}/").get_data(as_text=True)
