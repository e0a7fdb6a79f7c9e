"""An exported SCO under scorm-again (an independent SCORM 1.2 runtime, from npm), in Chromium.

A page of the stand-in LMS makes scorm-again's API object, loads what the LMS
kept of the learner, and opens the SCO in a frame; scorm-again posts each
commit to the stand-in, which records it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from export_support import (SERVER_GRADED, answer_quiz, exported, read_every_page, sample_module,  # noqa: F401
                            unzip)

SCORM_AGAIN = Path(__file__).resolve().parent / "node_modules" / "scorm-again" / "dist" / "scorm12.min.js"
SCO = "/content/launch/consular-crisis-response.html"
#: The LMS's page: scorm-again's API on the window above the SCO, with what the LMS kept (``?cmi=``) loaded.
HOST = """<!doctype html><html><head><meta charset="utf-8"><title>LMS</title>
<script src="/scorm-again/scorm12.min.js"></script>
<script>
  window.API = new Scorm12API({lmsCommitUrl: "/commit", autocommit: false, logLevel: 5});
  var kept = new URLSearchParams(location.search).get("cmi");
  if (kept) window.API.loadFromJSON(JSON.parse(kept));
</script></head>
<body><iframe id="sco" src="%s" style="inline-size:100%%;block-size:90vh;border:0"></iframe></body></html>"""


def require_scorm_again() -> None:
    """Skip when scorm-again is not installed, with the reason; in CI (CI=true), fail instead."""
    if SCORM_AGAIN.is_file():
        return
    reason = (f"scorm-again is not installed ({SCORM_AGAIN} is missing): "
              "npm ci --prefix tests/browser --no-audit --no-fund")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}; CI runs every browser test")
    pytest.skip(reason)


class StandInLms:
    """Serves the unpacked package, scorm-again and the LMS's page; records scorm-again's commits."""

    def __init__(self, content: Path) -> None:
        self.content, self.commits = content, []
        lms = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/lms.html":
                    sco = f"/content/launch/{parse_qs(url.query).get('module', ['consular-crisis-response'])[0]}.html"
                    return self.reply(200, (HOST % quote(sco)).encode(), "text/html; charset=utf-8")
                if url.path == "/scorm-again/scorm12.min.js":
                    return self.reply(200, SCORM_AGAIN.read_bytes(), "text/javascript")
                path = (lms.content / url.path.removeprefix("/content/")).resolve()
                if url.path.startswith("/content/") and path.is_file() and lms.content.resolve() in path.parents:
                    kind = {".html": "text/html; charset=utf-8", ".js": "text/javascript"}.get(
                        path.suffix, "application/octet-stream")
                    return self.reply(200, path.read_bytes(), kind)
                self.reply(404, b"not found", "text/plain")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if urlsplit(self.path).path == "/commit":
                    lms.commits.append(json.loads(body))
                    return self.reply(200, b'{"result": true, "errorCode": 0}', "application/json")
                self.reply(404, b"not found", "text/plain")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def stand_in(exported, tmp_path):
    require_scorm_again()
    lms = StandInLms(unzip(exported["scorm12"]["en"], tmp_path / "sco"))
    thread = threading.Thread(target=lms.server.serve_forever, daemon=True)
    thread.start()
    yield lms
    lms.server.shutdown()
    lms.server.server_close()


def open_sco(page, lms: StandInLms, kept: dict | None = None, module: str = ""):
    """Open the LMS's page with the SCO of a module (the first's if none) in it; return the SCO's frame."""
    query = ({"cmi": json.dumps(kept)} if kept else {}) | ({"module": module} if module else {})
    page.goto(f"{lms.base}/lms.html" + (f"?{urlencode(query)}" if query else ""))
    page.wait_for_function("() => /recorded|browsing/.test(document.getElementById('sco').contentDocument"
                           "?.getElementById('status')?.textContent || '')")
    return next(f for f in page.frames if f.url.endswith(f"/{module}.html" if module else SCO))


def record_calls(page) -> None:
    """Have the LMS's page note each call the SCO makes to its API, in order, with its element and value."""
    page.evaluate("""() => {
      window.calls = [];
      ["LMSSetValue", "LMSCommit", "LMSFinish"].forEach(function (name) {
        var own = window.API[name].bind(window.API);
        window.API[name] = function (element, value) {
          window.calls.push([name, element, value === undefined ? null : String(value)]);
          return own(element, value);
        };
      });
    }""")


def cmi(page, element: str) -> str:
    """A value as scorm-again holds it for the LMS."""
    return page.evaluate(f"() => window.API.cmi.{element}")


