"""The player on the poorest links: without JavaScript, and on Regular 2G with a cold cache."""

from __future__ import annotations

from browser_support import REGULAR_2G, emulate_network, log_in
from conftest import PASSWORDS
from test_saved_module import ANSWERS, answer_quiz
from test_player import MODULE, MODULE_IRI, PAGES, learner_statements
from xapi.statements import VERBS

#: What reaches the screen before text may be painted, measured in the page: the document, and what blocks rendering.
CRITICAL_PATH = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const blocking = performance.getEntriesByType("resource").filter(e => e.renderBlockingStatus === "blocking");
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {bytes: [nav, ...blocking].reduce((n, e) => n + e.transferSize, 0), fetches: 1 + blocking.length,
          painted: !!paint, fonts: performance.getEntriesByType("resource").filter(
            e => /\\.(woff2?|ttf|otf)(\\?|$)/.test(e.name)).length,
          scripts: performance.getEntriesByType("resource").filter(e => e.initiatorType === "script"
            && e.renderBlockingStatus === "blocking").length};
}"""


def test_without_javascript_pages_are_read_and_the_quiz_is_graded_and_recorded(
        live_server, scriptless_page, db, users, enrolled):
    page = scriptless_page
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}{MODULE}/launch")
    assert page.locator("#save").is_hidden()  # saving for offline needs a script: not offered
    for name in PAGES:
        page.goto(f"{live_server}{MODULE}/pages/{name}")
        assert page.locator("article p").first.is_visible()
    page.goto(f"{live_server}{MODULE}/quiz")
    answer_quiz(page, ANSWERS)
    page.wait_for_url(f"{live_server}{MODULE}/quiz")
    assert page.locator("h1").inner_text() == "Passed"  # the server's result page
    assert page.locator("#result-wardens strong").inner_text() == "correct"

    statements = learner_statements(db, users["learner"])
    verbs = [s["verb"]["id"] for s in statements]
    assert verbs.count(VERBS["experienced"]) == len(PAGES)  # by the pages' <noscript> images
    assert verbs.count(VERBS["answered"]) == len(ANSWERS) and verbs.count(VERBS["passed"]) == 1
    assert sum(1 for s in statements if s["verb"]["id"] == VERBS["completed"] and s["object"]["id"] == MODULE_IRI) == 1
    page.goto(f"{live_server}{MODULE}/")
    assert page.locator("text=You have completed this module.").is_visible()


def test_on_regular_2g_a_lesson_shows_its_text_within_two_seconds(live_server, browser_page, enrolled):
    """Under Chromium's 2G emulation, with nothing cached, only the page and its small stylesheet stand before text.

    The figure checked is the emulated link's own arithmetic on what the browser measured: one round trip per
    render-blocking fetch plus the bytes at 32,000 B/s; ``bench/pageweight.py`` times the same page.
    """
    page = browser_page
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    emulate_network(page)
    page.goto(f"{live_server}{MODULE}/pages/{PAGES[0]}")
    assert page.locator("article p").first.is_visible()
    critical = page.evaluate(CRITICAL_PATH)
    assert critical["painted"] and critical["fonts"] == 0 and critical["scripts"] == 0
    assert critical["fetches"] == 2  # the page and its stylesheet; the player script is deferred
    seconds = critical["fetches"] * REGULAR_2G["latency"] / 1000 + critical["bytes"] / REGULAR_2G["downloadThroughput"]
    assert 0 < critical["bytes"] <= 14_000 + 5_000
    assert seconds <= 2.0, critical
