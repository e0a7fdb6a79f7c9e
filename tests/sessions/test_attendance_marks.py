"""Attendance: one form post marks a whole sheet, each change is an xAPI statement the LMS authors, the last
change wins and says who made it, and attending completes the live module and, by its rules, the course."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from sqlalchemy import func, select

from conftest import PASSWORDS, PUBLIC_URL, csrf_token
from lms.cohorts import services as cohorts
from lms.cohorts.models import Attendance
from lms.services import learning
from lms.sessions import services
from lrs_helpers import Lrs, make_key
from session_fixtures import LIVE, cohort, log_in, log_out, make_user  # noqa: F401 (cohort: a fixture)
from xapi.models import StatementRecord
from xapi.store import agent_key

COURSE_IRI = "https://courses.passerelle.example/crisis-management"
LIVE_IRI = f"{COURSE_IRI}/modules/{LIVE}"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
ABSENT = f"{PUBLIC_URL}xapi-vocabulary/verbs/absent"
STATUS = f"{PUBLIC_URL}xapi-vocabulary/extensions/attendance-status"


@pytest.fixture
def people(db, users, cohort):
    """Two more learners in the cohort, a second trainer of it, and the trainer of another cohort."""
    made = {name: make_user(db, name, display_name=name.title()) for name in ("amina", "bogdan")}
    for learner in made.values():
        cohorts.enrol(db, cohort, learner)
    made["second"] = make_user(db, "second", "trainer", display_name="Second Trainer")
    cohort.trainers = [users["trainer"], made["second"]]
    made["outsider"] = make_user(db, "outsider", "trainer", display_name="Outsider")
    cohorts.create_cohort(db, cohort.course, "Accra 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "Africa/Accra",
                          "en", trainers=[made["outsider"]])
    db.commit()
    return made


@pytest.fixture
def live(db, users, cohort, people):
    """A session in March 2026, facilitated by both trainers."""
    made = services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 28, 10, 0), place="Chisinau, room 4",
                             facilitators=[users["trainer"], people["second"]])
    db.commit()
    return made


def sheet_url(live) -> str:
    return f"/sessions/{live.id}/attendance"


def post_sheet(client, live, marks: dict, shown: dict | None = None):
    """Post the sheet as the browser does: each learner's choice and remark, and what the page showed."""
    url = sheet_url(live)
    data = {"csrf_token": csrf_token(client, url)}
    for user, (status, remark) in marks.items():
        data[f"s{user.id}"], data[f"r{user.id}"] = status, remark
    for user, (status, remark) in (shown or {}).items():
        data[f"ws{user.id}"], data[f"wr{user.id}"] = status, remark
    return client.post(url, data=data)


def statements_about(db, live) -> list[dict]:
    db.expire_all()
    rows = db.scalars(select(StatementRecord).where(StatementRecord.object_id == f"{PUBLIC_URL}sessions/{live.uuid}")
                      .order_by(StatementRecord.seq))
    return [json.loads(row.data) for row in rows]


def marks_of(db, live) -> dict[str, tuple[str, str, str]]:
    db.expire_all()
    return {a.user.username: (a.status, a.remark, a.marked_by.username)
            for a in db.scalars(select(Attendance).where(Attendance.session_id == live.id))}


def test_one_post_marks_the_whole_sheet_and_only_changes_make_statements(client, db, users, people, live):
    log_in(client, "trainer", PASSWORDS["trainer"])
    page = client.get(sheet_url(live)).get_data(as_text=True)
    assert page.count('type="radio"') == 3 * 4  # three learners, four choices each
    learner, amina, bogdan = users["learner"], people["amina"], people["bogdan"]
    response = post_sheet(client, live, {learner: ("present", ""), amina: ("late", "bus from Bălți"),
                                         bogdan: ("excused", "")})
    assert response.status_code == 200
    assert "3 marks saved." in response.get_data(as_text=True)
    assert marks_of(db, live) == {"learner": ("present", "", "trainer"), "amina": ("late", "bus from Bălți", "trainer"),
                                  "bogdan": ("excused", "", "trainer")}
    assert len(statements_about(db, live)) == 3
    # The same sheet sent again (a reload, a double tap): nothing changed, nothing recorded.
    shown = {learner: ("present", ""), amina: ("late", "bus from Bălți"), bogdan: ("excused", "")}
    response = post_sheet(client, live, shown, shown)
    assert "0 marks saved." in response.get_data(as_text=True)
    assert len(statements_about(db, live)) == 3
    page = response.get_data(as_text=True)
    assert re.search(rf'name="s{amina.id}" value="late" checked', page)
    assert 'value="bus from Bălți"' in page