def test_a_learner_reads_the_pages_passes_the_quiz_and_scorm_again_holds_it(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    sco = open_sco(page, lms, {"student_data": {"mastery_score": "80"}})
    assert cmi(page, "core.lesson_status") == "incomplete"  # "not attempted" until the SCO began
    read_every_page(page, module, sco)
    assert cmi(page, "core.lesson_location") == module.pages[-1].id
    assert cmi(page, "core.lesson_status") == "incomplete"  # pages read; the quiz still to pass
    assert "Passed" in answer_quiz(page, module, wrong=1, root=sco)  # 86% against the LMS's 80%
    assert cmi(page, "core.lesson_status") == "passed"
    assert (cmi(page, "core.score.raw"), cmi(page, "core.score.min"), cmi(page, "core.score.max")) == ("86", "0", "100")
    suspend = cmi(page, "suspend_data")
    assert len(suspend) <= 4096 and json.loads(suspend)["s"] == "1" * len(module.pages)
    committed = len(lms.commits)
    assert committed >= len(module.pages)  # a commit for each page read, and after the quiz
    sco.click("#exit")
    sco.wait_for_function("() => /close this window/.test(document.getElementById('status').textContent)")
    assert page.evaluate("() => window.API.isTerminated()")
    last = lms.commits[-1]["cmi"]["core"]
    assert len(lms.commits) > committed and last["lesson_status"] == "passed"
    # The session's time, in CMITimespan, and an exit that does not ask to resume a module passed.
    assert re.fullmatch(r"\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?", last["session_time"]) and last["session_time"] != "00:00:00"
    assert last["exit"] == ""
    assert last["lesson_location"] == module.pages[-1].id and last["score"]["raw"] == "86"


def test_under_a_higher_mastery_score_the_same_answers_fail(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    sco = open_sco(page, lms, {"student_data": {"mastery_score": "90"}})
    assert "Not passed" in answer_quiz(page, module, wrong=1, root=sco)
    assert cmi(page, "core.lesson_status") == "failed" and cmi(page, "core.score.raw") == "86"


def test_a_second_attempt_resumes_at_the_page_where_the_learner_stopped(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    seen = json.dumps({"s": "1" * (len(module.pages) - 1) + "0", "b": None, "p": 0, "c": 0})
    sco = open_sco(page, lms, {"core": {"lesson_location": module.pages[1].id, "lesson_status": "incomplete",
                                        "entry": "resume"}, "suspend_data": seen})
    page.frame(name="page").wait_for_url(f"**/{module.pages[1].id}.html")
    sco.frame_locator("#page").locator("a[rel=next]").click()  # the one page not read yet
    page.frame(name="page").wait_for_url(f"**/{module.pages[2].id}.html")
    page.wait_for_function("() => window.API.cmi.core.lesson_location === %s" % json.dumps(module.pages[2].id))
    assert json.loads(cmi(page, "suspend_data"))["s"] == "1" * len(module.pages)


def test_without_a_scorm_runtime_the_pages_read_and_the_sco_says_progress_is_not_recorded(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    page.goto(f"{lms.base}{SCO}")  # opened alone: no LMS window above it
    page.wait_for_function("() => /not being recorded/.test(document.getElementById('status').textContent)")
    read_every_page(page, module)
    assert "Passed" in answer_quiz(page, module)  # graded all the same, for the learner
    assert lms.commits == []


def test_when_the_lms_closes_the_sco_it_finishes_after_its_last_values_are_committed(stand_in, browser_page):
    lms, page, module = stand_in, browser_page, sample_module()
    sco = open_sco(page, lms, {"student_data": {"mastery_score": "80"}})
    record_calls(page)
    read_every_page(page, module, sco)
    assert "Passed" in answer_quiz(page, module, wrong=1, root=sco)
    page.evaluate("() => document.getElementById('sco').remove()")  # the LMS closes the SCO's frame
    page.wait_for_function("() => window.API.isTerminated()")
    calls = page.evaluate("() => window.calls")
    names = [name for name, _, _ in calls]
    assert names[-2:] == ["LMSCommit", "LMSFinish"] and names.count("LMSFinish") == 1  # nothing after LMSFinish
    # What the SCO set on leaving, between the quiz's commit and its last: committed, then finished.
    leaving = calls[max(i for i, name in enumerate(names[:-2]) if name == "LMSCommit") + 1:-2]
    assert {name for name, _, _ in leaving} == {"LMSSetValue"}
    last = {element: value for _, element, value in leaving}
    assert last["cmi.core.exit"] == "" and last["cmi.core.session_time"] != "0000:00:00.00"
    core = lms.commits[-1]["cmi"]["core"]
    assert core["lesson_status"] == "passed" and core["exit"] == "" and core["score"]["raw"] == "86"


def test_the_sco_of_a_module_whose_quiz_is_graded_on_the_server_only_is_completed_by_reading_it(stand_in,
                                                                                                browser_page):
    lms, page, module = stand_in, browser_page, sample_module(SERVER_GRADED)
    sco = open_sco(page, lms, module=module.slug)  # the manifest gives it no mastery score
    assert sco.locator("#quiz-elsewhere").is_visible() and sco.locator("#quiz-link").count() == 0
    read_every_page(page, module, sco)
    page.wait_for_function("() => window.API.cmi.core.lesson_status === 'completed'")
    sco.click("#exit")
    page.wait_for_function("() => window.API.isTerminated()")
    core = lms.commits[-1]["cmi"]["core"]
    assert core["lesson_status"] == "completed" and core["exit"] == ""  # nothing left to resume
