"""A trainer takes attendance on a phone (390x844), with JavaScript off and then on: thirty learners are thirty
taps and one submit, the sheet fits the screen, and what the trainer sees afterwards is what is stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from browser_support import log_in
from conftest import PASSWORDS
from lms.accounts import services as accounts
from lms.cohorts import services as cohorts
from lms.cohorts.models import Attendance
from lms.sessions import services

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
LEARNERS = 30
STATUSES = ("present", "late", "excused", "absent")


@pytest.fixture
def sheet(db, users, course):
    """A session of a cohort of thirty learners, trained by the trainer and a second trainer."""
    second = accounts.create_user(db, "second", "second-trainer-pw", "trainer", display_name="Second Trainer")
    cohort = cohorts.create_cohort(db, course, "Chisinau 2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                   "Europe/Chisinau", "en", trainers=[users["trainer"], second])
    learners = []
    for n in range(LEARNERS):
        # Long names, as officials' full names often are: the sheet must still fit the phone's width.
        user = accounts.create_user(db, f"learner{n:02d}", None, "learner",
                                    display_name=f"Learner {n:02d} Alexandrovna-Constantinescu de la Fuente")
        cohorts.enrol(db, cohort, user)
        learners.append(user)
    live = services.schedule(db, cohort, "earthquake-tabletop", dt.datetime(2026, 3, 28, 10), place="Room 4",
                             facilitators=[users["trainer"]])
    db.commit()
    return live, learners


def stored(db, live) -> dict[str, tuple[str, str]]:
    db.expire_all()
    return {a.user.username: (a.status, a.marked_by.username)
            for a in db.scalars(select(Attendance).where(Attendance.session_id == live.id))}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("javascript", [False, True])
def test_a_trainer_marks_thirty_learners_on_a_phone(chromium, live_server, db, users, sheet, javascript):
    live, learners = sheet
    context = chromium.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        log_in(page, live_server, "trainer", PASSWORDS["trainer"])
        url = f"{live_server}/sessions/{live.id}/attendance"
        page.goto(url)
        assert fits(page)
        wanted = {user.username: STATUSES[n % 4] for n, user in enumerate(learners)}
        requests = []
        page.on("request", lambda request: request.resource_type == "document" and requests.append(request.method))
        for user in learners:  # one tap each, on the choice's label
            label = page.locator(f"label:has(input[name=s{user.id}][value={wanted[user.username]}])")
            box = label.bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390  # a finger's target
            label.tap()
        page.locator("form.sheet button").tap()
        page.wait_for_selector("p.flash")
        assert requests == ["POST"]  # one request: the post, answered with the sheet
        assert page.locator("p.flash").inner_text() == f"{LEARNERS} marks saved."
        assert stored(db, live) == {name: (status, "trainer") for name, status in wanted.items()}
        for user in learners:  # what the trainer sees afterwards is what is stored
            assert page.locator(f"input[name=s{user.id}][value={wanted[user.username]}]").is_checked()
        assert page.get_by_text("Marked by Demo trainer").count() == LEARNERS
        assert fits(page)
        # A second trainer changes one learner later: the change wins, and the sheet says who made it.
        page.context.clear_cookies()
        log_in(page, live_server, "second", "second-trainer-pw")
        page.goto(url)
        first = learners[0]
        page.locator(f"label:has(input[name=s{first.id}][value=late])").tap()
        page.locator(f"input[name=r{first.id}]").fill("arrived 10:40")
        page.locator("form.sheet button").tap()
        page.wait_for_selector("p.flash")
        assert page.locator("p.flash").inner_text() == "1 mark saved."
        row = page.locator("fieldset", has=page.locator(f"input[name=s{first.id}]"))
        assert "Marked by Second Trainer" in row.inner_text()
        assert stored(db, live)[first.username] == ("late", "second")
        assert stored(db, live)[learners[1].username] == (wanted[learners[1].username], "trainer")
        assert fits(page)
    finally:
        context.close()


def test_the_programme_screens_fit_a_phone(chromium, live_server, db, users, sheet):
    """The roster of thirty, the schedule and the people screens an officer opens on a phone scroll only downwards."""
    live, _learners = sheet
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server, "admin", PASSWORDS["admin"])
        for path in (f"/cohorts/{live.cohort_id}/", f"/sessions/cohorts/{live.cohort_id}/schedule",
                     "/admin/accounts/", "/admin/accounts/new", "/admin/accounts/import", "/account/profile"):
            assert page.goto(live_server + path).status == 200, path
            assert fits(page), path
    finally:
        context.close()
