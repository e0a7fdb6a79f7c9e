"""Passerelle mounted in a host application, in Chromium: the player, its LRS and its service worker under the
prefix, for a learner who signed in at the host."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from browser_support import wait_for_empty_outbox
from conftest import CuttableHandler
from lms.db import get_db
from test_host_app import COURSE, MODULE, PUBLIC_URL, account_of, empty, host_app, lms_of
from xapi.models import StatementRecord
from xapi.statements import VERBS


@pytest.fixture
def served(database_url, tmp_path, sample_package):
    """The intranet with Passerelle at /learning and the sample course, over real HTTP on a free port."""
    host = host_app(database_url, tmp_path / "instance")
    assert host.test_cli_runner().invoke(args=["passerelle", "import", str(sample_package)]).exit_code == 0
    server = make_server("127.0.0.1", 0, host, threaded=True, request_handler=CuttableHandler)
    server.cut, server.answering, server.lock = False, 0, threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield host, server, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    empty(lms_of(host))


def test_a_host_user_studies_a_saved_module_under_the_prefix(served, browser_page):
    host, server, base = served
    page, context = browser_page, browser_page.context
    page.goto(f"{base}{COURSE}/")
    page.wait_for_url(f"{base}/login?next=%2Flearning%2Fcourses%2Fcrisis-management%2F")
    page.fill("input[name=id]", "7")
    page.click("text=Log in to the intranet")
    page.wait_for_url(f"{base}{COURSE}/")
    page.click("form[action$='/enrol'] button")
    page.wait_for_url(f"{base}{COURSE}/")
    page.click(f'a[href="{MODULE}/launch"]')
    page.wait_for_url(f"{base}{MODULE}/")  # the launch parameters are gone: the key was fetched
    page.wait_for_selector("html[data-recorded]", state="attached")

    page.locator("#save button").click()
    page.wait_for_selector("#save [role=status]:has-text('Saved')")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{base}/learning/sw.js"
    pages = page.eval_on_selector_all(f'a[href^="{MODULE}/pages/"]', "links => links.map(a => a.pathname)")
    assert pages

    # Offline, the saved pages open from the worker's cache, and the LRS under the prefix is never read from it.
    page.evaluate("caches.open('passerelle').then(c => c.put('/learning/xapi/about', new Response('{}')))")
    context.set_offline(True)
    server.cut = True
    assert page.evaluate("fetch('/learning/xapi/about').then(() => 'answered', () => 'failed')") == "failed"
    for path in dict.fromkeys(pages):
        page.goto(f"{base}{path}")
        assert page.locator("h1").is_visible()
        page.wait_for_selector("html[data-recorded]", state="attached")
    context.set_offline(False)
    server.cut = False
    page.goto(f"{base}{MODULE}/")
    wait_for_empty_outbox(page)

    account = account_of(lms_of(host), "7")
    with lms_of(host).app_context():
        rows = get_db().scalars(select(StatementRecord).order_by(StatementRecord.seq))
        statements = [json.loads(row.data) for row in rows]
    read = [s for s in statements if s["verb"]["id"] == VERBS["experienced"] and "/pages/" in s["object"]["id"]]
    assert len(read) == len(set(pages))
    assert {json.dumps(s["actor"]["account"], sort_keys=True) for s in statements} == \
        {json.dumps({"homePage": PUBLIC_URL, "name": account.actor_id}, sort_keys=True)}
