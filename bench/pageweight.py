"""Weigh the pages learners and M&E staff open, and time them on a Regular 2G link.

Usage: .venv/bin/python bench/pageweight.py [--runs 3] [--chromium /usr/bin/chromium]

Sets up the demonstration (sample course, accounts, enrolment) in a new SQLite
database, serves the LMS over HTTP, then for each page type (catalogue, module
start, lesson page, quiz, M&E page):

1. bytes: the page's HTML, and its critical path (the HTML, its stylesheet and
   its scripts), compressed (gzip, as a browser asks) and raw, against the budgets
   (HTML <= 14 KB and critical path <= 20 KB compressed);
2. time to content: Chromium with Chrome's "Regular 2G" emulation (300 ms round
   trip, 32,000 B/s down) and an empty cache; the time from navigation to the
   first contentful paint, the median of ``--runs``, against the 2 s budget.
   The baseline, measured in the same run, is the same page fetched uncompressed
   (``Accept-Encoding: identity``): the ratio shows what compression buys on 2G.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from lms import create_app  # noqa: E402
from lms.cli import DEMO_ACCOUNTS, demo_command  # noqa: E402

MODULE = "/courses/crisis-management/modules/consular-crisis-response"
PAGES = [  # name, address, account
    ("catalogue", "/courses/", "learner"),
    ("module start", f"{MODULE}/", "learner"),
    ("lesson page", f"{MODULE}/pages/roles-in-a-consular-crisis", "learner"),
    ("quiz", f"{MODULE}/quiz", "learner"),
    ("M&E page", "/reports/", "analyst"),
]
HTML_BUDGET, CRITICAL_BUDGET, SECONDS_BUDGET = 14_000, 20_000, 2.0
REGULAR_2G = {"offline": False, "latency": 300, "downloadThroughput": 32_000, "uploadThroughput": 8_000}
PASSWORDS = {username: password for username, password, *_ in DEMO_ACCOUNTS}
FIRST_PAINT = """() => new Promise(ok => {
  const found = () => performance.getEntriesByName("first-contentful-paint")[0];
  if (found()) return ok(found().startTime);
  new PerformanceObserver(() => found() && ok(found().startTime)).observe({type: "paint", buffered: true});
})"""


def set_up(folder: Path):
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'passerelle.db'}", "INSTANCE_PATH": str(folder),
                      "SECRET_KEY": "bench", "PUBLIC_URL": "http://127.0.0.1/"})
    result = app.test_cli_runner().invoke(demo_command, ["-o", str(folder / "dist")])
    if result.exit_code:
        sys.exit(f"the demonstration did not set up:\n{result.output}")
    return app


def log_in(client, username: str) -> None:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    client.post("/auth/login", data={"username": username, "password": PASSWORDS[username], "csrf_token": token})


def weigh(app, url: str, username: str) -> dict:
    """Bytes of the page and of its critical path, gzip and raw, through the app itself."""
    client = app.test_client()
    log_in(client, username)
    raw = client.get(url)
    html = raw.get_data(as_text=True)
    parts = [url] + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    sizes = {}
    for part in parts:
        sizes[part] = (len(client.get(part, headers={"Accept-Encoding": "gzip"}).data), len(client.get(part).data))
    return {"html": sizes[url], "critical": tuple(sum(s[i] for s in sizes.values()) for i in (0, 1))}


def time_to_content(browser, base: str, url: str, username: str, compressed: bool) -> float:
    """Seconds from navigation to first contentful paint on Regular 2G, with an empty cache."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("form.stack button")
    page.wait_for_load_state()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.clearBrowserCache")
    if not compressed:
        cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": "identity"}})
    cdp.send("Network.emulateNetworkConditions", REGULAR_2G)
    page.goto(f"{base}{url}", wait_until="commit", timeout=120_000)
    seconds = page.evaluate(FIRST_PAINT) / 1000
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        app = set_up(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        print(f"Regular 2G: {REGULAR_2G['latency']} ms, {REGULAR_2G['downloadThroughput']:,} B/s down; "
              f"median of {args.runs} cold loads\n")
        print(f"{'page':<13} {'HTML gzip':>9} {'raw':>7} {'critical gzip':>13} {'raw':>7}   "
              f"{'to content':>10} {'uncompressed':>12} {'ratio':>5}   budget")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            for name, url, username in PAGES:
                size = weigh(app, url, username)
                fast = statistics.median(time_to_content(browser, base, url, username, True)
                                         for _ in range(args.runs))
                slow = statistics.median(time_to_content(browser, base, url, username, False)
                                         for _ in range(args.runs))
                within = size["html"][0] <= HTML_BUDGET and size["critical"][0] <= CRITICAL_BUDGET \
                    and fast <= SECONDS_BUDGET
                print(f"{name:<13} {size['html'][0]:>9,} {size['html'][1]:>7,} {size['critical'][0]:>13,} "
                      f"{size['critical'][1]:>7,}   {fast:>9.2f}s {slow:>11.2f}s {slow / fast:>5.2f}   "
                      f"{'within' if within else 'OVER'}")
            browser.close()
        server.shutdown()
    print(f"\nbudgets: HTML <= {HTML_BUDGET:,} B and critical path <= {CRITICAL_BUDGET:,} B compressed; "
          f"text on screen <= {SECONDS_BUDGET} s on Regular 2G")


if __name__ == "__main__":
    main()
