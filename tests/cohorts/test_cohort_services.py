"""The cohorts service: creating cohorts with valid values only, enrolling, who trains what."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.cohorts import services as cohorts
from lms.models import Enrolment
from lms.services import NotFound, catalog

from cohort_fixtures import cohort, in_cohort, other_trainer  # noqa: F401 (fixtures)

START, END = dt.date(2025, 3, 1), dt.date(2025, 6, 30)


def test_create_cohort_keeps_its_values(db, users, course):
    cohort = cohorts.create_cohort(db, course, "  Chisinau 2025 ", START, END, "Europe/Chisinau", "ru",
                                   self_enrol=True, trainers=[users["trainer"], users["admin"], users["trainer"]])
    db.commit()
    db.expire_all()
    cohort = cohorts.get_cohort(db, cohort.id)
    assert (cohort.name, cohort.starts_on, cohort.ends_on, cohort.timezone, cohort.language, cohort.self_enrol) == (
        "Chisinau 2025", START, END, "Europe/Chisinau", "ru", True)
    assert [t.username for t in cohort.trainers] == ["admin", "trainer"]  # by display name, once each
    assert cohort.course.slug == course.slug


@pytest.mark.parametrize("change, field, words", [
    ({"name": "  "}, "name", "name is required"),
    ({"name": "x" * 201}, "name", "200"),
    ({"ends_on": dt.date(2025, 2, 28)}, "ends_on", "before it starts"),
    ({"timezone": "Europe/Atlantis"}, "timezone", "Europe/Atlantis is not a time zone"),
    ({"timezone": ""}, "timezone", "not a time zone"),
    ({"language": "de"}, "language", "Unknown language de"),
])
def test_create_cohort_refuses_wrong_values(db, users, course, change, field, words):
    values = {"name": "Accra", "starts_on": START, "ends_on": END, "timezone": "Africa/Accra", "language": "en"}
    values.update(change)
    with pytest.raises(cohorts.CohortError) as error:
        cohorts.create_cohort(db, course, **values)
    assert error.value.field == field
    assert words in str(error.value)
    db.rollback()
    assert cohorts.list_cohorts(db) == []


@pytest.mark.parametrize("role", ["learner", "analyst"])
def test_only_trainers_and_admins_train_a_cohort(db, users, course, role):
    with pytest.raises(cohorts.CohortError, match="only trainers and admins") as error:
        cohorts.create_cohort(db, course, "Accra", START, END, "Africa/Accra", "en",
                              trainers=[users["trainer"], users[role]])
    assert error.value.field == "trainers"


def test_enrol_creates_or_moves_the_enrolment_keeping_its_registration(db, users, course):
    first = cohorts.create_cohort(db, course, "First", START, END, "UTC", "en")
    second = cohorts.create_cohort(db, course, "Second", START, END, "UTC", "en")
    before = catalog.enrol(db, users["learner"], course)  # enrolled before the course had cohorts
    registration = before.registration
    enrolment = cohorts.enrol(db, first, users["learner"])
    assert enrolment.id == before.id and enrolment.cohort is first
    moved = cohorts.enrol(db, second, users["learner"])
    db.commit()
    assert moved.id == before.id and moved.registration == registration and moved.cohort_id == second.id
    assert db.query(Enrolment).count() == 1
    assert cohorts.learners(db, first) == [] and cohorts.learners(db, second) == [users["learner"]]
    fresh = cohorts.enrol(db, first, users["analyst"])
    assert fresh.course_id == course.id and fresh.registration != registration


def test_a_deactivated_account_is_not_enrolled(db, users, course):
    cohort = cohorts.create_cohort(db, course, "First", START, END, "UTC", "en")
    users["learner"].active = False
    with pytest.raises(cohorts.CohortError, match="deactivated"):
        cohorts.enrol(db, cohort, users["learner"])


def test_learners_are_listed_by_name(db, users, course, cohort):
    for role in ("learner", "analyst"):
        cohorts.enrol(db, cohort, users[role])
    assert [u.username for u in cohorts.learners(db, cohort)] == ["analyst", "learner"]  # Demo analyst, Demo learner


def test_trainers_of_a_cohort(db, users, course, cohort, other_trainer):
    assert cohorts.is_trainer(cohort, users["trainer"])
    assert cohorts.is_trainer(cohort, users["admin"])  # every cohort
    assert not cohorts.is_trainer(cohort, other_trainer)
    assert not cohorts.is_trainer(cohort, users["learner"])
    users["trainer"].active = False
    assert not cohorts.is_trainer(cohort, users["trainer"])


def test_cohorts_for_trainer_lists_only_theirs(db, users, course, cohort, other_trainer):
    theirs = cohorts.create_cohort(db, course, "Theirs", START, END, "UTC", "en", trainers=[other_trainer])
    assert cohorts.cohorts_for_trainer(db, other_trainer) == [theirs]
    assert cohorts.cohorts_for_trainer(db, users["trainer"]) == [cohort]
    assert set(cohorts.cohorts_for_trainer(db, users["admin"])) == {cohort, theirs}
    assert cohorts.cohorts_for_trainer(db, users["learner"]) == []


def test_cohort_iri_is_stable_and_per_cohort(db, course, cohort):
    other = cohorts.create_cohort(db, course, "Other", START, END, "UTC", "en")
    iri = cohorts.cohort_iri("https://lms.example.test/", cohort)
    assert iri == f"https://lms.example.test/cohorts/{cohort.uuid}"
    assert iri != cohorts.cohort_iri("https://lms.example.test/", other)
    db.expire_all()
    assert cohorts.cohort_iri("https://lms.example.test/", cohorts.get_cohort(db, cohort.id)) == iri


def test_get_cohort_of_no_cohort_is_not_found(db):
    with pytest.raises(NotFound):
        cohorts.get_cohort(db, 999)


def test_only_open_cohorts_are_joined(db, users, course):
    today = dt.date(2025, 4, 1)
    closed = cohorts.create_cohort(db, course, "Closed", START, END, "UTC", "en")
    ended = cohorts.create_cohort(db, course, "Ended", dt.date(2025, 1, 1), dt.date(2025, 3, 31), "UTC", "en",
                                  self_enrol=True)
    open_ = cohorts.create_cohort(db, course, "Open", START, END, "UTC", "en", self_enrol=True)
    assert cohorts.open_cohorts(db, course, today) == [open_]
    for cohort in (closed, ended):
        with pytest.raises(cohorts.CohortError, match="not open to enrolment"):
            cohorts.join(db, cohort, users["learner"], today)
    assert cohorts.join(db, open_, users["learner"], today).cohort is open_
