"""Scores sent to a platform's gradebook (LTI Assignment and Grade Services): what the LMS graded for a launched
learner, never what their browser claimed; kept due while the platform does not take them."""

from __future__ import annotations

import threading
import time

import requests
from sqlalchemy import select

from conftest import PUBLIC_URL, csrf_token
from learning_helpers import answers, finish_course
from lms.integration.lti.models import Outcome
from lms.services import learning
from xapi import statements as xs
from lti_platform import CLAIM, LINEITEM_SCOPE, SCORE_SCOPE, closed, registered, platform  # noqa: F401 (fixtures)

MODULE = "consular-crisis-response"
MODULE_URL = f"/courses/crisis-management/modules/{MODULE}"
TARGET = f"http://localhost/lti/courses/crisis-management/modules/{MODULE}/"
#: The learners here read English, the language the quiz's expected answers are written in.
ENGLISH = {CLAIM + "launch_presentation": {"locale": "en"}}


def submit_quiz(client, course, wrong: int):
    quiz = course.current.model.module(MODULE).quiz
    form = {f"q-{question}": given for question, given in answers(quiz, wrong).items()}
    return closed(client.post(f"{MODULE_URL}/quiz", data={"csrf_token": csrf_token(client, f"{MODULE_URL}/quiz"),
                                                           **form}))


def test_a_quiz_the_lms_grades_sends_the_learner_s_score_to_the_platform(client, db, registered, platform, course):
    answer = platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim())
    assert answer.status_code == 303
    # The launch tells the gradebook the learner has begun: no score yet.
    assert [(s["userId"], s.get("scoreGiven"), s["activityProgress"], s["gradingProgress"])
            for s in platform.scores] == [("moodle-user-17", None, "Initialized", "NotReady")]
    quiz = course.current.model.module(MODULE).quiz
    assert submit_quiz(client, course, wrong=1).status_code == 200
    last = platform.scores[-1]
    assert last["lineitem"] == "7" and last["userId"] == "moodle-user-17"
    assert last["scoreMaximum"] == 100
    graded = learning.grade_quiz(quiz, answers(quiz, 1))
    assert graded.points == graded.max_points - 1 and abs(last["scoreGiven"] - 100 * graded.scaled) < 0.01
    assert last["gradingProgress"] == "FullyGraded" and last["activityProgress"] == "InProgress"
    assert last["timestamp"].endswith("Z")
    # The tool asked for its token with a JWT the platform verified with the tool's published key set.
    assert SCORE_SCOPE in platform.token_requests[-1]["scope"]
    outcome = db.scalar(select(Outcome))
    db.refresh(outcome)
    assert outcome.due is False and outcome.sent_score == last["scoreGiven"]


def test_a_score_the_browser_claims_is_not_what_the_platform_receives(client, db, registered, platform, course):
    platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim())
    submit_quiz(client, course, wrong=2)
    graded, received = platform.scores[-1]["scoreGiven"], len(platform.scores)
    # The learner's browser says it passed with full marks, straight to the LRS: kept, but it earns nothing.
    module = course.current.model.module(MODULE)
    enrolment = db.scalar(select(Outcome)).enrolment
    learner = learning.enrolled_learner(enrolment, "en", PUBLIC_URL)
    claim = learning.quiz_outcome(learner, course.current.model, module, True,
                                  xs.score_result(10, 10, success=True, completion=True))
    stored = closed(client.post("/xapi/statements", json=claim, headers={"X-Experience-API-Version": "1.0.3"}))
    assert stored.status_code == 200, stored.get_data(as_text=True)
    # The learner's statements changed, so the score is sent again: still the one the LMS graded.
    assert len(platform.scores) == received + 1
    assert platform.scores[-1]["scoreGiven"] == graded < 100


def test_a_score_the_platform_did_not_take_stays_due_and_is_sent_later(client, db, runner, registered, platform,
                                                                        course):
    platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim())
    received = len(platform.scores)
    platform.down = True
    assert submit_quiz(client, course, wrong=0).status_code == 200  # the learner is not held up
    assert len(platform.scores) == received
    outcome = db.scalar(select(Outcome))
    db.refresh(outcome)
    assert outcome.due is True and "503" in outcome.error
    failed = runner.invoke(args=["lti", "send-scores"])
    assert failed.exit_code == 1 and "0 scores sent, 1 not sent" in failed.output
    platform.down = False
    result = runner.invoke(args=["lti", "send-scores"])
    assert result.exit_code == 0 and "1 scores sent, 0 not sent" in result.output
    assert platform.scores[-1]["scoreGiven"] == 100 and platform.scores[-1]["gradingProgress"] == "FullyGraded"


def test_a_course_s_score_is_sent_once_the_lms_records_its_completion(client, db, runner, registered, platform,
                                                                      course):
    platform.launch(client, **ENGLISH, **platform.ags_claim(platform.lineitem_url("8")))
    assert platform.scores[-1]["activityProgress"] == "Initialized"
    enrolment = db.scalar(select(Outcome)).enrolment
    model = course.current.model
    finish_course(db, learning.enrolled_learner(enrolment, model.text_language, PUBLIC_URL), model)
    assert runner.invoke(args=["lti", "send-scores"]).exit_code == 0
    last = platform.scores[-1]
    assert (last["lineitem"], last["scoreGiven"], last["activityProgress"], last["gradingProgress"]) == (
        "8", 100, "Completed", "FullyGraded")


