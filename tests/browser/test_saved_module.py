"""A module saved for offline use in Chromium: read and answered with the network off, sent once it is back."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import expect

from browser_support import log_in, outbox_count, wait_for_empty_outbox
from conftest import PASSWORDS, PUBLIC_URL
from lms.services.learning import authority
from test_player import COURSE, MODULE, MODULE_IRI, PAGES, SESSION_ID, learner_statements
from xapi.statements import VERBS

LMS = authority(PUBLIC_URL)  # what the LMS graded or recorded itself
MIGRANTS = f"{COURSE}/modules/migrants-in-crisis"
MIGRANTS_IRI = MODULE_IRI.replace("consular-crisis-response", "migrants-in-crisis")

# The sample quiz answered by a learner who knows the module; "warden" is one of the accepted words.
ANSWERS = {"crisis-lead": [1], "registration-value": [0, 1], "registration-compulsory": [1],
           "check-messages": "2", "wardens": " Warden ", "confirm-death": [1], "plan-testing": [1]}


def answer_quiz(page, answers: dict) -> None:
    for question, answer in answers.items():
        if isinstance(answer, str):
            page.fill(f'input[name="q-{question}"]', answer)
        else:
            for index in answer:
                page.check(f'input[name="q-{question}"][value="{index}"]')
    page.click("form.quiz button")


def test_a_saved_module_is_read_and_answered_offline_and_every_statement_arrives_once(
        live_server, http_server, browser_page, db, users, enrolled, prerequisites_done):
    page, context = browser_page, browser_page.context
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}{COURSE}/")
    page.click(f'a[href="{MODULE}/launch"]')
    page.wait_for_url(f"{live_server}{MODULE}/")
    page.wait_for_selector("html[data-recorded]", state="attached")

    save = page.locator("#save button")
    assert re.fullmatch(r"Save for offline \(\d+ kB\)", save.inner_text())  # the size, before anything is fetched
    save.click()
    page.wait_for_selector("#save [role=status]:has-text('Saved')")
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    # The network goes: the browser says so, and nothing reaches the server, not even the service worker.
    # Even an LRS answer found in the cache is not used: the LRS is only ever reached over the network.
    page.evaluate("caches.open('passerelle').then(c => c.put('/xapi/about', new Response('{}')))")
    context.set_offline(True)
    http_server.cut = True
    assert page.evaluate("fetch('/xapi/about').then(() => 'answered', () => 'failed')") == "failed"
    for name in PAGES:
        page.goto(f"{live_server}{MODULE}/pages/{name}")
        assert page.locator("h1").is_visible()
        page.wait_for_selector("html[data-recorded]", state="attached")
    page.goto(f"{live_server}{MODULE}/quiz")
    answer_quiz(page, ANSWERS)
    assert page.locator("h2:focus").inner_text() == "Passed"  # graded on the device, the outcome announced
    assert page.locator("#result-wardens strong").inner_text() == "correct"
    assert "Your score: 7 / 7 (100%)" in page.locator(".score").inner_text()
    waiting = len(PAGES) + len(ANSWERS) + 1  # the pages, the answers and "passed" wait on the device
    expect(page.locator("#outbox")).to_have_text(f"Answers waiting to be sent: {waiting}")
    assert outbox_count(page) == waiting
    page.close()

    # Back online, in a new tab: the player sends what the closed tab kept.
    context.set_offline(False)
    http_server.cut = False
    page = context.new_page()
    page.goto(f"{live_server}{MODULE}/")
    wait_for_empty_outbox(page)

    statements = learner_statements(db, users["learner"])
    made_here = [s for s in statements if s["verb"]["id"] in
                 (VERBS["initialized"], VERBS["experienced"], VERBS["answered"], VERBS["passed"])
                 and s["authority"] != LMS]
    assert len(made_here) == len({s["id"] for s in made_here}) == 1 + waiting  # each once, with "initialized"
    verbs = Counter(s["verb"]["id"].rsplit("/", 1)[-1] for s in made_here)
    assert verbs == {"initialized": 1, "experienced": len(PAGES), "answered": len(ANSWERS), "passed": 1}
    passed = next(s for s in made_here if s["verb"]["id"] == VERBS["passed"])
    assert passed["object"]["id"] == f"{MODULE_IRI}/quiz"
    assert passed["result"]["score"] == {"raw": 7, "min": 0, "max": 7, "scaled": 1}
    session = next(s for s in statements if s["verb"]["id"] == VERBS["launched"])["context"]["extensions"][SESSION_ID]
    assert {s["context"]["extensions"][SESSION_ID] for s in made_here} == {session}
    wardens = next(s for s in made_here if s["object"]["id"].endswith("/questions/wardens"))
    assert wardens["result"] == {"response": "Warden", "success": True}
    # The server graded the answers again: its own "passed", not the device's, earned the module, recorded once.
    [graded] = [s for s in statements if s["verb"]["id"] == VERBS["passed"] and s["authority"] == LMS]
    assert graded["result"]["score"] == {"raw": 7, "min": 0, "max": 7, "scaled": 1.0}
    completed = [s for s in statements if s["verb"]["id"] == VERBS["completed"] and s["object"]["id"] == MODULE_IRI]
    assert len(completed) == 1 and completed[0]["authority"] == LMS
    page.reload()
    assert page.locator("text=You have completed this module.").is_visible()


def test_a_test_answered_offline_waits_on_the_device_and_is_graded_when_it_arrives(
        live_server, browser_page, db, users, enrolled, prerequisites_done):
    """A quiz with ``graded: server`` (the sample's last module): no key on the page, no result on the device."""
    page, context = browser_page, browser_page.context
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}{MIGRANTS}/quiz")
    page.wait_for_selector("html[data-recorded]", state="attached")
    context.set_offline(True)
    answer_quiz(page, {"reach": [0], "partners": "4"})
    assert page.locator("h2:focus").inner_text() == "Answers kept on this device"  # and not a grade
    assert "graded when the network is back" in page.locator("main").inner_text()
    expect(page.locator("#outbox")).to_have_text("Answers waiting to be sent: 2")
    assert outbox_count(page) == 2  # the two answers, and no outcome the device could not know
    context.set_offline(False)
    wait_for_empty_outbox(page)

    statements = learner_statements(db, users["learner"])
    assert [s["result"] for s in statements if s["verb"]["id"] == VERBS["answered"]] == [
        {"response": "0"}, {"response": "4"}]
    [graded] = [s for s in statements if s["object"]["id"] == f"{MIGRANTS_IRI}/quiz"]
    assert graded["verb"]["id"] == VERBS["passed"] and graded["authority"] == LMS
    assert graded["result"]["score"] == {"raw": 2, "min": 0, "max": 2, "scaled": 1.0}