def test_a_second_trainers_later_change_wins_and_the_sheet_says_who_made_each_mark(client, db, users, people,
                                                                                   live):
    learner, amina = users["learner"], people["amina"]
    log_in(client, "trainer", PASSWORDS["trainer"])
    post_sheet(client, live, {learner: ("absent", ""), amina: ("present", "")})
    log_out(client)
    log_in(client, "second")
    response = post_sheet(client, live, {learner: ("late", "came at 10:40"), amina: ("present", "")},
                          {learner: ("absent", ""), amina: ("present", "")})
    assert "1 mark saved." in response.get_data(as_text=True)
    assert marks_of(db, live) == {"learner": ("late", "came at 10:40", "second"), "amina": ("present", "", "trainer")}
    page = client.get(sheet_url(live)).get_data(as_text=True)
    assert "Marked by Second Trainer" in page and "Marked by Demo trainer" in page
    # The first trainer's sheet, opened before that change, is sent without touching that learner: it stays.
    log_out(client)
    log_in(client, "trainer", PASSWORDS["trainer"])
    post_sheet(client, live, {learner: ("absent", ""), amina: ("late", "")},
               {learner: ("absent", ""), amina: ("present", "")})
    assert marks_of(db, live) == {"learner": ("late", "came at 10:40", "second"), "amina": ("late", "", "trainer")}


def test_the_trainer_of_another_cohort_and_learners_get_403(client, db, users, people, live):
    log_in(client, "outsider")
    assert client.get(sheet_url(live)).status_code == 403
    response = client.post(sheet_url(live), data={"csrf_token": csrf_token(client, "/courses/"),
                                                  f"s{users['learner'].id}": "present"})
    assert response.status_code == 403
    log_out(client)
    log_in(client, "learner", PASSWORDS["learner"])
    assert client.get(sheet_url(live)).status_code == 403
    assert marks_of(db, live) == {}
    with pytest.raises(services.SessionError):
        services.mark(db, live, people["outsider"], {users["learner"].id: ("present", "")}, PUBLIC_URL)
    log_out(client)
    log_in(client, "admin", PASSWORDS["admin"])
    assert client.get(sheet_url(live)).status_code == 200
    assert client.get("/sessions/9999/attendance").status_code == 404


def test_a_mark_that_is_no_status_is_a_400_and_changes_nothing(client, db, users, people, live):
    log_in(client, "trainer", PASSWORDS["trainer"])
    response = post_sheet(client, live, {users["learner"]: ("present", ""), people["amina"]: ("asleep", "")})
    assert response.status_code == 400
    assert "is not an attendance status" in response.get_data(as_text=True)
    assert marks_of(db, live) == {}
    assert post_sheet(client, live, {users["learner"]: ("present", "x" * 501)}).status_code == 400
    assert marks_of(db, live) == {}


