"""The demonstration's M&E programme gives every report something to show: reach across sexes, countries and
cohorts, a narrowing completion funnel, pre/post gain, satisfaction, attendance and follow-up; and only once."""

from __future__ import annotations

import datetime as dt
from statistics import mean

from sqlalchemy import func, select

from conftest import PUBLIC_URL
from lms.cohorts.models import Attendance, Cohort
from lms.models import Enrolment, User
from lms.reports.demo import seed_programme
from lms.reports.models import CourseProgress, ModuleProgress, SurveyAnswer
from xapi.models import StatementRecord

SELF_PACED = ("consular-crisis-response", "registration-contingency", "families-and-media", "migrants-in-crisis")


def count(db, table) -> int:
    return db.scalar(select(func.count()).select_from(table))


def test_the_demo_programme_feeds_every_report_once(db, users, course):
    trainers = [users["trainer"], users["admin"]]
    summary = seed_programme(db, course, trainers, PUBLIC_URL)
    db.commit()
    assert summary.created and summary.learners >= 55 and summary.statements > 1000
    assert str(summary).startswith(f"M&E demo: 3 cohorts, {summary.learners} learners, {summary.statements} ")

    made = list(db.scalars(select(Cohort).where(Cohort.course_id == course.id)))
    assert len(made) == 3 and all(cohort.name.endswith("(demo)") for cohort in made)
    sizes = db.execute(select(Enrolment.cohort_id, func.count()).group_by(Enrolment.cohort_id)).all()
    assert len(sizes) == 3 and all(size >= 15 for _, size in sizes)
    people = list(db.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id)))
    assert {"female", "male"} <= {person.gender for person in people}
    assert len({person.country for person in people}) >= 5
    assert len({person.institution for person in people}) >= 10
    assert {person.language for person in people} == {"en", "fr", "es", "ru", "ar"}

    # Completion narrows module after module; some finished the course, others stopped on the way.
    funnel = [db.scalar(select(func.count()).where(ModuleProgress.module == slug, ModuleProgress.completed.is_not(None)))
              for slug in SELF_PACED]
    assert funnel == sorted(funnel, reverse=True) and funnel[-1] < funnel[0]
    completed = list(db.scalars(select(CourseProgress.completed).where(CourseProgress.completed.is_not(None))))
    assert 10 <= len(completed) < summary.learners
    now = dt.datetime.now(dt.timezone.utc)
    moments = sorted(moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc) for moment in completed)
    assert moments[-1] < now and moments[-1] - moments[0] > dt.timedelta(days=60)  # spread over months

    # Pre-test (the first attempt) and post-test (the best later one): learners gained.
    pairs = db.execute(select(ModuleProgress.first_score, ModuleProgress.later_score).where(
        ModuleProgress.module == "consular-crisis-response", ModuleProgress.first_score.is_not(None),
        ModuleProgress.later_score.is_not(None))).all()
    assert len(pairs) >= 20
    assert mean(post - pre for pre, post in pairs) > 0.1
    assert any(pre < 0.7 for pre, _ in pairs)  # most fail the pre-test

    # Satisfaction: scale points across the range and some comments; follow-up answers months later.
    values = set(db.scalars(select(SurveyAnswer.value).where(SurveyAnswer.value.is_not(None),
                                                             SurveyAnswer.follow_up.is_(False))))
    assert len(values) >= 4
    assert db.scalar(select(func.count()).where(SurveyAnswer.text != "")) >= 3
    assert db.scalar(select(func.count()).where(SurveyAnswer.follow_up.is_(True))) >= 5

    statuses = set(db.scalars(select(Attendance.status)))
    assert {"present", "absent"} <= statuses

    # A second run finds the programme and adds nothing.
    before = {table: count(db, table) for table in (User, Cohort, Enrolment, StatementRecord, Attendance,
                                                    ModuleProgress, SurveyAnswer)}
    again = seed_programme(db, course, trainers, PUBLIC_URL)
    db.commit()
    assert not again.created and (again.learners, again.statements) == (summary.learners, summary.statements)
    assert {table: count(db, table) for table in before} == before
