"""Browser tests: Debian's Chromium driven by Playwright, against the app served over HTTP."""

from __future__ import annotations

import os
import shutil
import time

import pytest

CHROMIUM = os.environ.get("PASSERELLE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium(path: str = CHROMIUM) -> None:
    """Skip a browser test when Chromium is missing, with the reason; in CI (CI=true), fail it instead."""
    if os.path.exists(path):
        return
    reason = (f"Chromium is not installed at {path}: apt-get install -y chromium "
              "(or set PASSERELLE_CHROMIUM to its path)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI runs every browser test")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def scriptless_page(chromium):
    """A browser with JavaScript switched off, as some learners' phones and offices have it."""
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


#: Chrome's "Regular 2G": 300 ms round trip, 32,000 bytes/s down, 8,000 up.
REGULAR_2G = {"offline": False, "latency": 300, "downloadThroughput": 32_000, "uploadThroughput": 8_000}


def emulate_network(page, conditions: dict = REGULAR_2G):
    """Slow the page's network down (Chromium's own emulation, over the DevTools protocol), with a cold cache."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.send("Network.emulateNetworkConditions", conditions)
    return cdp


DEVICE_STORE = """name => new Promise((ok, ko) => {
  const r = indexedDB.open("passerelle");
  r.onsuccess = () => { const c = r.result.transaction(name).objectStore(name).getAll();
                        c.onsuccess = () => ok(c.result); c.onerror = () => ko(c.error); };
  r.onerror = () => ko(r.error);
})"""


def device_store(page, name: str) -> list:
    """What the player keeps in one of its IndexedDB stores (outbox, sessions, states, refused)."""
    return page.evaluate(DEVICE_STORE, name)


def outbox_count(page) -> int:
    """How many statements the player keeps on the device, not yet accepted by the LRS."""
    return len(device_store(page, "outbox"))


def _wait_until_sent(page, store: str, what: str, timeout: float) -> None:
    """Wait until one of the player's stores on the device is empty: all it held reached the LRS."""
    deadline = time.monotonic() + timeout
    while waiting := len(device_store(page, store)):
        assert time.monotonic() < deadline, f"{waiting} {what} still waiting after {timeout} s"
        page.wait_for_timeout(250)


def wait_for_empty_outbox(page, timeout: float = 60.0) -> None:
    """Wait until the player has sent everything it kept (what a learner sees as the indicator going away)."""
    _wait_until_sent(page, "outbox", "statements", timeout)


def wait_for_sent_states(page, timeout: float = 60.0) -> None:
    """Wait until the player has sent the State API documents it kept (where the learner is): it sends them once
    the statements are sent, so an empty outbox does not yet say that the last bookmark reached the LMS."""
    _wait_until_sent(page, "states", "documents", timeout)


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.stack button")
    page.wait_for_url(f"{base}/courses/")


#: Where each end of the links between pages sits, and where their arrows sit beside the titles.
NAV = """() => {
  const box = el => el.getBoundingClientRect();
  const glyph = (link, node) => { const r = document.createRange(); r.selectNodeContents(node); return {
    text: node.textContent.trim(), left: r.getBoundingClientRect().left, right: r.getBoundingClientRect().right,
    title: box(link.querySelector("bdi"))}; };
  const prev = document.querySelector("a[rel=prev]"), next = document.querySelector("a[rel=next]");
  return {prev: {...glyph(prev, prev.firstChild), at: box(prev).left},
          next: {...glyph(next, next.lastChild), at: box(next).left}};
}"""


def assert_arrows_point_outwards_right_to_left(page) -> None:
    """Check a right-to-left page's links between pages: previous on the right, each arrow at its outer edge."""
    nav = page.evaluate(NAV)
    prev, following = nav["prev"], nav["next"]
    assert prev["at"] > following["at"]  # the previous page is to the right, where Arabic starts
    assert prev["text"] == "→" and prev["left"] >= prev["title"]["right"] - 1  # at its outer edge, pointing right
    assert following["text"] == "←" and following["right"] <= following["title"]["left"] + 1