def test_the_statements_read_back_from_the_lrs(app, client, db, users, people, live, cohort):
    log_in(client, "trainer", PASSWORDS["trainer"])
    post_sheet(client, live, {users["learner"]: ("late", "train"), people["amina"]: ("absent", ""),
                              people["bogdan"]: ("excused", "ill")})
    lrs = Lrs(client, make_key(app, "statements/read", name="M&E reader"))
    found = lrs.query(activity=f"{PUBLIC_URL}sessions/{live.uuid}")
    by_actor = {s["actor"]["account"]["name"]: s for s in found}
    assert len(found) == 3
    late = by_actor[users["learner"].actor_id]
    assert late["verb"]["id"] == ATTENDED
    assert late["object"]["id"] == f"{PUBLIC_URL}sessions/{live.uuid}"
    assert late["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/meeting"
    context = late["context"]
    assert [a["id"] for a in context["contextActivities"]["parent"]] == [LIVE_IRI]
    assert {a["id"] for a in context["contextActivities"]["grouping"]} == {
        COURSE_IRI, cohorts.cohort_iri(PUBLIC_URL, cohort)}
    assert context["instructor"]["objectType"] == "Group"
    assert {m["account"]["name"] for m in context["instructor"]["member"]} == {
        users["trainer"].actor_id, people["second"].actor_id}
    enrolment = next(e for e in cohorts.enrolments(db, cohort) if e.user_id == users["learner"].id)
    assert context["registration"] == enrolment.registration
    assert late["result"]["duration"] == "PT2H"
    assert late["result"]["extensions"][STATUS] == "late"
    assert late["authority"]["account"] == {"homePage": PUBLIC_URL, "name": "lms"}
    assert late["timestamp"].startswith("2026-03-28T08:00:00")
    absent, excused = by_actor[people["amina"].actor_id], by_actor[people["bogdan"].actor_id]
    assert absent["verb"]["id"] == excused["verb"]["id"] == ABSENT  # not counted as attended by any reader
    assert (absent["result"]["extensions"][STATUS], excused["result"]["extensions"][STATUS]) == ("absent", "excused")
    assert "duration" not in absent["result"]
    # Who attended, as an LRS reader asks it: the verb alone.
    assert [s["actor"]["account"]["name"] for s in lrs.query(verb=ATTENDED)] == [users["learner"].actor_id]


def test_one_facilitator_is_the_instructor_as_an_agent(db, users, cohort, people):
    live = services.schedule(db, cohort, LIVE, dt.datetime(2026, 4, 2, 9, 0), place="Room 4",
                             facilitators=[people["second"]])
    services.mark(db, live, users["trainer"], {users["learner"].id: ("present", "")}, PUBLIC_URL)
    db.commit()
    instructor = statements_about(db, live)[0]["context"]["instructor"]
    assert instructor == {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": people["second"].actor_id}}


def completed(db, actor_id: str, iri: str) -> bool:
    db.expire_all()
    lms = agent_key(learning.authority(PUBLIC_URL))
    return db.scalar(select(func.count()).select_from(StatementRecord).where(
        StatementRecord.object_id == iri, StatementRecord.verb_id == "http://adlnet.gov/expapi/verbs/completed",
        StatementRecord.authority_key == lms,
        StatementRecord.actor_key == agent_key({"account": {"homePage": PUBLIC_URL, "name": actor_id}}))) or 0


def test_attending_completes_the_live_module_once_and_missing_it_does_not(db, users, people, live):
    learner, amina = users["learner"], people["amina"]
    services.mark(db, live, users["trainer"], {learner.id: ("late", ""), amina.id: ("absent", "")}, PUBLIC_URL)
    services.mark(db, live, users["trainer"], {learner.id: ("present", "")}, PUBLIC_URL)
    db.commit()
    assert completed(db, learner.actor_id, LIVE_IRI) == 1
    assert completed(db, amina.actor_id, LIVE_IRI) == 0


def test_a_learner_does_not_complete_a_live_module_by_sending_statements_about_it(client, db, users, cohort):
    log_in(client, "learner", PASSWORDS["learner"])
    enrolment = cohorts.enrolments(db, cohort)[0]
    statement = {"id": str(uuid.uuid4()),
                 "actor": {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": users["learner"].actor_id}},
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                 "object": {"objectType": "Activity", "id": f"{LIVE_IRI}/handout"},
                 "context": {"registration": enrolment.registration, "language": "en"}}
    response = client.post("/xapi/statements", json=[statement], headers={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 200, response.get_json()
    assert completed(db, users["learner"].actor_id, LIVE_IRI) == 0


def test_a_course_whose_completion_names_the_live_module_is_completed_by_attending(db, users, live_rule_course):
    course = live_rule_course
    made = cohorts.create_cohort(db, course, "Rule cohort", dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                 "Europe/Chisinau", "en", trainers=[users["trainer"]])
    cohorts.enrol(db, made, users["learner"])
    live = services.schedule(db, made, LIVE, dt.datetime(2026, 6, 1, 10, 0), place="Room 4")
    db.commit()
    assert completed(db, users["learner"].actor_id, COURSE_IRI) == 0
    services.mark(db, live, users["trainer"], {users["learner"].id: ("present", "")}, PUBLIC_URL)
    db.commit()
    assert completed(db, users["learner"].actor_id, LIVE_IRI) == 1
    assert completed(db, users["learner"].actor_id, COURSE_IRI) == 1


def build_live_rule_course(tmp_path_factory, extra: str = ""):
    """Build the sample course with one completion rule, attend the tabletop exercise, and ``extra`` course.yaml."""
    import shutil

    from authoring.build import build_course
    from conftest import SAMPLE_COURSE

    source = tmp_path_factory.mktemp("course") / "crisis-management"
    shutil.copytree(SAMPLE_COURSE, source)
    yaml = (source / "course.yaml").read_text()
    start = yaml.index("completion:")
    (source / "course.yaml").write_text(yaml[:start] + f"completion:\n  {LIVE}: completed\n" + extra)
    return build_course(source, tmp_path_factory.mktemp("dist")).path


@pytest.fixture(scope="module")
def live_rule_package(tmp_path_factory):
    """The sample course built with one completion rule: attend the tabletop exercise."""
    return build_live_rule_course(tmp_path_factory)


@pytest.fixture(scope="module")
def present_only_package(tmp_path_factory):
    """The same course, where only being marked present completes a live module."""
    return build_live_rule_course(tmp_path_factory, "live_completion: [present]\n")


def import_course(app, db, package):
    from lms.services import catalog

    with open(package, "rb") as stream:
        version, _ = catalog.import_package(db, stream, app.config["PACKAGE_DIR"])
    db.commit()
    return version.course


@pytest.fixture
def live_rule_course(app, db, live_rule_package):
    return import_course(app, db, live_rule_package)


def test_a_course_where_only_present_counts_is_not_completed_by_coming_late(app, db, users, present_only_package):
    course = import_course(app, db, present_only_package)
    made = cohorts.create_cohort(db, course, "On time", dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                 "Europe/Chisinau", "en", trainers=[users["trainer"]])
    cohorts.enrol(db, made, users["learner"])
    first = services.schedule(db, made, LIVE, dt.datetime(2026, 6, 1, 10, 0), place="Room 4")
    second = services.schedule(db, made, LIVE, dt.datetime(2026, 6, 8, 10, 0), place="Room 4")
    db.commit()
    services.mark(db, first, users["trainer"], {users["learner"].id: ("late", "")}, PUBLIC_URL)
    db.commit()
    assert completed(db, users["learner"].actor_id, LIVE_IRI) == 0
    assert completed(db, users["learner"].actor_id, COURSE_IRI) == 0
    services.mark(db, second, users["trainer"], {users["learner"].id: ("present", "")}, PUBLIC_URL)
    db.commit()
    assert completed(db, users["learner"].actor_id, LIVE_IRI) == 1
    assert completed(db, users["learner"].actor_id, COURSE_IRI) == 1


def test_the_live_module_page_says_attended_missed_or_the_next_date(client, db, users, course):
    today = dt.date.today()
    soon = cohorts.create_cohort(db, course, "Now", today - dt.timedelta(days=30), today + dt.timedelta(days=30),
                                 "Africa/Accra", "en", trainers=[users["trainer"]])
    for name in ("attender", "misser", "waiter"):
        cohorts.enrol(db, soon, make_user(db, name))
    past = dt.datetime.combine(today - dt.timedelta(days=7), dt.time(10))
    first = services.schedule(db, soon, LIVE, past, place="Accra")
    db.commit()
    users_by = {u.username: u for u in cohorts.learners(db, soon)}
    services.mark(db, first, users["trainer"], {users_by["attender"].id: ("present", ""),
                                                users_by["misser"].id: ("absent", ""),
                                                users_by["waiter"].id: ("excused", "")}, PUBLIC_URL)
    db.commit()
    url = f"/courses/crisis-management/modules/{LIVE}/"
    log_in(client, "attender")
    assert "Attended" in client.get(url).get_data(as_text=True)
    log_out(client)
    log_in(client, "misser")
    assert "Missed" in client.get(url).get_data(as_text=True)
    services.schedule(db, soon, LIVE, dt.datetime.combine(today + dt.timedelta(days=7), dt.time(14)), place="Accra",
                      meeting_url="https://meet.example/catch-up")
    db.commit()
    log_out(client)
    log_in(client, "waiter")
    page = client.get(url).get_data(as_text=True).replace("\u202f", " ")
    assert "Next session:" in page and "2:00 PM (GMT+00:00)" in page and "https://meet.example/catch-up" in page
    assert "Attended" not in page and "Missed" not in page


def test_a_trainers_page_counts_the_sessions_delivered_and_the_learners_trained(client, db, users, cohort, people,
                                                                                live):
    other = services.schedule(db, cohort, LIVE, dt.datetime(2026, 4, 4, 10, 0), place="Room 4",
                              facilitators=[users["trainer"]])
    services.schedule(db, cohort, LIVE, dt.datetime(2026, 4, 11, 10, 0), place="Room 4",
                      facilitators=[people["second"]])  # not the trainer's
    services.mark(db, live, users["trainer"], {users["learner"].id: ("present", ""), people["amina"].id: ("late", ""),
                                               people["bogdan"].id: ("absent", "")}, PUBLIC_URL)
    services.mark(db, other, users["trainer"], {users["learner"].id: ("present", "")}, PUBLIC_URL)
    db.commit()
    report = services.delivered(db, users["trainer"], now=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    assert [s.id for s in report.sessions] == [other.id, live.id]
    assert report.participants == 2  # the learner (twice) and Amina; Bogdan was absent
    assert report.attended == {live.id: 2, other.id: 1}
    log_in(client, "trainer", PASSWORDS["trainer"])
    page = client.get("/sessions/delivered").get_data(as_text=True)
    assert "2 participants trained" in page and page.count("Tabletop exercise") == 2
    log_out(client)
    log_in(client, "learner", PASSWORDS["learner"])
    assert client.get("/sessions/delivered").status_code == 403
    assert client.get(f"/sessions/delivered/{users['trainer'].id}").status_code == 403
