"""Fixtures of the certificates tests (no conftest.py here: pytest would shadow the tests' own): the learner in a
cohort, who completes the sample course and so earns its certificate."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import PUBLIC_URL
from learning_helpers import finish_course
from lms.certificates import services as certificates
from lms.cohorts import services as cohorts
from lms.services import learning

TODAY = dt.date.today()
STARTS, ENDS = TODAY - dt.timedelta(days=20), TODAY + dt.timedelta(days=40)


@pytest.fixture
def in_cohort(db, users, course):
    """The learner in the Tunis cohort of the sample course."""
    cohort = cohorts.create_cohort(db, course, "Tunis autumn", STARTS, ENDS, "Africa/Tunis", "fr",
                                   trainers=[users["trainer"]])
    enrolment = cohorts.enrol(db, cohort, users["learner"])
    db.commit()
    return enrolment


@pytest.fixture
def completed(app, db, in_cohort, users):
    """The learner, in the Tunis cohort, has completed the sample course, as the LMS recorded it."""
    course = in_cohort.course.current.model
    finish_course(db, learning.enrolled_learner(in_cohort, course.text_language, PUBLIC_URL), course)
    return in_cohort


@pytest.fixture
def certificate(db, completed, users):
    """The certificate the learner earned by completing the course."""
    return certificates.certificate_for(db, users["learner"], completed.course)
