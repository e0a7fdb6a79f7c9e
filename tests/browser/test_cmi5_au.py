"""An exported AU under a stand-in cmi5 LMS, in Chromium: each rule of the cmi5 AU requirements it exercises.

The stand-in is not Passerelle: a small HTTP server that serves the unpacked
package, gives an auth-token once at a fetch URL, keeps LMS.LaunchData and
other documents in a State API, and records every statement the AU sends.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from export_support import (SERVER_GRADED, answer_quiz, exported, read_every_page, sample_module,  # noqa: F401
                            unzip)

TOKEN = "dGVzdC1rZXk6dGVzdC1zZWNyZXQ="  # what the LMS hands out: the AU sends it as "Basic <token>"
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example.test", "name": "learner-7"}}
PUBLISHER_ID = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVE_ON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
VERB = "http://adlnet.gov/expapi/verbs/"
DEFINED = {"initialized", "completed", "passed", "failed", "terminated"}


@dataclass
class StandInLms:
    """What the stand-in LMS saw and keeps: fetches, statements, state documents, and each LRS request's headers."""

    content: Path
    base: str = ""  # the address it serves on
    fetches: dict[str, int] = field(default_factory=dict)
    statements: list[dict] = field(default_factory=list)
    states: dict[tuple, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refused: list[dict] = field(default_factory=list)  # statements sent after their session's terminated
    answering: int = 0  # LRS requests under way
    slowness: float = 0.0  # seconds the LRS takes before it stores statements, as a busy LMS does

    def state_key(self, query: dict) -> tuple:
        agent = json.dumps(json.loads(query["agent"][0]), sort_keys=True)
        return query["activityId"][0], agent, query.get("registration", [""])[0], query["stateId"][0]

    def put_state(self, activity_id: str, registration: str, state_id: str, document: dict) -> None:
        query = {"activityId": [activity_id], "agent": [json.dumps(ACTOR)], "registration": [registration],
                 "stateId": [state_id]}
        self.states[self.state_key(query)] = json.dumps(document).encode()

    def state(self, activity_id: str, registration: str, state_id: str) -> dict | None:
        query = {"activityId": [activity_id], "agent": [json.dumps(ACTOR)], "registration": [registration],
                 "stateId": [state_id]}
        data = self.states.get(self.state_key(query))
        return json.loads(data) if data else None

    def verbs(self) -> list[str]:
        return [s["verb"]["id"].removeprefix(VERB) for s in self.statements]


def session_of(statement: dict) -> tuple:
    context = statement.get("context", {})
    return context.get("registration"), context.get("extensions", {}).get(SESSION_ID)


def handler(lms: StandInLms):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def reply(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def lrs_allowed(self) -> bool:
            """The LRS answers only the token the fetch URL gave, as Basic, with an xAPI version."""
            with lms.lock:
                lms.requests.append((self.command, self.path, dict(self.headers)))
            if self.headers.get("Authorization") != f"Basic {TOKEN}" or not self.headers.get(
                    "X-Experience-API-Version", "").startswith("1.0"):
                self.reply(401, b'{"error": "unauthorised"}')
                return False
            return True

        def do_GET(self):
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if url.path.startswith("/content/"):
                path = (lms.content / url.path.removeprefix("/content/")).resolve()
                if not path.is_file() or lms.content.resolve() not in path.parents:
                    return self.reply(404, b"not found", "text/plain")
                kind = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".png": "image/png"}.get(
                    path.suffix, "application/octet-stream")
                return self.reply(200, path.read_bytes(), kind)
            if url.path == "/return":
                return self.reply(200, b"<!doctype html><title>LMS</title><h1>Back in the LMS</h1>", "text/html")
            if not url.path.startswith("/lrs/"):
                return self.reply(404, b"not found", "text/plain")
            if not self.lrs_allowed():
                return
            if url.path == "/lrs/activities/state":
                data = lms.states.get(lms.state_key(query))
                return self.reply(200, data) if data is not None else self.reply(404, b"{}")
            if url.path == "/lrs/agents/profile":
                return self.reply(404, b"{}")
            self.reply(404, b"{}")

        def do_POST(self):
            url = urlsplit(self.path)
            if url.path.startswith("/fetch/"):
                key = url.path.removeprefix("/fetch/")
                with lms.lock:
                    lms.fetches[key] = lms.fetches.get(key, 0) + 1
                    first = lms.fetches[key] == 1
                answer = {"auth-token": TOKEN} if first else {
                    "error-code": "1", "error-text": "The authorization token has already been returned."}
                return self.reply(200, json.dumps(answer).encode())
            if not self.lrs_allowed():
                return
            if url.path == "/lrs/statements":
                sent = json.loads(self.body())
                sent = sent if isinstance(sent, list) else [sent]
                with lms.lock:
                    lms.answering += 1
                try:
                    time.sleep(lms.slowness)
                    with lms.lock:
                        # A session's statements end at terminated: the LMS refuses any sent after it (cmi5 9.3.8).
                        ended = {session_of(s) for s in lms.statements if s["verb"]["id"] == VERB + "terminated"}
                        late = [s for s in sent if session_of(s) in ended]
                        if late:
                            lms.refused.extend(sent)
                        else:
                            lms.statements.extend(sent)
                finally:
                    with lms.lock:
                        lms.answering -= 1
                if late:
                    return self.reply(400, b'{"error": "the session has terminated"}')
                return self.reply(200, json.dumps([s["id"] for s in sent]).encode())
            self.reply(404, b"{}")

        def do_PUT(self):
            url = urlsplit(self.path)
            if not self.lrs_allowed():
                return
            if url.path == "/lrs/activities/state":
                with lms.lock:
                    lms.states[lms.state_key(parse_qs(url.query))] = self.body()
                return self.reply(204)
            self.reply(404, b"{}")

    return Handler


def serving(package: Path, folder: Path):
    """Run a stand-in LMS serving a package unpacked into ``folder``; yield it, and stop it afterwards."""
    lms = StandInLms(unzip(package, folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(lms))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    lms.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield lms
    server.shutdown()
    server.server_close()


@pytest.fixture
def stand_in(exported, tmp_path):
    yield from serving(exported["cmi5"]["en"], tmp_path / "au")


@pytest.fixture
def built_stand_in(sample_package, tmp_path):
    """The stand-in LMS serving the build's own package, which is a cmi5 course package too."""
    yield from serving(sample_package, tmp_path / "built")


def launch(page, lms: StandInLms, mode: str = "Normal", mastery: float | None = 0.7,
           registration: str | None = None, fetch_key: str | None = None,
           url: str = "launch/consular-crisis-response.html") -> dict:
    """Write LMS.LaunchData as an LMS does before a launch, and open the AU with cmi5's five parameters.

    ``url`` is the AU's, as the course structure gives it: the LMS adds its parameters to any it already has.
    """
    registration = registration or str(uuid.uuid4())
    session, activity_id = str(uuid.uuid4()), f"{lms.base}/generated/au/1"  # not the publisher's id (cmi5 8.1.5)
    launch_data = {"contextTemplate": {"contextActivities": {"grouping": [{"id": PUBLISHER_ID, "objectType": "Activity"}]},
                                       "extensions": {SESSION_ID: session}},
                   "launchMode": mode, "moveOn": "CompletedAndPassed", "returnURL": f"{lms.base}/return"}
    if mastery is not None:
        launch_data["masteryScore"] = mastery
    lms.put_state(activity_id, registration, "LMS.LaunchData", launch_data)
    fetch_key = fetch_key or str(uuid.uuid4())
    query = urlencode({"endpoint": f"{lms.base}/lrs/", "fetch": f"{lms.base}/fetch/{fetch_key}",
                       "actor": json.dumps(ACTOR), "registration": registration, "activityId": activity_id})
    page.goto(f"{lms.base}/content/{url}{'&' if '?' in url else '?'}{query}")
    return {"registration": registration, "session": session, "activity": activity_id, "fetch": fetch_key,
            "launch_data": launch_data}


def wait_until_recording(page) -> None:
    page.wait_for_function("() => /recorded|browsing/.test(document.getElementById('status').textContent)")


def leave(page, lms: StandInLms) -> None:
    page.click("#exit")
    page.wait_for_url(f"{lms.base}/return")
    assert page.locator("h1").inner_text() == "Back in the LMS"


def categories(statement: dict) -> list[str]:
    return [a["id"] for a in statement["context"].get("contextActivities", {}).get("category", [])]


def check_session_rules(lms: StandInLms, launched: dict) -> None:
    """The rules every session must keep, whatever the learner did in it."""
    statements, verbs = lms.statements, lms.verbs()
    assert lms.fetches[launched["fetch"]] == 1  # the token was fetched once (8.2.1)
    assert verbs[0] == "initialized" and verbs[-1] == "terminated"  # first and last (7.1.1, 7.1.2)
    stamps = [datetime.fromisoformat(s["timestamp"].replace("Z", "+00:00")) for s in statements]
    assert stamps == sorted(stamps)  # order is the timestamps' (9.3)
    defined = [v for v in verbs if v in DEFINED]
    assert len(defined) == len(set(defined))  # no cmi5 defined verb twice in a session (9.3)
    assert not {"passed", "failed"} <= set(defined)  # at most one of passed and failed (9.3)
    for s in statements:
        assert s["actor"] == ACTOR  # the launch's actor (8.1.3)
        context = s["context"]
        assert context["registration"] == launched["registration"]  # (8.1.4, 9.6.1)
        assert context["extensions"][SESSION_ID] == launched["session"]  # the session id (9.6.3.1)
        assert {"id": PUBLISHER_ID, "objectType": "Activity"} in context["contextActivities"]["grouping"]  # template
        verb = s["verb"]["id"].removeprefix(VERB)
        if verb in DEFINED:
            assert s["object"]["id"] == launched["activity"]  # the launch's activityId (8.1.5, 9.4)
            assert CMI5 in categories(s)  # the cmi5 category (9.6.2.1)
            result = s.get("result", {})
            assert (MOVE_ON in categories(s)) == ("success" in result or "completion" in result)  # (9.6.2.2)
            assert ("score" in result) == (verb in ("passed", "failed"))  # (9.5.1)
            if verb in ("completed", "passed", "failed", "terminated"):
                assert result["duration"].startswith("PT")  # (9.5.4.1)
        else:
            assert CMI5 not in categories(s)  # cmi5 allowed: the template, not the category (7.1.3)
    assert any(method == "GET" and path.startswith("/lrs/agents/profile?") and "cmi5LearnerPreferences" in path
               for method, path, _ in lms.requests)  # the learner's preferences are read on startup (11.0)
    for method, path, headers in lms.requests:  # every LRS request carries the token, as Basic (8.2.1)
        assert headers.get("Authorization") == f"Basic {TOKEN}", (method, path, headers)
        # The AU never writes LMS.LaunchData (10.2.1).
        assert not (method == "PUT" and "LMS.LaunchData" in path)


def test_a_learner_reads_passes_and_leaves_under_another_cmi5_lms(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    launched = launch(page, lms, mastery=0.7)
    wait_until_recording(page)
    read_every_page(page, module)
    assert "Passed" in answer_quiz(page, module, wrong=1)  # 6 of 7: 86% against the LMS's 70%
    leave(page, lms)  # to the LMS's returnURL (10.2.6)

    check_session_rules(lms, launched)
    verbs = lms.verbs()
    assert [v for v in verbs if v in DEFINED] == ["initialized", "completed", "passed", "terminated"]
    assert verbs.count("experienced") == len(module.pages)
    completed = next(s for s in lms.statements if s["verb"]["id"] == VERB + "completed")
    assert completed["result"]["completion"] is True and "success" not in completed["result"]  # (9.5.2, 9.5.3)
    passed = next(s for s in lms.statements if s["verb"]["id"] == VERB + "passed")
    assert passed["result"]["success"] is True and "completion" not in passed["result"]
    assert passed["result"]["score"] == {"scaled": round(6 / 7, 4), "raw": 6, "min": 0, "max": 7}
    assert passed["context"]["extensions"][MASTERY] == 0.7  # the masteryScore it was judged against (9.6.3.2)
    assert all(s["context"]["language"] == "en" for s in lms.statements)
    # Its place is kept for the next session, in a document of its own (LMS.LaunchData is left as the LMS wrote it).
    progress = lms.state(launched["activity"], launched["registration"], "passerelle.progress")
    assert progress["page"] == module.pages[-1].id and progress["completed"] and progress["passed"]
    assert lms.state(launched["activity"], launched["registration"], "LMS.LaunchData") == launched["launch_data"]


def wait_until_answered(lms: StandInLms, seconds: float = 20) -> None:
    """Wait until the LMS has received terminated and answered every request under way."""
    end = time.monotonic() + seconds
    while "terminated" not in lms.verbs() or lms.answering:
        assert time.monotonic() < end, f"the LMS received {lms.verbs()} and no terminated"
        time.sleep(0.05)


@pytest.mark.parametrize("passing", [True, False], ids=["passed", "failed"])
def test_closing_the_page_sends_every_statement_in_order_with_terminated_last(stand_in, browser_page, passing):
    lms, page, module = stand_in, browser_page, sample_module()
    lms.slowness = 0.3  # a busy LMS: what the learner does meanwhile waits in the AU
    launched = launch(page, lms, mastery=0.7)
    wait_until_recording(page)
    read_every_page(page, module)
    verdict = answer_quiz(page, module, wrong=1 if passing else 3)
    assert ("Passed" if passing else "Not passed") in verdict
    page.close(run_before_unload=True)  # the learner closes the tab rather than use the Exit button
    wait_until_answered(lms)

    assert lms.refused == []  # nothing came after terminated
    check_session_rules(lms, launched)
    # Every statement the AU made, in the order it made them: the last page read completes the module.
    assert lms.verbs() == (["initialized"] + ["experienced"] * (len(module.pages) - 1)
                           + ["completed", "experienced", "passed" if passing else "failed", "terminated"])
    assert [s["object"]["id"] for s in lms.statements if s["verb"]["id"] == VERB + "experienced"] == [
        module.page_iri(p) for p in module.pages]
    progress = lms.state(launched["activity"], launched["registration"], "passerelle.progress")
    assert progress["page"] == module.pages[-1].id and progress["completed"] and progress["passed"] is passing


def test_the_lms_mastery_score_decides_and_a_failure_is_sent_once_at_the_end(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    launched = launch(page, lms, mastery=0.9)  # the LMS asks more than the package's 70%
    wait_until_recording(page)
    assert "Not passed" in answer_quiz(page, module, wrong=1)  # 86% < 90%
    assert "Not passed" in answer_quiz(page, module, wrong=2)  # a second try in the same session
    assert "failed" not in lms.verbs()  # the learner may still pass in this session
    leave(page, lms)

    check_session_rules(lms, launched)
    verbs = lms.verbs()
    assert "passed" not in verbs and "completed" not in verbs  # no page read, no pass
    assert verbs.count("failed") == 1 and verbs.index("failed") == len(verbs) - 2  # just before terminated
    failed = lms.statements[verbs.index("failed")]
    assert failed["result"]["success"] is False and failed["context"]["extensions"][MASTERY] == 0.9


@pytest.mark.parametrize("mode", ["Browse", "Review"])
def test_in_browse_or_review_mode_nothing_is_judged(stand_in, browser_page, mode):
    lms, page, module = stand_in, browser_page, sample_module()
    launched = launch(page, lms, mode=mode)
    wait_until_recording(page)
    assert "not recorded" in page.locator("#status").inner_text()
    read_every_page(page, module)
    assert "Passed" in answer_quiz(page, module)  # the learner still sees how they did
    leave(page, lms)

    check_session_rules(lms, launched)
    assert [v for v in lms.verbs() if v in DEFINED] == ["initialized", "terminated"]  # (10.2.2)


def test_a_second_session_resumes_where_the_learner_stopped_and_completes_only_once(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    first = launch(page, lms)
    wait_until_recording(page)
    read_every_page(page, module)
    leave(page, lms)
    lms.statements.clear()

    second = launch(page, lms, registration=first["registration"])
    wait_until_recording(page)
    page.frame(name="page").wait_for_url(f"**/{module.pages[-1].id}.html")  # back at the last page read
    leave(page, lms)
    check_session_rules(lms, second)
    assert "completed" not in lms.verbs()  # once per registration (9.3)


def test_a_used_fetch_url_or_no_launch_parameters_leave_the_pages_readable_and_say_so(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    launched = launch(page, lms)
    wait_until_recording(page)
    leave(page, lms)
    # The same launch URL again, in a new tab (nothing kept): the fetch URL refuses a second token.
    context = page.context.browser.new_context()
    again = context.new_page()
    again.goto(_launch_url(lms, launched))
    again.wait_for_function("() => /not being recorded/.test(document.getElementById('status').textContent)")
    assert "already been returned" in again.locator("#status").inner_text()
    assert lms.fetches[launched["fetch"]] == 2
    read_every_page(again, module)  # the pages still read
    # Opened without any launch parameter (not from an LMS): the same, with nothing sent anywhere.
    before = len(lms.requests)
    again.goto(f"{lms.base}/content/launch/consular-crisis-response.html")
    again.wait_for_function("() => /not being recorded/.test(document.getElementById('status').textContent)")
    assert again.frame_locator("#page").locator("h1").inner_text() == module.title
    assert len(lms.requests) == before
    context.close()


def _launch_url(lms: StandInLms, launched: dict) -> str:
    query = urlencode({"endpoint": f"{lms.base}/lrs/", "fetch": f"{lms.base}/fetch/{launched['fetch']}",
                       "actor": json.dumps(ACTOR), "registration": launched["registration"],
                       "activityId": launched["activity"]})
    return f"{lms.base}/content/launch/consular-crisis-response.html?{query}"


def test_without_scripts_the_pages_read_and_the_bar_says_progress_is_not_recorded(stand_in, scriptless_page):
    lms, page, module = stand_in, scriptless_page, sample_module()
    launch(page, lms)
    assert "runs no scripts" in page.locator("#status").inner_text()
    contents = page.frame_locator("#page")
    assert contents.locator("h1").inner_text() == module.title
    contents.locator(f'a[href="{module.pages[0].id}.html"]').click()
    page.frame(name="page").wait_for_url(f"**/{module.pages[0].id}.html")
    assert lms.fetches == {} and lms.statements == []


def built_au_url(lms: StandInLms, slug: str) -> str:
    """The url the build's cmi5.xml gives a module's AU."""
    from lxml import etree

    from authoring.cmi5 import NAMESPACE

    document = etree.parse(str(lms.content / "cmi5.xml"))
    return document.xpath(f"//c:au[substring-after(@id, '/modules/') = '{slug}']/c:url/text()",
                          namespaces={"c": NAMESPACE})[0]


def test_the_builds_own_package_launches_an_au_under_another_cmi5_lms(built_stand_in, browser_page):
    lms, page, module = built_stand_in, browser_page, sample_module()
    url = built_au_url(lms, module.slug)
    assert url == f"launch/au.html?module={module.slug}"
    launched = launch(page, lms, mastery=0.7, url=url)
    wait_until_recording(page)
    assert page.title() == module.title
    read_every_page(page, module)
    assert "Passed" in answer_quiz(page, module, wrong=1)
    leave(page, lms)

    check_session_rules(lms, launched)
    verbs = lms.verbs()
    assert [v for v in verbs if v in DEFINED] == ["initialized", "completed", "passed", "terminated"]
    assert verbs.count("experienced") == len(module.pages)
    assert all(s["context"]["language"] == "en" for s in lms.statements)


def test_the_builds_au_shows_the_language_its_address_names(built_stand_in, browser_page):
    lms, page, module = built_stand_in, browser_page, sample_module()
    launched = launch(page, lms, url=built_au_url(lms, module.slug) + "&language=fr")
    words = json.loads((lms.content / "launch" / "fr.json").read_text(encoding="utf-8"))["words"]
    assert words["recording"] != "Your progress is recorded by your learning platform."  # the bar speaks French
    page.wait_for_function("(text) => document.getElementById('status').textContent === text", arg=words["recording"])
    assert page.locator("html").get_attribute("lang") == "fr"
    page.frame(name="page").wait_for_url(f"**/languages/fr/modules/{module.slug}/index.html")
    french = json.loads((lms.content / "launch" / "fr.json").read_text(encoding="utf-8"))["modules"][module.slug]
    assert page.title() == french["title"] != module.title
    leave(page, lms)
    check_session_rules(lms, launched)
    assert [v for v in lms.verbs() if v in DEFINED] == ["initialized", "terminated"]
    assert all(s["context"]["language"] == "fr" for s in lms.statements)


def test_the_builds_launch_page_names_a_module_it_does_not_have(built_stand_in, browser_page):
    lms, page = built_stand_in, browser_page
    page.goto(f"{lms.base}/content/launch/au.html?module=no-such-module")
    page.wait_for_function("() => /not being recorded/.test(document.getElementById('status').textContent)")
    assert "no-such-module" in page.locator("#status").inner_text()
    assert lms.requests == [] and lms.fetches == {}


@pytest.mark.parametrize("package", ["export", "build"])
def test_a_module_whose_quiz_is_graded_on_the_server_only_is_completed_by_reading_it(request, browser_page, package):
    """Its AU has no quiz (nor its key): the bar says where the learner takes it, and reading completes it."""
    lms = request.getfixturevalue("stand_in" if package == "export" else "built_stand_in")
    page, module = browser_page, sample_module(SERVER_GRADED)
    url = f"launch/{module.slug}.html" if package == "export" else built_au_url(lms, module.slug)
    launched = launch(page, lms, mastery=None, url=url)  # cmi5.xml gives the AU no masteryScore
    wait_until_recording(page)
    note = page.locator("#quiz-elsewhere")
    assert note.inner_text() == "This module's quiz is taken in the academy's own learning platform, not here."
    assert page.locator("#quiz-link").count() == 0 or not page.locator("#quiz-link").is_visible()
    read_every_page(page, module)
    leave(page, lms)

    check_session_rules(lms, launched)
    assert [v for v in lms.verbs() if v in DEFINED] == ["initialized", "completed", "terminated"]
    assert lms.verbs().count("experienced") == len(module.pages)
