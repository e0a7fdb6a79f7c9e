"""The player in Chromium: statements made on the device reach the LRS exactly once, whatever the network does."""

from __future__ import annotations

import json
import threading
from collections import Counter

from sqlalchemy import select

from browser_support import device_store, log_in, wait_for_empty_outbox, wait_for_sent_states
from conftest import PASSWORDS
from xapi.models import StatementRecord
from xapi.statements import VERBS

COURSE = "/courses/crisis-management"
MODULE = f"{COURSE}/modules/consular-crisis-response"
MODULE_IRI = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
PAGES = ["roles-in-a-consular-crisis", "registration-of-nationals-and-contingency-plans",
         "communicating-with-families"]
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"


def learner_statements(db, learner) -> list[dict]:
    db.expire_all()
    rows = db.scalars(select(StatementRecord).order_by(StatementRecord.seq))
    found = [json.loads(row.data) for row in rows]
    return [s for s in found if s["actor"].get("account", {}).get("name") == learner.actor_id]


def test_a_flaky_lrs_loses_and_duplicates_nothing(live_server, browser_page, db, users, enrolled):
    page = browser_page
    sent = Counter()
    lock = threading.Lock()

    def every_other_fails(route):
        # The LRS answers 503 to every other request; those that go through are counted by statement id.
        with lock:
            sent["requests"] += 1
            fail = sent["requests"] % 2 == 1
        if fail:
            route.fulfill(status=503, body="busy", headers={"Retry-After": "1"})
            return
        for statement in json.loads(route.request.post_data or "[]"):
            sent[statement["id"]] += 1
        route.continue_()

    page.route("**/xapi/statements", every_other_fails)
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}{COURSE}/")
    page.click(f'a[href="{MODULE}/launch"]')
    page.wait_for_url(f"{live_server}{MODULE}/")  # the launch parameters are gone from the address
    page.wait_for_selector("html[data-recorded]", state="attached")
    for name in PAGES:
        page.goto(f"{live_server}{MODULE}/pages/{name}")
        assert page.locator("h1").is_visible()
        page.wait_for_selector("html[data-recorded]", state="attached")  # the learner reads on
    wait_for_empty_outbox(page)

    assert sent["requests"] >= 2  # some requests were refused, and sent again
    statements = learner_statements(db, users["learner"])
    made_here = [s for s in statements if s["verb"]["id"] in (VERBS["initialized"], VERBS["experienced"])]
    ids = [s["id"] for s in made_here]
    assert len(ids) == len(set(ids)) == 4  # initialized and three pages: each once
    assert sorted(s["object"]["id"].rsplit("/", 1)[-1] for s in made_here
                  if s["verb"]["id"] == VERBS["experienced"]) == sorted(PAGES)
    launched = next(s for s in statements if s["verb"]["id"] == VERBS["launched"])
    session = launched["context"]["extensions"][SESSION_ID]
    assert all(s["context"]["extensions"][SESSION_ID] == session for s in made_here)
    assert all(s["context"]["registration"] == enrolled.registration for s in made_here)
    # The LMS counts the pages read by the script as read, and offers to go on from the last one (State API).
    wait_for_sent_states(page)
    assert page.goto(f"{live_server}{MODULE}/").ok
    assert page.locator("text=· read").count() == 3
    assert page.locator("a.resume").get_attribute("href") == f"{MODULE}/pages/{PAGES[-1]}"

    # Leaving by the way out ends the session, once, however the LRS answers.
    page.click("a[data-exit]")
    page.wait_for_url(f"{live_server}{COURSE}/")
    page.goto(f"{live_server}{MODULE}/")
    wait_for_empty_outbox(page)
    statements = learner_statements(db, users["learner"])
    [terminated] = [s for s in statements if s["verb"]["id"] == VERBS["terminated"]]
    assert terminated["context"]["extensions"][SESSION_ID] == session
    assert terminated["object"]["id"] == MODULE_IRI and terminated["result"]["duration"].startswith("PT")


def test_a_statement_the_lrs_refuses_is_set_aside_and_holds_back_nothing(live_server, browser_page, db, users,
                                                                        enrolled):
    page = browser_page
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}{MODULE}/pages/{PAGES[0]}")
    page.wait_for_selector("html[data-recorded]", state="attached")
    wait_for_empty_outbox(page)
    template = json.loads(page.locator("#xapi").text_content())["statements"][0]
    page.context.set_offline(True)  # both wait on the device, to be sent in one batch
    broken = {**template, "verb": {"display": {"en-US": "no id"}}}
    page.evaluate("s => window.passerelle.record(s)", [broken, template])
    page.context.set_offline(False)
    page.evaluate("window.passerelle.flush()")
    wait_for_empty_outbox(page)

    refused = device_store(page, "refused")
    assert len(refused) == 1 and refused[0]["status"] == 400 and "id" not in refused[0]["statement"]["verb"]
    views = [s for s in learner_statements(db, users["learner"]) if s["verb"]["id"] == VERBS["experienced"]]
    assert len(views) == 2  # the page's own view, then the good statement of the batch
