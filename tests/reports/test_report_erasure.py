"""Erased learners keep counting in the reports, anonymously: erasing an account folds what the person had reached
(course, cohort, the days they enrolled, were trained and completed it) into counts of people, which reach, its
breakdowns and the programme's overview add back within the period, cohort and reader's scope, under a row of
their own where their profile would be, and never under a profile filter; small groups stay hidden."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import delete, inspect, select, update

from conftest import PUBLIC_URL, csrf_token
from learning_helpers import finish, finish_course
from lms.accounts import services as accounts
from lms.cohorts import services as cohorts
from lms.cohorts.models import Cohort
from lms.models import Course, CourseVersion, Enrolment, User, as_utc
from lms.privacy import services as privacy
from lms.reports import indicators
from lms.reports.models import CourseProgress, ErasedReach
from lms.services import catalog, learning
from test_report_pages import cells

REPORT = "/reports/crisis-management/"
TODAY = dt.date.today()
QUIZ = "consular-crisis-response"
ERASED = "Erased on request"


def learner(db, cohort, username: str, **profile) -> Enrolment:
    """A new learner enrolled in ``cohort`` (or in the course without a cohort, if None)."""
    user = accounts.create_user(db, username, None, "learner", username.title(), **profile)
    enrolment = cohorts.enrol(db, cohort, user) if cohort else catalog.enrol(db, user, the_course(db))
    db.commit()
    return enrolment


def the_course(db) -> Course:
    return db.scalar(select(Course))


def studied(db, enrolment: Enrolment, whole_course: bool = False) -> None:
    model = enrolment.course.current.model
    studying = learning.enrolled_learner(enrolment, "en", PUBLIC_URL)
    if whole_course:
        finish_course(db, studying, model)
    else:
        finish(db, studying, model, QUIZ)


@pytest.fixture
def programme(app, db, users, course):
    """Dakar (the trainer's): six women from Senegal, trained, and Zed, a man from Moldova who completed the
    course and enrolled ten days ago. Amman: five men from Jordan, three trained."""
    dakar = cohorts.create_cohort(db, course, "Dakar", TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30),
                                  "Africa/Dakar", "fr", trainers=[users["trainer"]])
    amman = cohorts.create_cohort(db, course, "Amman", TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30),
                                  "Asia/Amman", "ar")
    for n in range(6):
        studied(db, learner(db, dakar, f"awa{n}", country="SN", gender="female", institution="MFA Senegal"))
    for n in range(5):
        enrolment = learner(db, amman, f"omar{n}", country="JO", gender="male", institution="MFA Jordan")
        if n < 3:
            studied(db, enrolment)
    zed = learner(db, dakar, "zed", country="MD", gender="male", institution="Zed's own ministry", language="ru")
    db.execute(update(Enrolment).where(Enrolment.id == zed.id)
               .values(enrolled=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)))
    db.commit()
    studied(db, zed, whole_course=True)
    return {"dakar": dakar, "amman": amman, "zed": zed}


def erase(app, db, users, username: str) -> None:
    privacy.erase(db, accounts.find_user(db, username), users["admin"], app.config["PUBLIC_URL"])
    db.commit()


def csv_table(client, name: str, query: str = "") -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(f"{REPORT}{name}.csv{query}").data.decode("utf-8-sig"))))[1:]


def reach(client, query: str = "") -> list[str]:
    return [figure for _, figure in csv_table(client, "reach", query)]


def overview_row(client) -> list[str]:
    """The course's figures on the programme's overview."""
    html = client.get("/reports/").get_data(as_text=True)
    row = re.search(r'<tr data-course="crisis-management">(.*?)</tr>', html, re.S)[1]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)][1:]


def everything(client) -> dict[str, list[list[str]]]:
    return {name: csv_table(client, name) for name in ("reach", "by-sex", "by-country", "by-institution",
                                                        "by-language", "by-cohort")}


def test_the_reports_keep_their_totals_after_an_erasure_through_the_admin_page(app, client, db, auth, users,
                                                                             programme):
    app.config["REPORTS_MIN_GROUP"] = 1  # every figure exactly
    zed = programme["zed"]
    progress = db.get(CourseProgress, zed.id)
    days = [dt.datetime.combine(as_utc(moment).date(), dt.time(), tzinfo=dt.timezone.utc)
            for moment in (zed.enrolled, progress.trained, progress.completed)]
    account, actor, course_id = zed.user.id, zed.user.actor_id, zed.course_id
    auth.login("analyst")
    before = everything(client)
    overview = overview_row(client)
    assert before["reach"] == [["Enrolled", "12"], ["Trained", "10"], ["Completed the course", "1"]]
    assert ["Moldova", "1", "1", "1"] in before["by-country"]
    auth.logout()

    auth.login("admin")
    page = f"/admin/accounts/{account}/erase"
    assert "keep counting them, anonymously" in client.get(page).get_data(as_text=True)
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "confirm": "zed"})
    assert response.status_code == 302
    auth.logout()

    # What is kept: one person of the course and cohort, on those days; nothing about who.
    db.expire_all()
    assert db.get(User, account) is None
    assert {column.key for column in inspect(ErasedReach).columns} == {
        "id", "course_id", "cohort_id", "enrolled", "trained", "completed", "people"}
    [kept] = db.scalars(select(ErasedReach)).all()
    assert (kept.course_id, kept.cohort_id, kept.people) == (course_id, programme["dakar"].id, 1)
    assert [as_utc(moment) for moment in (kept.enrolled, kept.trained, kept.completed)] == days
    assert all(moment.time() == dt.time() for moment in days)  # the time of day is not kept
    assert actor not in repr([getattr(kept, c.key) for c in inspect(ErasedReach).columns])

    auth.login("analyst")
    after = everything(client)
    assert after["reach"] == before["reach"]
    assert after["by-cohort"] == before["by-cohort"] == [["Dakar", "7", "7", "1"], ["Amman", "5", "3", "0"]]
    assert after["by-country"] == [["Senegal", "6", "6", "0"], ["Jordan", "5", "3", "0"], [ERASED, "1", "1", "1"]]
    assert after["by-sex"] == [["Female", "6", "6", "0"], ["Male", "5", "3", "0"], [ERASED, "1", "1", "1"]]
    for name, rows in after.items():  # each breakdown still adds up to the headline
        if name != "reach":
            assert [sum(int(row[i]) for row in rows) for i in (1, 2, 3)] == [12, 10, 1], name
            assert not any("Moldova" in row[0] or "Zed" in row[0] or row[0] == "Русский" for row in rows), name
    html = client.get(REPORT).get_data(as_text=True)
    assert cells(html, "by-institution")[-1] == [ERASED, "1", "1", "1"]
    assert overview_row(client) == overview == ["12", "10", "1"]  # the programme's overview too
    assert [row[1] for row in csv_table(client, "funnel")] == ["12"] * len(csv_table(client, "funnel"))


def test_filters_and_scope_count_the_erased_where_their_course_cohort_and_days_say(app, client, db, auth, users,
                                                                                   programme):
    app.config["REPORTS_MIN_GROUP"] = 1
    zed = programme["zed"]
    trained_day = as_utc(db.get(CourseProgress, zed.id).trained).date()
    enrolled_day = as_utc(zed.enrolled).date()
    dakar, amman = programme["dakar"].id, programme["amman"].id
    erase(app, db, users, "zed")
    erase(app, db, users, "omar0")  # trained, in Amman: not the trainer's cohort
    auth.login("analyst")
    assert reach(client) == ["12", "10", "1"]
    # A profile filter leaves them out: who they were is not kept.
    assert reach(client, "?sex=male") == ["4", "2", "0"]
    assert reach(client, "?country=SN") == ["6", "6", "0"]
    assert csv_table(client, "by-country", "?sex=male") == [["Jordan", "4", "2", "0"]]
    # The cohort filter and the period.
    assert reach(client, f"?cohort={dakar}") == ["7", "7", "1"]
    assert reach(client, f"?cohort={amman}") == ["5", "3", "0"]
    assert reach(client, f"?start={trained_day}&end={trained_day}") == ["12", "10", "1"]
    after = trained_day + dt.timedelta(days=1)
    assert reach(client, f"?start={after}") == ["12", "0", "0"]  # enrolled before the end (none), no one since
    before = trained_day - dt.timedelta(days=1)
    assert reach(client, f"?end={before}") == ["1", "0", "0"]  # Zed alone had enrolled, ten days ago
    assert reach(client, f"?end={enrolled_day - dt.timedelta(days=1)}") == ["0", "0", "0"]
    assert csv_table(client, "by-cohort", f"?end={before}") == [["Dakar", "1", "0", "0"]]
    auth.logout()
    # A trainer sees the cohorts they train: Zed, not Omar.
    auth.login("trainer")
    assert reach(client) == ["7", "7", "1"]
    assert csv_table(client, "by-sex") == [["Female", "6", "6", "0"], [ERASED, "1", "1", "1"]]


def test_rebuilding_the_projections_leaves_the_erased_counts_alone(app, client, db, runner, auth, users,
                                                                    programme):
    app.config["REPORTS_MIN_GROUP"] = 1
    erase(app, db, users, "zed")
    kept = [(r.course_id, r.cohort_id, r.enrolled, r.trained, r.completed, r.people)
            for r in db.scalars(select(ErasedReach).order_by(ErasedReach.id))]
    auth.login("analyst")
    before = everything(client)
    result = runner.invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert [(r.course_id, r.cohort_id, r.enrolled, r.trained, r.completed, r.people)
            for r in db.scalars(select(ErasedReach).order_by(ErasedReach.id))] == kept
    assert everything(client) == before and before["reach"] == [["Enrolled", "12"], ["Trained", "10"],
                                                                 ["Completed the course", "1"]]


def test_small_groups_of_erased_learners_stay_hidden(app, client, db, auth, users, programme):
    erase(app, db, users, "zed")
    auth.login("analyst")
    html = client.get(REPORT).get_data(as_text=True)
    assert cells(html, "reach") == [["Enrolled", "12"], ["Trained", "10"], ["Completed the course", "< 5"]]
    # Enrolled: the one erased, and Jordan's 5 beside it; trained: Jordan's 3 and the one erased.
    expected = [["Senegal", "6", "6", "0"], ["Jordan", "< 5", "< 5", "0"], [ERASED, "< 5", "< 5", "< 5"]]
    assert cells(html, "by-country") == expected and csv_table(client, "by-country") == expected
    # By cohort, the erased count among Dakar's: Amman's 3 trained hide Dakar's 7 beside them.
    assert cells(html, "by-cohort") == [["Dakar", "7", "< 5", "< 5"], ["Amman", "5", "< 5", "0"]]


def test_people_with_the_same_course_cohort_and_days_share_a_row(app, db, users, course, programme):
    amman = programme["amman"]
    erase(app, db, users, "omar3")  # neither trained: no days but the one they enrolled on
    erase(app, db, users, "omar4")
    for n in range(2):  # enrolled in the course without a cohort
        learner(db, None, f"walk-in{n}")
        erase(app, db, users, f"walk-in{n}")
    rows = {(r.cohort_id, r.trained, r.completed): r.people for r in db.scalars(select(ErasedReach))}
    assert rows == {(amman.id, None, None): 2, (None, None, None): 2}


def test_a_deleted_cohort_keeps_its_erased_counts_without_it_and_a_deleted_course_drops_them(
        app, client, db, auth, users, course):
    app.config["REPORTS_MIN_GROUP"] = 1
    lisbon = cohorts.create_cohort(db, course, "Lisbon", TODAY, TODAY + dt.timedelta(days=30), "Europe/Lisbon", "en")
    studied(db, learner(db, lisbon, "solo"))
    erase(app, db, users, "solo")
    db.execute(delete(Cohort).where(Cohort.id == lisbon.id))
    db.commit()
    assert [(r.cohort_id, r.people) for r in db.scalars(select(ErasedReach))] == [(None, 1)]
    auth.login("analyst")
    assert reach(client) == ["1", "1", "0"]
    assert csv_table(client, "by-cohort") == [["Not recorded", "1", "1", "0"]]
    db.execute(delete(CourseVersion).where(CourseVersion.course_id == course.id))
    db.execute(delete(Course).where(Course.id == course.id))
    db.commit()
    assert db.scalars(select(ErasedReach)).all() == []


def test_an_erased_learner_who_completed_the_course_stays_due_for_the_follow_up(app, db, users, course, programme):
    later = TODAY + dt.timedelta(days=91)  # the sample's follow-up falls due 90 days after completing the course

    def due(**facets) -> tuple:
        figures = indicators.follow_up(db, course, indicators.Filters(**facets), indicators.Scope(None), 1,
                                       today=later)
        return figures.due, figures.answered

    assert due() == (1, 0)  # Zed alone completed the course
    erase(app, db, users, "zed")
    assert due() == (1, 0) and due(sex="male") == (0, 0)
    assert due(cohort=programme["amman"].id) == (0, 0) and due(cohort=programme["dakar"].id) == (1, 0)
