"""Fixtures of the cohorts tests (no conftest.py here: pytest would shadow the tests' own): a cohort of the sample
course, trained by the trainer, with the learner in it."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.accounts import services as accounts
from lms.cohorts import services as cohorts

TODAY = dt.date.today()


@pytest.fixture
def cohort(db, users, course):
    """A cohort of the sample course running around today, trained by the trainer, closed to self-enrolment."""
    made = cohorts.create_cohort(db, course, "Dakar spring", TODAY - dt.timedelta(days=10),
                                 TODAY + dt.timedelta(days=60), "Africa/Dakar", "fr", trainers=[users["trainer"]])
    db.commit()
    return made


@pytest.fixture
def other_trainer(db, users):
    """A second trainer, who trains no cohort yet."""
    user = accounts.create_user(db, "trainer2", "trainer2-secret-pw", "trainer", display_name="Other trainer")
    db.commit()
    return user


@pytest.fixture
def in_cohort(db, cohort, users):
    """The learner enrolled in the cohort."""
    enrolment = cohorts.enrol(db, cohort, users["learner"])
    db.commit()
    return enrolment
