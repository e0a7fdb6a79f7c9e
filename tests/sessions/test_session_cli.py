"""``passerelle cohorts schedule`` and ``passerelle cohorts sessions``: live sessions scheduled from scripts."""

from __future__ import annotations

import datetime as dt

import pytest

from lms.cohorts import services as cohorts
from lms.sessions import services


@pytest.fixture
def chisinau(db, users, course):
    """A cohort in Europe/Chisinau through 2026, trained by the trainer."""
    made = cohorts.create_cohort(db, course, "Chisinau 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                 "Europe/Chisinau", "en", trainers=[users["trainer"]])
    db.commit()
    return made


def test_a_session_scheduled_from_the_cli_is_kept_in_utc_and_listed(runner, db, chisinau):
    result = runner.invoke(args=["cohorts", "schedule", str(chisinau.id), "earthquake-tabletop", "2026-03-28 10:00",
                                 "--place", "Room 4", "--facilitator", "trainer"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    [live] = chisinau.sessions
    assert services.utc(live.starts_at) == dt.datetime(2026, 3, 28, 8, 0, tzinfo=dt.timezone.utc)  # EET, UTC+2
    assert live.duration == 120 and live.place == "Room 4"  # the module's duration by default
    assert [person.username for person in live.facilitators] == ["trainer"]
    listing = runner.invoke(args=["cohorts", "sessions", str(chisinau.id)])
    assert listing.exit_code == 0, listing.output
    assert (f"{live.id}\tearthquake-tabletop\t2026-03-28 08:00 UTC\t2026-03-28 10:00 Europe/Chisinau\t120 min\t"
            "Room 4\tfacilitators trainer") in listing.output


def test_a_time_that_happens_twice_is_scheduled_once_the_cli_says_which(runner, db, chisinau):
    """On 25 October 2026 Moldova's clocks go back from 03:00 to 02:00: 02:30 happens twice."""
    args = ["cohorts", "schedule", str(chisinau.id), "earthquake-tabletop", "2026-10-25 02:30", "--place", "Online"]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "happens twice in Europe/Chisinau" in refused.output
    result = runner.invoke(args=args + ["--fold", "second"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    [live] = chisinau.sessions
    assert services.utc(live.starts_at) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.timezone.utc)  # EET again


@pytest.mark.parametrize("when, extra, message", [
    ("2026-03-29 02:30", [], "does not exist in Europe/Chisinau"),  # the clocks jump from 02:00 to 03:00
    ("2027-01-05 10:00", [], "within the cohort's dates"),
    ("tomorrow at ten", [], "is not a date and time"),
    ("2026-03-28T10:00+02:00", [], "without an offset"),
    ("2026-03-28 10:00", ["--facilitator", "nobody"], "there is no account 'nobody'"),
    ("2026-03-28 10:00", ["--facilitator", "learner"], "is not a trainer of this cohort"),
])
def test_what_cannot_be_scheduled_is_a_plain_sentence_and_nothing_is_stored(runner, db, chisinau, when, extra,
                                                                            message):
    result = runner.invoke(args=["cohorts", "schedule", str(chisinau.id), "earthquake-tabletop", when,
                                 "--place", "Room 4", *extra])
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    db.expire_all()
    assert chisinau.sessions == []


def test_a_self_paced_module_or_an_unknown_cohort_is_refused(runner, chisinau):
    self_paced = runner.invoke(args=["cohorts", "schedule", str(chisinau.id), "consular-crisis-response",
                                     "2026-03-28 10:00", "--place", "Room 4"])
    assert self_paced.exit_code != 0 and "only live modules have sessions" in self_paced.output
    unknown = runner.invoke(args=["cohorts", "sessions", "999"])
    assert unknown.exit_code != 0 and "there is no cohort 999" in unknown.output
