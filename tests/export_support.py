"""The sample course exported once a test session as cmi5 and SCORM 1.2 packages, and their schemas."""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

import pytest

from authoring.build import build_course
from authoring.export import BUILD_DIR, cmi5, scorm12

SCHEMAS = Path(__file__).resolve().parent / "schemas"
SAMPLE_COURSE = Path(__file__).resolve().parent.parent / "courses" / "crisis-management"


@pytest.fixture(scope="session")
def exported(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The sample course's packages: ``{"cmi5": {language: zip}, "scorm12": {language: zip}}``."""
    out = tmp_path_factory.mktemp("exports")
    result = build_course(SAMPLE_COURSE, out / BUILD_DIR)
    packages = {}
    for name, standard in (("cmi5", cmi5), ("scorm12", scorm12)):
        paths = standard.write(result, out)
        packages[name] = {path.stem.rsplit("-", 1)[1]: path for path in paths}
    return packages


def members(path: Path) -> dict[str, bytes]:
    """Every file of a zip, by name."""
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def unzip(path: Path, folder: Path) -> Path:
    """Unpack a package as an LMS does before serving it; return the folder."""
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    return folder


def sample_module(slug: str = "consular-crisis-response"):
    """A module of the sample course, as the export renders it (for its pages and answer key)."""
    from authoring.reader import read_course

    course, _ = read_course(SAMPLE_COURSE)
    return course.module(slug)


def read_every_page(page, module, root=None) -> None:
    """Read the module as a learner does in the launch page's frame: from its contents, then 'next' to the end.

    ``root`` is the frame the launch page is in, when an LMS's page holds it (the browser's page otherwise).
    """
    root = root or page
    frame = page.frame(name="page")
    frame.wait_for_url(f"**/{module.slug}/index.html")
    root.frame_locator("#page").locator(f'a[href="{module.pages[0].id}.html"]').click()
    frame.wait_for_url(f"**/{module.pages[0].id}.html")
    for following in module.pages[1:]:
        root.frame_locator("#page").locator("a[rel=next]").click()
        frame.wait_for_url(f"**/{following.id}.html")


def answer_quiz(page, module, wrong: int = 0, root=None) -> str:
    """Open the quiz from the bar, answer it (the first ``wrong`` questions wrongly) and submit; return its verdict."""
    root = root or page
    root.click("#quiz-link")
    page.frame(name="page").wait_for_url("**/quiz.html")
    form = root.frame_locator("#page").locator("#quiz")
    for index, question in enumerate(module.quiz.questions):
        box = form.locator(f"#question-{question.id}")
        right = index >= wrong
        if question.options:
            options = list(enumerate(question.options))
            chosen = [n for n, o in options if o.correct] if right else [next(n for n, o in options if not o.correct)]
            for number in chosen:
                box.locator(f'input[value="{number}"]').check()
        else:
            answer = (f"{question.number:g}" if question.number is not None else question.answers[0])
            box.locator("input").fill(answer if right else "not the answer")
    form.locator("button[type=submit]").click()
    root.wait_for_function("() => document.getElementById('page').contentDocument"
                           ".getElementById('quiz-result').textContent !== ''")
    return form.locator("#quiz-result").inner_text()


#: The sample course's module whose quiz is graded on the server only ("graded: server"): its answer key must never
#: be in a package, whose files any LMS serves to the learner's browser.
SERVER_GRADED = "migrants-in-crisis"


def correct_answers(course_json: dict, slug: str) -> list[str]:
    """The texts that answer a module's quiz rightly, as a build's course.json gives them: right options, answers."""
    quiz = next(m for m in course_json["modules"] if m["slug"] == slug)["quiz"]
    return [o["text"] for q in quiz["questions"] for o in q["options"] if o["correct"]] + [
        a for q in quiz["questions"] for a in q["answers"]]


def launch_data_of(files: dict[str, bytes], slug: str) -> list[dict]:
    """What a package's launch pages read of a module: from ``launch/<language>.json`` (a build's package) or from
    the module's own launch page (an export's)."""
    found = []
    for name, data in files.items():
        if name.startswith("launch/") and name.endswith(".json"):
            found.append(json.loads(data)["modules"][slug])
        elif name == f"launch/{slug}.html":
            script = re.search(r'<script type="application/json" id="module-data">(.*?)</script>', data.decode(), re.S)
            found.append(json.loads(script.group(1)))
    return found


def assert_no_answer_key(files: dict[str, bytes], slug: str, answers: list[str],
                         lms_only: tuple[str, ...] = ()) -> None:
    """Check that no member of a package gives away the answers of a module's quiz graded on the server only.

    ``answers`` are its right answers' texts, in every language; ``lms_only`` names members the check leaves out.
    """
    data = launch_data_of(files, slug)
    assert data, f"{slug} is not an AU of the package"
    for unit in data:
        assert unit["quiz"] is None and unit["quizElsewhere"] is True  # no key, no quiz page: taken in Passerelle
        assert unit["masteryScore"] is None
    assert not [name for name in files if name.endswith(f"modules/{slug}/quiz.html")]
    assert answers
    # Each answer as a page, a JSON file or a page's JSON would write it.
    written = {form for answer in answers for form in (
        answer, html.escape(answer), json.dumps(answer)[1:-1], json.dumps(answer, ensure_ascii=False)[1:-1],
        json.dumps(answer, ensure_ascii=False)[1:-1].replace("'", "\\u0027"))}
    for name, content in files.items():
        if name not in lms_only:
            text = content.decode("utf-8", "replace")
            assert not [form for form in written if form in text], name
