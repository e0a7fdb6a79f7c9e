"""Surveys, branching scenarios, handouts and course completion in the LMS, down to their statements."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from authoring.model import CompletionRule
from conftest import DONE_FIRST, csrf_token
from learning_helpers import finish
from lms.services import learning
from lms.services.learning import Learner
from xapi.models import StatementRecord
from xapi.statements import VERBS

COURSE = "/courses/crisis-management"
MIGRANTS = f"{COURSE}/modules/migrants-in-crisis"
SCENARIO = f"{MIGRANTS}/scenarios/valdoria/"
COURSE_IRI = "https://courses.passerelle.example/crisis-management"
MIGRANTS_IRI = f"{COURSE_IRI}/modules/migrants-in-crisis"


def statements(db, verb: str) -> list[dict]:
    """The statements with ``verb``, but the completions the ``prerequisites_done`` fixture recorded."""
    db.expire_all()
    done_first = [f"{COURSE_IRI}/modules/{slug}" for slug in DONE_FIRST]
    rows = db.scalars(select(StatementRecord).where(StatementRecord.verb_id == VERBS[verb],
                                                    StatementRecord.object_id.not_in(done_first))
                      .order_by(StatementRecord.seq))
    return [json.loads(row.data) for row in rows]


def choose(client, path: str, number: int):
    return client.post(SCENARIO, data={"csrf_token": csrf_token(client, SCENARIO), "path": path,
                                       "choice": str(number)})


def test_a_scenario_path_is_recorded_as_the_response(client, auth, enrolled, prerequisites_done, db):
    auth.login("learner")
    start = client.get(SCENARIO).get_data(as_text=True)
    assert "magnitude 7.1 earthquake" in start and 'name="path" value="alert"' in start
    step = choose(client, "alert", 2).get_data(as_text=True)  # wait for figures
    assert "Two hours pass." in step and "The host government announces 120 dead" in step
    assert statements(db, "completed") == []  # nothing is recorded until an end is reached
    step = choose(client, "alert,wait", 1).get_data(as_text=True)  # send a team
    assert "Wardens report" in step
    end = choose(client, "alert,wait,wardens", 1).get_data(as_text=True)
    assert "1,400 of your nationals" in end and "Debrief" in end and "A good outcome." in end
    [played] = statements(db, "completed")
    assert played["object"]["id"] == MIGRANTS_IRI + "/scenarios/valdoria"
    assert played["result"] == {"completion": True, "success": True, "response": "alert[,]wait[,]wardens[,]shelter"}
    assert played["context"]["contextActivities"]["parent"][0]["id"] == MIGRANTS_IRI
    assert played["context"]["registration"] == enrolled.registration

    poor = choose(client, "alert,wait", 2).get_data(as_text=True)
    assert "A poor outcome." in poor
    assert statements(db, "completed")[-1]["result"]["success"] is False


def test_a_forged_scenario_path_is_refused_and_records_nothing(client, auth, enrolled, prerequisites_done, db):
    auth.login("learner")
    for path, number in [("alert,shelter", 1), ("wardens", 1), ("alert", 3), ("alert", "x"), ("", 1),
                         ("alert," * 500, 1)]:
        response = choose(client, path, number)
        assert response.status_code == 400, path
    assert "not a path through the scenario" in choose(client, "alert,shelter", 1).get_data(as_text=True)
    assert statements(db, "completed") == []
    assert client.get(f"{MIGRANTS}/scenarios/nowhere/").status_code == 404


def test_survey_answers_are_recorded_as_responded(client, auth, enrolled, prerequisites_done, db):
    auth.login("learner")
    url = f"{MIGRANTS}/survey"
    form = client.get(url).get_data(as_text=True)
    assert "too short" in form and "Strongly agree" in form and "<textarea" in form
    empty = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert empty.status_code == 400 and "at least one question" in empty.get_data(as_text=True)
    assert statements(db, "responded") == []
    sent = client.post(url, data={"csrf_token": csrf_token(client, url), "s-useful": "5", "s-pace": "2",
                                  "s-scenario": "9", "s-change": "  More on <b>shelters</b>  "})
    assert sent.status_code == 200 and "your answers are recorded" in sent.get_data(as_text=True)
    responded = {s["object"]["id"].rsplit("/", 1)[1]: s for s in statements(db, "responded")}
    assert set(responded) == {"useful", "pace", "change"}  # 9 is not on the scale: left out
    assert responded["useful"]["result"] == {"response": "5"}
    pace = responded["pace"]["object"]["definition"]
    assert pace["interactionType"] == "likert"
    assert [c["description"]["en"] for c in pace["scale"]] == ["too short", "about right", "too long"]
    assert responded["change"]["result"]["response"] == "More on <b>shelters</b>"
    [done] = [s for s in statements(db, "completed") if s["object"]["id"].endswith("/survey")]
    assert "success" not in done["result"]  # a survey is never graded
    assert "· answered" in client.get(f"{MIGRANTS}/").get_data(as_text=True)


def test_learners_get_the_handout_but_not_the_trainers_materials(client, auth, enrolled):
    auth.login("learner")
    live = f"{COURSE}/modules/debrief-action-planning"
    assert "Participants' handout" in client.get(f"{live}/").get_data(as_text=True)
    handout = client.get(f"{live}/handout.html")
    assert handout.status_code == 200 and b"action plan" in handout.data
    assert client.get(f"{live}/guide.html").status_code == 403
    assert client.get(f"{live}/deck.pptx").status_code == 403
    auth.logout()
    auth.login("trainer")
    assert client.get(f"{live}/deck.pptx").status_code == 200


def test_pages_link_to_downloads_with_their_size_and_to_other_modules(client, auth, enrolled, prerequisites_done):
    auth.login("learner")
    page = client.get(f"{COURSE}/modules/registration-contingency/pages/keeping-registration-current")
    body = page.get_data(as_text=True)
    assert (f'href="{COURSE}/assets/handouts/registration-template.csv" download=""') in body
    assert '<span class="size">(CSV, 264 B)</span>' in body
    assert (f'href="{COURSE}/modules/consular-crisis-response/pages/'
            'registration-of-nationals-and-contingency-plans"') in body
    download = client.get(f"{COURSE}/assets/handouts/registration-template.csv")
    assert download.status_code == 200 and download.data.startswith(b"family_name,")


def learner_of(app, enrolment) -> Learner:
    return Learner(actor_id=enrolment.user.actor_id, registration=enrolment.registration, language="en",
                   home_page=app.config["PUBLIC_URL"])


def test_the_course_completes_by_its_rules(app, enrolled, db):
    """Completing every required module, with the required score, records the course's completion once."""
    course = enrolled.course.current.model
    learner = learner_of(app, enrolled)

    def course_completions():
        return [s for s in statements(db, "completed") if s["object"]["id"] == course.iri]

    for slug in ("consular-crisis-response", "registration-contingency", "families-and-media"):
        finish(db, learner, course, slug)
        assert course_completions() == []
    finish(db, learner, course, "migrants-in-crisis")
    [done] = course_completions()
    assert done["context"]["registration"] == enrolled.registration
    finish(db, learner, course, "migrants-in-crisis")  # doing it again completes nothing twice
    assert len(course_completions()) == 1


