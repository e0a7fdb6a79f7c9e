"""Fixtures and helpers of the live-session tests (no conftest.py here: pytest would shadow the tests' own)."""

from __future__ import annotations

import datetime as dt

import pytest

LIVE = "earthquake-tabletop"  # a live module of the sample course (120 minutes)
ZONE = "Europe/Chisinau"
PASSWORD = "a-long-enough-pass"


def make_user(db, username: str, role: str = "learner", timezone: str = "", **profile):
    """Create an account through the accounts service, with a time zone of its own ("" for the platform's)."""
    from lms.accounts import services as accounts

    user = accounts.create_user(db, username, PASSWORD, role, display_name=profile.pop("display_name", username.title()),
                                **profile)
    user.timezone = timezone
    db.flush()
    return user


def log_in(client, username: str, password: str = PASSWORD) -> None:
    from conftest import csrf_token

    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def log_out(client) -> None:
    from conftest import csrf_token

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/courses/")})


@pytest.fixture
def cohort(db, users, course):
    """A cohort in Europe/Chisinau for 2026, trained by the trainer, with the learner enrolled."""
    from lms.cohorts import services as cohorts

    made = cohorts.create_cohort(db, course, "Chisinau 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), ZONE, "en",
                                 trainers=[users["trainer"]])
    cohorts.enrol(db, made, users["learner"])
    db.commit()
    return made
