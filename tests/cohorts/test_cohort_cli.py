"""``passerelle cohorts`` and the demonstration's programme, through the CLI runner."""

from __future__ import annotations

import datetime as dt

import pytest

from cohort_fixtures import cohort, other_trainer  # noqa: F401 (fixtures)
from conftest import PUBLIC_URL
from lms.cohorts import services as cohorts
from lms.cohorts.models import ATTENDED
from lms.services import learning
from lms.sessions import services as sessions


def test_create_enrol_and_list(runner, db, users, course, other_trainer):
    result = runner.invoke(args=["cohorts", "create", "crisis-management", "Chisinau 2025", "--starts", "2025-03-01",
                                 "--ends", "2025-06-30", "--timezone", "Europe/Chisinau", "--language", "ru",
                                 "--self-enrol", "--trainer", "trainer", "--trainer", "trainer2"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    [made] = cohorts.list_cohorts(db)
    assert f"created cohort {made.id} Chisinau 2025 of crisis-management" in result.output
    assert (made.starts_on, made.ends_on, made.timezone, made.language, made.self_enrol) == (
        dt.date(2025, 3, 1), dt.date(2025, 6, 30), "Europe/Chisinau", "ru", True)
    assert [t.username for t in made.trainers] == ["trainer", "trainer2"]  # by name: Demo trainer, Other trainer
    result = runner.invoke(args=["cohorts", "enrol", str(made.id), "learner", "analyst"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert {u.username for u in cohorts.learners(db, made)} == {"learner", "analyst"}
    listing = runner.invoke(args=["cohorts", "list"])
    assert listing.exit_code == 0
    assert (f"{made.id}\tcrisis-management\tChisinau 2025\t2025-03-01..2025-06-30\tEurope/Chisinau\tru\t"
            "2 learners\ttrainers trainer,trainer2 self-enrol") in listing.output


@pytest.mark.parametrize("args, message", [
    (["nowhere", "X", "--starts", "2025-01-01", "--ends", "2025-02-01", "--timezone", "UTC"],
     "there is no course 'nowhere'"),
    (["crisis-management", "X", "--starts", "2025-31-01", "--ends", "2025-02-01", "--timezone", "UTC"],
     "--starts '2025-31-01' is not a date; write it as YYYY-MM-DD."),
    (["crisis-management", "X", "--starts", "2025-03-01", "--ends", "2025-02-01", "--timezone", "UTC"],
     "The cohort cannot end (2025-02-01) before it starts (2025-03-01)."),
    (["crisis-management", "X", "--starts", "2025-01-01", "--ends", "2025-02-01", "--timezone", "Accra"],
     "Accra is not a time zone"),
    (["crisis-management", "X", "--starts", "2025-01-01", "--ends", "2025-02-01", "--timezone", "UTC",
      "--language", "de"], "Unknown language de"),
    (["crisis-management", "X", "--starts", "2025-01-01", "--ends", "2025-02-01", "--timezone", "UTC",
      "--trainer", "nobody"], "there is no account 'nobody'"),
    (["crisis-management", "X", "--starts", "2025-01-01", "--ends", "2025-02-01", "--timezone", "UTC",
      "--trainer", "learner"], "Demo learner cannot train a cohort"),
])
def test_create_mistakes_are_plain_sentences(runner, db, users, course, args, message):
    result = runner.invoke(args=["cohorts", "create", *args])
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output and "Traceback" not in result.output
    assert cohorts.list_cohorts(db) == []


def test_enrol_mistakes_enrol_nobody(runner, db, users, cohort):
    unknown = runner.invoke(args=["cohorts", "enrol", "999", "learner"])
    assert unknown.exit_code == 1 and "there is no cohort 999" in unknown.output
    users["analyst"].active = False
    db.commit()
    refused = runner.invoke(args=["cohorts", "enrol", str(cohort.id), "learner", "analyst"])
    assert refused.exit_code == 1 and "nobody was enrolled: Demo analyst's account is deactivated." in refused.output
    missing = runner.invoke(args=["cohorts", "enrol", str(cohort.id), "learner", "ghost"])
    assert missing.exit_code == 1 and "there is no account 'ghost'" in missing.output
    db.expire_all()
    assert cohorts.learners(db, cohort) == []


def test_demo_sets_up_a_programme(runner, db, tmp_path):
    result = runner.invoke(args=["demo", "-o", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "Passerelle is ready at" in result.output
    assert "trainer  username trainer2 password facilitator-passerelle" in result.output
    assert "M&E demo: 3 cohorts, 60 learners, " in result.output and "(already there)" not in result.output
    again = runner.invoke(args=["demo", "-o", str(tmp_path / "dist")])  # a second run changes nothing
    assert again.exit_code == 0, again.output
    assert "M&E demo: 3 cohorts, 60 learners, " in again.output and "(already there)" in again.output
    db.expire_all()
    [cohort] = [c for c in cohorts.list_cohorts(db) if not c.name.endswith("(demo)")]  # beside the M&E programme's
    assert [t.username for t in cohort.trainers] == ["trainer", "trainer2"]
    learners = cohorts.learners(db, cohort)
    assert len(learners) == 6
    assert len({u.country for u in learners}) >= 5 and len({u.language for u in learners}) == 5
    assert len({u.timezone for u in learners}) >= 5 and len({u.gender for u in learners}) == 4
    now = dt.datetime.now(dt.timezone.utc)
    past, upcoming = cohort.sessions
    assert sessions.utc(past.starts_at) < now < sessions.utc(upcoming.starts_at)
    assert {t.username for t in past.facilitators} == {"trainer", "trainer2"}
    marks = {a.user.username: a.status for a in past.marks}
    assert len(marks) == 6 and marks["learner"] == "present" and upcoming.marks == []
    # The live module counts as completed for those who attended, as the LMS records it.
    edition = cohort.course.current.model
    live = edition.module(past.module)
    for user in learners:
        enrolment = next(e for e in cohorts.enrolments(db, cohort) if e.user_id == user.id)
        done = learning.progress(db, learning.enrolled_learner(enrolment, "en", PUBLIC_URL), live).completed
        assert done == (marks[user.username] in ATTENDED), user.username