def test_without_the_score_scope_nothing_is_sent(client, db, registered, platform, course):
    platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim(scopes=(LINEITEM_SCOPE,)))
    submit_quiz(client, course, wrong=0)
    assert platform.scores == [] and db.scalar(select(Outcome)) is None


def test_an_instructor_s_launch_follows_no_score(client, db, registered, platform, course):
    from lti_platform import INSTRUCTOR

    platform.launch(client, target=TARGET, token_args={"roles": (INSTRUCTOR,), "sub": "t-1"}, **ENGLISH,
                    **platform.ags_claim())
    assert platform.scores == [] and db.scalar(select(Outcome)) is None


def test_a_launch_naming_no_line_item_gets_one_made_and_scores_go_there(client, db, registered, platform, course):
    claim = platform.ags_claim()
    del claim["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
    assert platform.launch(client, target=TARGET, **ENGLISH, **claim).status_code == 303
    [made] = platform.lineitems
    assert made["scoreMaximum"] == 100 and made["resourceId"] == f"crisis-management/{MODULE}"
    assert made["tag"] == f"passerelle:crisis-management/{MODULE}" and made["resourceLinkId"] == "resource-link-1"
    submit_quiz(client, course, wrong=0)
    assert platform.scores[-1]["lineitem"] == "made-1" and platform.scores[-1]["scoreGiven"] == 100
    # Another learner launched from the same link shares the column the platform already has.
    client.delete_cookie("session")
    platform.launch(client, target=TARGET, token_args={"sub": "moodle-user-18"}, **ENGLISH, **claim)
    assert len(platform.lineitems) == 1 and platform.scores[-1]["userId"] == "moodle-user-18"


def test_a_platform_that_makes_no_line_item_still_lets_the_learner_in(client, db, registered, platform, course):
    claim = platform.ags_claim()
    del claim["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
    platform.down = True
    answer = platform.launch(client, target=TARGET, **ENGLISH, **claim)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/launch")
    assert platform.lineitems == [] and db.scalar(select(Outcome)) is None


def test_a_score_that_changes_while_it_is_being_sent_stays_due(app, client, db, registered, platform, course):
    platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim())
    outcome = db.scalar(select(Outcome))
    registration = outcome.enrolment.registration

    def learner_acts_meanwhile():
        from lms.integration.lti import services

        other = app.extensions["db"]()
        services.mark_due(other, [registration])
        other.commit()
        other.close()

    platform.on_score = learner_acts_meanwhile
    submit_quiz(client, course, wrong=0)
    db.refresh(outcome)
    assert outcome.due is True and outcome.sent_score == 100


def test_other_learners_write_while_the_platform_makes_a_column(app, client, db, registered, platform, course):
    """The launch holds no write lock while the platform answers: another request's statements go in meanwhile."""
    from lms.accounts import services as accounts

    def someone_else_writes():
        other = app.extensions["db"]()
        accounts.create_user(other, "official-meanwhile", None, "learner")
        other.commit()
        other.close()

    platform.on_lineitem = someone_else_writes
    claim = platform.ags_claim()
    del claim["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]
    assert platform.launch(client, target=TARGET, **ENGLISH, **claim).status_code == 303
    assert len(platform.lineitems) == 1 and db.scalar(select(Outcome)) is not None


def test_erasing_a_launched_learner_forgets_the_scores_followed_for_them(client, db, users, registered, platform,
                                                                         course):
    from lms.privacy import services as privacy

    platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim())
    outcome = db.scalar(select(Outcome))
    privacy.erase(db, outcome.user, users["admin"], PUBLIC_URL)
    db.commit()
    db.expire_all()
    assert db.scalar(select(Outcome)) is None


def test_the_learner_s_answer_does_not_wait_for_the_platform_to_take_the_score(client, db, live_server, registered,
                                                                              platform, course):
    platform.launch(client, target=TARGET, **ENGLISH, **platform.ags_claim())
    assert len(platform.scores) == 1
    release = threading.Event()
    platform.on_score = lambda: release.wait(60)  # the gradebook takes the score only once the test lets it
    quiz = course.current.model.module(MODULE).quiz
    form = {f"q-{question}": given for question, given in answers(quiz, 0).items()}
    token = csrf_token(client, f"{MODULE_URL}/quiz")
    # The learner submits the quiz over HTTP, from the browser signed in by the launch.
    answer = requests.post(f"{live_server}{MODULE_URL}/quiz", data={"csrf_token": token, **form},
                           cookies={"session": client.get_cookie("session").value}, timeout=60)
    assert answer.status_code == 200
    assert not release.is_set() and len(platform.scores) == 1  # the learner has the result; the gradebook not yet
    release.set()
    outcome = db.scalar(select(Outcome))
    deadline = time.monotonic() + 30
    while outcome.due and time.monotonic() < deadline:
        time.sleep(0.05)
        db.rollback()
        db.refresh(outcome)
    assert outcome.due is False and outcome.sent_score == 100
    assert platform.scores[-1]["scoreGiven"] == 100 and platform.scores[-1]["gradingProgress"] == "FullyGraded"
