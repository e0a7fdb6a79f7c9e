"""Every page a learner or M&E officer opens passes axe-core's checks, and can be used with the keyboard alone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browser_support import log_in, wait_for_empty_outbox
from conftest import PASSWORDS
from test_saved_module import ANSWERS, answer_quiz
from test_player import COURSE, MODULE, PAGES

MIGRANTS = f"{COURSE}/modules/migrants-in-crisis"


def violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_learner_pages_pass_axe(live_server, browser_page, enrolled, prerequisites_done, language):
    page = browser_page
    page.goto(f"{live_server}/auth/login?lang={language}")
    assert violations(page) == []
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    for url in ["/courses/", f"{COURSE}/", f"{MODULE}/", f"{MODULE}/pages/{PAGES[0]}", f"{MODULE}/quiz",
                f"{MIGRANTS}/survey", f"{MIGRANTS}/scenarios/valdoria/", f"{COURSE}/modules/earthquake-tabletop/"]:
        page.goto(f"{live_server}{url}")
        assert violations(page) == [], url
    page.goto(f"{live_server}{MODULE}/quiz")
    page.click("form.quiz button")  # nothing answered: the errors are shown
    expect(page.locator("p.error[role=alert]")).to_be_visible()
    assert violations(page) == []
    answer_quiz(page, ANSWERS)
    expect(page.locator("#result-wardens")).to_be_visible()  # the server's result page, once it has loaded
    assert violations(page) == []
    # Graded on the device, with the network off: the result shown in the page.
    page.goto(f"{live_server}{MODULE}/quiz")
    page.wait_for_selector("html[data-recorded]", state="attached")
    page.context.set_offline(True)
    answer_quiz(page, ANSWERS)
    expect(page.locator("h2:focus")).to_be_visible()
    assert violations(page) == []
    page.context.set_offline(False)
    wait_for_empty_outbox(page)  # and the answers graded on the device are sent once the network is back


def test_reports_pass_axe(live_server, browser_page, users, course):
    page = browser_page
    log_in(page, live_server, "analyst", PASSWORDS["analyst"])
    page.goto(f"{live_server}/reports/")
    assert violations(page) == []
    page.goto(f"{live_server}/reports/crisis-management/")
    assert violations(page) == []
    page.goto(f"{live_server}/reports/crisis-management/?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("figure.chart svg[role=img]").count() >= 5
    assert violations(page) == []


def test_the_keyboard_reaches_every_control_and_shows_where_it_is(live_server, browser_page, enrolled,
                                                                  prerequisites_done):
    page = browser_page
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}{MODULE}/quiz")
    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
            return {tag: e.tagName, name: e.name || e.textContent.trim().slice(0, 20),
                    outline: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2}; }""")
        seen.append(focused)
        if focused["tag"] == "BUTTON" and focused["name"] == "Submit answers":
            break
    assert seen[-1]["name"] == "Submit answers"  # the form is reached, question after question
    assert all(f["outline"] for f in seen), [f for f in seen if not f["outline"]]
