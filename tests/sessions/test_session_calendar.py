"""A session in Moldova shown to learners in Ghana and Costa Rica either side of Moldova's clock changes: the
times on their page, in the .ics file of the session and in their calendar feed."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest

from conftest import PASSWORDS
from lms.cohorts import services as cohorts
from lms.sessions import services
from session_fixtures import LIVE, cohort, log_in, log_out, make_user  # noqa: F401 (cohort: a fixture)

UTC = dt.timezone.utc

#: (local start in Chisinau, its UTC, shown in Accra, shown in Costa Rica, shown in Chisinau)
BOUNDARIES = {
    "march": [  # clocks go forward on Sunday 29 March 2026, 03:00 -> 04:00 (UTC+2 -> UTC+3)
        (dt.datetime(2026, 3, 28, 10), dt.datetime(2026, 3, 28, 8, tzinfo=UTC), "Sat, Mar 28, 2026, 8:00 AM (GMT+00:00)",
         "Sat, Mar 28, 2026, 2:00 AM (GMT-06:00)", "Sat, Mar 28, 2026, 10:00 AM (GMT+02:00)"),
        (dt.datetime(2026, 3, 30, 10), dt.datetime(2026, 3, 30, 7, tzinfo=UTC), "Mon, Mar 30, 2026, 7:00 AM (GMT+00:00)",
         "Mon, Mar 30, 2026, 1:00 AM (GMT-06:00)", "Mon, Mar 30, 2026, 10:00 AM (GMT+03:00)"),
    ],
    "october": [  # clocks go back on Sunday 25 October 2026, 04:00 -> 03:00 (UTC+3 -> UTC+2)
        (dt.datetime(2026, 10, 24, 18), dt.datetime(2026, 10, 24, 15, tzinfo=UTC),
         "Sat, Oct 24, 2026, 3:00 PM (GMT+00:00)", "Sat, Oct 24, 2026, 9:00 AM (GMT-06:00)",
         "Sat, Oct 24, 2026, 6:00 PM (GMT+03:00)"),
        (dt.datetime(2026, 10, 26, 18), dt.datetime(2026, 10, 26, 16, tzinfo=UTC),
         "Mon, Oct 26, 2026, 4:00 PM (GMT+00:00)", "Mon, Oct 26, 2026, 10:00 AM (GMT-06:00)",
         "Mon, Oct 26, 2026, 6:00 PM (GMT+02:00)"),
    ],
}


def text(response) -> str:
    """A page's text with CLDR's narrow and no-break spaces made plain, as a reader sees them."""
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture
def abroad(db, users, cohort):
    """Two learners of the Chisinau cohort: one in Accra (UTC all year), one in Costa Rica (UTC-6 all year)."""
    made = {"accra": make_user(db, "kofi", timezone="Africa/Accra"),
            "costa_rica": make_user(db, "valeria", timezone="America/Costa_Rica")}
    for user in made.values():
        cohorts.enrol(db, cohort, user)
    db.commit()
    return made


@pytest.mark.parametrize("boundary", ["march", "october"])
def test_learners_see_each_session_in_their_zone_and_the_cohorts(client, db, users, cohort, abroad, boundary):
    made = [services.schedule(db, cohort, LIVE, local, place="Chisinau, Academy room 4",
                              facilitators=[users["trainer"]]) for local, *_ in BOUNDARIES[boundary]]
    db.commit()
    for live, (_, utc, *_) in zip(made, BOUNDARIES[boundary], strict=True):
        assert services.utc(live.starts_at) == utc
    for who, column in (("kofi", 2), ("valeria", 3)):
        log_in(client, who)
        page = text(client.get("/sessions/"))
        for row in BOUNDARIES[boundary]:
            assert f"{row[column]}" in page, (who, row[column])
            assert f"{row[4]}" in page  # the cohort's time beside it
        assert "Europe/Chisinau, the cohort's time" in page
        log_out(client)


@pytest.mark.parametrize("boundary", ["march", "october"])
def test_the_ics_file_of_a_session_starts_at_the_same_instant_in_utc(client, db, users, cohort, abroad, boundary):
    made = [services.schedule(db, cohort, LIVE, local, place="Chisinau, Academy room 4",
                              meeting_url="https://meet.example/tabletop", facilitators=[users["trainer"]])
            for local, *_ in BOUNDARIES[boundary]]
    db.commit()
    log_in(client, "valeria")
    for live, (_, utc, *_) in zip(made, BOUNDARIES[boundary], strict=True):
        response = client.get(f"/sessions/{live.id}.ics")
        assert response.status_code == 200
        assert response.mimetype == "text/calendar"
        assert f"DTSTART:{utc:%Y%m%dT%H%M%S}Z" in response.get_data(as_text=True)  # UTC, no zone to resolve
        events = icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT")
        assert len(events) == 1
        event = events[0]
        assert str(event["UID"]) == live.uuid
        assert event.decoded("DTSTART") == utc
        assert event.decoded("DTEND") == utc + dt.timedelta(minutes=120)
        assert "Tabletop exercise" in str(event["SUMMARY"]) and "Chisinau 2026" in str(event["SUMMARY"])
        assert str(event["LOCATION"]) == "Chisinau, Academy room 4"
        assert str(event["URL"]) == "https://meet.example/tabletop"
        assert f"http://localhost/courses/crisis-management/modules/{LIVE}/" in str(event["DESCRIPTION"])


def test_the_calendar_feed_needs_no_log_in_and_only_its_secret(client, db, users, cohort, abroad):
    first = services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 28, 10), place="Room 4")
    second = services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 30, 10), meeting_url="https://meet.example/x")
    db.commit()
    log_in(client, "kofi")
    feed = re.search(r'class="feed" readonly value="([^"]+)"', client.get("/sessions/").get_data(as_text=True))[1]
    log_out(client)
    assert feed.startswith("http://localhost/sessions/feed/")  # the address the page was asked for
    path = feed.removeprefix("http://localhost")
    response = client.get(path)
    assert response.status_code == 200
    events = icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT")
    assert {str(e["UID"]): e.decoded("DTSTART") for e in events} == {
        first.uuid: dt.datetime(2026, 3, 28, 8, tzinfo=UTC), second.uuid: dt.datetime(2026, 3, 30, 7, tzinfo=UTC)}
    assert client.get(path.replace(".ics", "x.ics")).status_code == 404  # a changed secret is no feed
    assert client.get("/sessions/feed/not-a-token.ics").status_code == 404
    # The token of another purpose, signed with the same key, opens nothing either.
    forged = services.URLSafeSerializer("test-secret", salt="another purpose").dumps(abroad["accra"].actor_id)
    assert client.get(f"/sessions/feed/{forged}.ics").status_code == 404


def test_a_session_of_another_cohort_is_not_yours_to_download(client, db, users, course, cohort):
    outsider = make_user(db, "outsider")
    other = cohorts.create_cohort(db, course, "Accra 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                  "Africa/Accra", "en")
    cohorts.enrol(db, other, outsider)
    live = services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 28, 10), place="Room 4")
    db.commit()
    log_in(client, "outsider")
    assert client.get(f"/sessions/{live.id}.ics").status_code == 403
    assert "Tabletop" not in client.get("/sessions/").get_data(as_text=True)
    log_out(client)
    log_in(client, "learner", PASSWORDS["learner"])
    assert client.get(f"/sessions/{live.id}.ics").status_code == 200


def test_times_follow_the_interface_language(client, db, users, cohort, abroad):
    services.schedule(db, cohort, LIVE, dt.datetime(2026, 3, 28, 10), place="Room 4")
    db.commit()
    log_in(client, "kofi")
    assert "sam. 28 mars 2026, 08:00 (UTC+00:00)" in text(client.get("/sessions/?lang=fr"))