def test_a_completion_rule_can_ask_for_more_than_the_pass_mark(app, enrolled, db):
    course = enrolled.course.current.model
    learner = learner_of(app, enrolled)
    finish(db, learner, course, "consular-crisis-response", wrong=2)  # 5 of 7: 71%, over the 70% pass mark

    def rules(score):
        return dataclasses.replace(course, completion=[CompletionRule("consular-crisis-response", score)])

    assert learning.course_complete(db, learner, rules(0.7))
    assert not learning.course_complete(db, learner, rules(0.8))
    assert learning.course_complete(db, learner, rules(None))


def test_a_course_completion_the_learner_claims_neither_counts_nor_stands_in_for_the_real_one(
        app, client, auth, enrolled, db):
    course = enrolled.course.current.model
    learner = learner_of(app, enrolled)
    claim = {"actor": learner.agent.as_version("1.0.3"), "verb": {"id": VERBS["completed"]},
             "object": {"id": course.iri}, "context": {"registration": enrolled.registration}}
    auth.login("learner")
    sent = client.post("/xapi/statements", json=claim, headers={"X-Experience-API-Version": "1.0.3"})
    assert sent.status_code == 200  # kept, as what the learner said
    lms = learning.authority(app.config["PUBLIC_URL"])

    def course_completions():
        return [s for s in statements(db, "completed") if s["object"]["id"] == course.iri and s["authority"] == lms]

    for slug in ("consular-crisis-response", "registration-contingency", "families-and-media"):
        finish(db, learner, course, slug)
    assert course_completions() == []
    finish(db, learner, course, "migrants-in-crisis")
    assert len(course_completions()) == 1  # recorded by the LMS when earned, whatever the learner said before


def test_a_number_only_str_isdigit_reads_is_refused_with_a_reason(client, auth, enrolled, prerequisites_done, db):
    """"²" or "٣" are digits to Python's ``str.isdigit`` and no choice; 5,000 digits are more than ``int`` reads."""
    auth.login("learner")
    quiz = f"{COURSE}/modules/consular-crisis-response/quiz"
    for odd in ("\u00b2", "9" * 5000):
        answer = client.post(quiz, data={"csrf_token": csrf_token(client, quiz), "q-crisis-lead": odd})
        assert answer.status_code == 400 and "Please answer every question" in answer.get_data(as_text=True)
        survey = client.post(f"{MIGRANTS}/survey", data={"csrf_token": csrf_token(client, f"{MIGRANTS}/survey"),
                                                         "s-useful": odd})
        assert survey.status_code == 400
        assert choose(client, "alert", odd).status_code == 400
    assert statements(db, "answered") == statements(db, "responded") == statements(db, "completed") == []
