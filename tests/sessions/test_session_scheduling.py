"""Scheduling live sessions: wall times of the cohort's zone kept in UTC, and every refusal a clear form error."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import PASSWORDS, csrf_token
from lms.cohorts import services as cohorts
from lms.sessions import services
from session_fixtures import LIVE, cohort, log_in, log_out, make_user  # noqa: F401 (cohort: a fixture)

UTC = dt.timezone.utc


def test_a_wall_time_of_the_cohort_is_kept_in_utc_either_side_of_the_clock_change(db, users, cohort):
    before = services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 28, 10, 0), place="Chisinau, room 4",
                               facilitators=[users["trainer"]])
    after = services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 30, 10, 0), meeting_url="https://meet.example/x")
    db.commit()
    db.expire_all()
    assert services.utc(before.starts_at) == dt.datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # UTC+2, winter
    assert services.utc(after.starts_at) == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # UTC+3, summer
    assert before.duration == 120  # the module's
    assert [p.username for p in before.facilitators] == ["trainer"]


def test_a_time_the_clocks_skip_is_refused(db, cohort):
    with pytest.raises(services.SessionError, match="does not exist in Europe/Chisinau"):
        services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 29, 2, 30), place="Room 4")


def test_a_time_that_happens_twice_needs_to_say_which(db, cohort):
    with pytest.raises(services.AmbiguousTime, match=r"happens twice.*UTC\+0300.*UTC\+0200"):
        services.schedule(db, cohort, LIVE, dt.datetime(2026, 10, 25, 2, 30), place="Room 4")
    first = services.schedule(db, cohort, LIVE, dt.datetime(2026, 10, 25, 2, 30), place="Room 4", fold=0)
    second = services.schedule(db, cohort, LIVE, dt.datetime(2026, 10, 25, 2, 30), place="Room 4", fold=1)
    assert services.utc(second.starts_at) - services.utc(first.starts_at) == dt.timedelta(hours=1)


@pytest.mark.parametrize(("module", "start", "extra", "reason"), [
    (LIVE, dt.datetime(2027, 1, 2, 10, 0), {"place": "Room 4"}, "within the cohort's dates"),
    (LIVE, dt.datetime(2026, 12, 31, 23, 0), {"place": "Room 4"}, "within the cohort's dates"),  # ends in 2027
    ("consular-crisis-response", dt.datetime(2026, 5, 1, 10, 0), {"place": "Room 4"}, "self-paced module"),
    ("no-such-module", dt.datetime(2026, 5, 1, 10, 0), {"place": "Room 4"}, "no module called"),
    (LIVE, dt.datetime(2026, 5, 1, 10, 0), {}, "place, an online-meeting link"),
    (LIVE, dt.datetime(2026, 5, 1, 10, 0), {"meeting_url": "javascript:alert(1)"}, "https://"),
    (LIVE, dt.datetime(2026, 5, 1, 10, 0), {"place": "Room 4", "duration": 0}, "from 1 to 1440 minutes"),
])
def test_what_cannot_be_scheduled_is_refused_with_its_reason(db, cohort, module, start, extra, reason):
    with pytest.raises(services.SessionError, match=re.escape(reason)):
        services.schedule(db, cohort, module, start, **extra)


def test_facilitators_are_trainers_of_the_cohort_or_admins(db, users, cohort):
    with pytest.raises(services.SessionError, match="not a trainer of this cohort"):
        services.schedule(db, cohort, LIVE, dt.datetime(2026, 5, 1, 10), place="Room 4",
                          facilitators=[users["learner"]])
    live = services.schedule(db, cohort, LIVE, dt.datetime(2026, 5, 1, 10), place="Room 4",
                             facilitators=[users["admin"], users["trainer"]])
    assert {p.username for p in live.facilitators} == {"admin", "trainer"}


def form(client, url, **fields):
    data = {"module": LIVE, "date": "2026-05-04", "time": "10:00", "duration": "", "place": "Chisinau, room 4",
            "meeting_url": "", "facilitators": [], "csrf_token": csrf_token(client, url)} | fields
    return client.post(url, data=data)


def test_the_schedule_form_makes_a_session_and_lists_it(client, auth, users, cohort):
    auth.login("trainer")
    url = f"/sessions/cohorts/{cohort.id}/schedule"
    page = client.get(url).get_data(as_text=True)
    assert "Tabletop exercise" in page and "Europe/Chisinau" in page
    response = form(client, url, facilitators=[str(users["trainer"].id)])
    assert response.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "Mon, May 4, 2026, 10:00" in page and "GMT+03:00" in page and "Chisinau, room 4" in page


@pytest.mark.parametrize(("fields", "reason"), [
    ({"date": "2026-03-29", "time": "02:30"}, "does not exist in Europe/Chisinau"),
    ({"date": "2027-02-01"}, "within the cohort&#39;s dates"),
    ({"date": "2026-10-25", "time": "02:30"}, "happens twice"),
    ({"meeting_url": "ftp://files.example/x", "place": ""}, "https://"),
    ({"date": "not a date"}, "Date"),
])
def test_the_schedule_form_refuses_with_a_400_and_the_reason(client, auth, cohort, fields, reason):
    auth.login("trainer")
    url = f"/sessions/cohorts/{cohort.id}/schedule"
    response = form(client, url, **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert reason in page
    assert 'class="error"' in page
    if reason == "happens twice":  # the form now asks which one
        assert 'name="fold"' in page
        assert form(client, url, fold="1", **fields).status_code == 303


def test_only_the_cohorts_trainers_and_admins_schedule(client, db, users, course, cohort):
    other = make_user(db, "other-trainer", "trainer")
    cohorts.create_cohort(db, course, "Accra 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "Africa/Accra", "en",
                          trainers=[other])
    db.commit()
    log_in(client, "other-trainer")
    url = f"/sessions/cohorts/{cohort.id}/schedule"
    assert client.get(url).status_code == 403
    log_out(client)
    log_in(client, "admin", PASSWORDS["admin"])
    assert client.get(url).status_code == 200
    assert client.get("/sessions/cohorts/9999/schedule").status_code == 404
