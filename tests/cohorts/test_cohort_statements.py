"""The cohort in statements: what the LMS records, and the launch data the player copies, name the learner's cohort
as a grouping activity, read back from the LRS; joining a course that runs in cohorts goes through an open one."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

from conftest import PUBLIC_URL, csrf_token, read_page
from cohort_fixtures import TODAY, cohort, in_cohort  # noqa: F401 (fixtures)
from lms.cohorts import services as cohorts
from lms.services import catalog
from lrs_helpers import Lrs

COURSE = "/courses/crisis-management"
MODULE = f"{COURSE}/modules/consular-crisis-response"
COURSE_IRI = "https://courses.passerelle.example/crisis-management"
COHORT_TYPE = f"{PUBLIC_URL}xapi-vocabulary/activity-types/cohort"
RIGHT = {"q-crisis-lead": ["1"], "q-registration-value": ["0", "1"], "q-registration-compulsory": ["1"],
         "q-check-messages": "2", "q-wardens": " Wardens ", "q-confirm-death": ["1"], "q-plan-testing": ["1"]}
XAPI = {"X-Experience-API-Version": "1.0.3"}
PAGES = ["roles-in-a-consular-crisis", "registration-of-nationals-and-contingency-plans",
         "communicating-with-families"]


def learner_statements(lrs: Lrs, user) -> list[dict]:
    agent = {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": user.actor_id}}
    return lrs.query(agent=agent, limit=500)


def launch_data(client, user) -> dict:
    """Launch the module as cmi5 does, then read its LMS.LaunchData with the key the fetch URL gives."""
    target = urlsplit(client.get(f"{MODULE}/launch").headers["Location"])
    params = {name: values[0] for name, values in parse_qs(target.query).items()}
    fetch = urlsplit(params["fetch"])
    token = client.post(f"{fetch.path}?{fetch.query}").get_json()["auth-token"]
    state = {"activityId": params["activityId"], "agent": params["actor"], "registration": params["registration"],
             "stateId": "LMS.LaunchData"}
    return client.get("/xapi/activities/state", query_string=state, headers={**XAPI, "Authorization": token}).get_json()


def test_page_views_quiz_answers_and_launches_carry_the_cohort(client, auth, lrs, users, cohort, in_cohort):
    auth.login("learner")
    for page in PAGES:
        assert read_page(client, f"{MODULE}/pages/{page}").status_code == 200
    token = csrf_token(client, f"{MODULE}/quiz")
    assert client.post(f"{MODULE}/quiz", data={"csrf_token": token, **RIGHT}).status_code == 200
    data = launch_data(client, users["learner"])

    iri = cohorts.cohort_iri(PUBLIC_URL, cohort)
    assert iri == f"{PUBLIC_URL}cohorts/{cohort.uuid}"
    expected = {"objectType": "Activity", "id": iri,
                "definition": {"type": COHORT_TYPE, "name": {"en": "Dakar spring"}}}
    grouping = data["contextTemplate"]["contextActivities"]["grouping"]
    assert [g["id"] for g in grouping] == [COURSE_IRI, iri]
    assert grouping[1]["definition"]["type"] == COHORT_TYPE

    statements = learner_statements(lrs, users["learner"])
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in statements}
    assert {"experienced", "answered", "passed", "completed", "launched"} <= verbs
    for statement in statements:
        groups = statement["context"]["contextActivities"]["grouping"]
        assert expected in groups, statement
        assert statement["context"]["registration"] == in_cohort.registration


def test_statements_of_another_cohort_name_that_cohort(client, auth, lrs, db, users, course, cohort):
    other = cohorts.create_cohort(db, course, "Chisinau", TODAY, TODAY, "Europe/Chisinau", "ru")
    cohorts.enrol(db, other, users["learner"])
    db.commit()
    auth.login("learner")
    read_page(client, f"{MODULE}/pages/roles-in-a-consular-crisis")
    [statement] = learner_statements(lrs, users["learner"])
    ids = [g["id"] for g in statement["context"]["contextActivities"]["grouping"]]
    assert cohorts.cohort_iri(PUBLIC_URL, other) in ids and cohorts.cohort_iri(PUBLIC_URL, cohort) not in ids


def test_outside_a_cohort_statements_have_no_cohort(client, auth, lrs, users, enrolled):
    auth.login("learner")
    read_page(client, f"{MODULE}/pages/roles-in-a-consular-crisis")
    data = launch_data(client, users["learner"])
    assert [g["id"] for g in data["contextTemplate"]["contextActivities"]["grouping"]] == [COURSE_IRI]
    for statement in learner_statements(lrs, users["learner"]):
        assert [g["id"] for g in statement["context"]["contextActivities"]["grouping"]] == [COURSE_IRI]


def test_a_course_without_cohorts_keeps_self_enrolment(client, auth, db, users, course):
    auth.login("learner")
    page = client.get(f"{COURSE}/").get_data(as_text=True)
    assert "Enrol in this course" in page and "Cohorts open to enrolment" not in page
    response = client.post(f"{COURSE}/enrol", data={"csrf_token": csrf_token(client, f"{COURSE}/")})
    assert response.status_code == 302
    assert catalog.enrolment_for(db, users["learner"], course).cohort is None


def test_a_course_in_cohorts_is_joined_through_an_open_cohort(client, auth, db, users, course, cohort):
    open_ = cohorts.create_cohort(db, course, "Accra open", TODAY, TODAY + dt.timedelta(days=30), "Africa/Accra",
                                  "en", self_enrol=True)
    db.commit()
    auth.login("learner")
    page = client.get(f"{COURSE}/").get_data(as_text=True)
    assert "Enrol in this course" not in page and "Join Accra open" in page
    assert "Dakar spring" not in page  # closed to self-enrolment: not offered
    token = csrf_token(client, f"{COURSE}/")
    refused = client.post(f"{COURSE}/enrol", data={"csrf_token": token})
    assert refused.status_code == 403 and "runs in cohorts" in refused.get_data(as_text=True)
    closed = client.post(f"/cohorts/{cohort.id}/join", data={"csrf_token": token})
    assert closed.status_code == 403 and "not open to enrolment" in closed.get_data(as_text=True)
    assert catalog.enrolment_for(db, users["learner"], course) is None
    joined = client.post(f"/cohorts/{open_.id}/join", data={"csrf_token": token})
    assert joined.status_code == 302
    db.expire_all()
    assert catalog.enrolment_for(db, users["learner"], course).cohort_id == open_.id
    after = client.get(f"{COURSE}/").get_data(as_text=True)
    assert "Your cohort: Accra open" in after and "Join Accra open" not in after


def test_joining_needs_the_form_token(client, auth, db, users, course):
    open_ = cohorts.create_cohort(db, course, "Open", TODAY, TODAY, "UTC", "en", self_enrol=True)
    db.commit()
    auth.login("learner")
    assert client.post(f"/cohorts/{open_.id}/join").status_code == 400
    assert cohorts.learners(db, open_) == []


def test_an_ended_cohort_is_not_offered(client, auth, db, users, course):
    cohorts.create_cohort(db, course, "Last year", dt.date(2020, 1, 1), dt.date(2020, 6, 30), "UTC", "en",
                          self_enrol=True)
    db.commit()
    auth.login("learner")
    page = client.get(f"{COURSE}/").get_data(as_text=True)
    assert "Last year" not in page and "No cohort of this course is open to enrolment now" in page
