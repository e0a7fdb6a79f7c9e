"""M&E declarations in course.yaml: pre/post knowledge tests and the follow-up survey.

The LMS reports on them from the course model in the package, so the build refuses any it could not apply,
and a package whose declarations were edited by hand is refused too.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from authoring import model
from authoring.package import PackageError, read_package, read_translation
from authoring.reader import read_course
from authoring.segments import course_segments
from conftest import SAMPLE_COURSE

COURSE_YAML = """\
id: https://academy.example.org/courses/evaluation
title: Evaluation
version: "1"
source_language: en
modules: [intro, once, reading, workshop, closing]
"""
#: Where the M&E keys start in the course.yaml of :func:`course_with`.
FIRST_LINE = COURSE_YAML.count("\n") + 1

QUIZ = """
:::: quiz attempts={attempts} Check
::: question
Which is right?

- [x] This
- [ ] That
:::
::::
"""
SURVEY = """
:::: survey Looking back
::: item likert
The course changed how I work.
:::
::::
"""
LIVE = """\
---
type: live
title: Workshop
duration: 10
---

::: agenda
- 10 min: Talk
:::

# Talk

- Who does what in the first hour

:::: survey Workshop evaluation
::: item likert
The workshop was useful.
:::
::::
"""


def self_paced(title: str, *blocks: str) -> str:
    return f"---\ntype: self-paced\ntitle: {title}\nduration: 10\n---\n\n# Page\n\nSome text.\n" + "".join(blocks)


MODULES = {
    "intro": self_paced("Intro", QUIZ.format(attempts=0), SURVEY),  # a quiz taken again and again, a survey
    "once": self_paced("Once", QUIZ.format(attempts=1)),  # a quiz taken once
    "reading": self_paced("Reading"),  # neither quiz nor survey
    "workshop": LIVE,  # a live module with a survey
    "closing": self_paced("Closing", QUIZ.format(attempts=2), SURVEY),
}


def course_with(tmp_path: Path, declarations: str) -> Path:
    """Write a course whose course.yaml ends with ``declarations``."""
    course = tmp_path / "evaluation"
    (course / "modules").mkdir(parents=True)
    (course / "course.yaml").write_text(COURSE_YAML + declarations)
    for slug, text in MODULES.items():
        (course / "modules" / f"{slug}.md").write_text(text)
    return course


def read(tmp_path: Path, declarations: str) -> tuple[model.Course, list]:
    course, problems = read_course(course_with(tmp_path, declarations))
    return course, problems.items


# -- what the course declares ------------------------------------------------

def test_the_sample_course_declares_a_knowledge_test_and_a_follow_up():
    course, problems = read_course(SAMPLE_COURSE)
    assert problems.items == []
    [test] = course.knowledge
    assert (test.pre, test.post, test.same_quiz) == ("consular-crisis-response", "consular-crisis-response", True)
    assert course.module(test.pre).quiz.attempts == 3  # a first attempt and up to two more after the teaching
    assert (course.follow_up.module, course.follow_up.after_days) == ("migrants-in-crisis", 90)
    assert course.module("migrants-in-crisis").survey is not None


def test_pairs_of_modules_and_a_follow_up_are_read_with_their_lines(tmp_path):
    course, problems = read(tmp_path, """\
knowledge:
  - pre: intro
    post: closing
  - {pre: intro, post: intro}
follow_up:
  module: closing
  after_days: 180
""")
    assert problems == []
    assert [(t.pre, t.post, t.line) for t in course.knowledge] == [
        ("intro", "closing", FIRST_LINE + 1), ("intro", "intro", FIRST_LINE + 3)]
    assert [t.same_quiz for t in course.knowledge] == [False, True]
    assert course.follow_up == model.FollowUp("closing", 180, FIRST_LINE + 4)


def test_a_course_without_them_declares_none(tmp_path):
    course, problems = read(tmp_path, "")
    assert problems == []
    assert course.knowledge == [] and course.follow_up is None


def test_the_follow_up_module_is_not_required_for_completion_by_default(tmp_path):
    """It opens only once the course is complete, so requiring it by default would mean no one completes."""
    course, problems = read(tmp_path, "follow_up: {module: closing, after_days: 30}\n")
    assert problems == []
    assert [r.module for r in course.completion] == ["intro", "once", "reading"]
    # An author who names it in completion has learners answer its survey during the course too.
    course, problems = read(tmp_path / "named", "follow_up: {module: closing, after_days: 30}\n"
                                                "completion: {intro: completed, closing: completed}\n")
    assert problems == []
    assert [r.module for r in course.completion] == ["intro", "closing"]


@pytest.mark.parametrize("days", [1, 90, model.MAX_FOLLOW_UP_DAYS])
def test_after_days_may_be_any_whole_number_of_days_up_to_ten_years(tmp_path, days):
    course, problems = read(tmp_path, f"follow_up:\n  module: intro\n  after_days: {days}\n")
    assert problems == []
    assert course.follow_up.after_days == days


# -- mistakes, each named with its line and a hint ---------------------------

ERRORS = {
    "knowledge names no list": (
        "knowledge: intro\n", 0,
        "knowledge must list pre/post tests, each with a 'pre' and a 'post' module", "knowledge: [{pre:"),
    "knowledge is one pair, not a list": (
        "knowledge:\n  pre: intro\n  post: intro\n", 0,
        "knowledge must list pre/post tests, each with a 'pre' and a 'post' module", "knowledge: [{pre:"),
    "knowledge is an empty list": (
        "knowledge: []\n", 0, "knowledge must list pre/post tests", "knowledge: [{pre:"),
    "knowledge is left empty": (
        "knowledge:\n", 0, "knowledge must list pre/post tests", "knowledge: [{pre:"),
    "a test is a module name, not a pair": (
        "knowledge:\n  - intro\n", 1,
        "knowledge test 'intro' is not a pair of 'pre' and 'post' modules", "'- pre: first-module'"),
    "a pair without its post-test": (
        "knowledge:\n  - pre: intro\n", 1, "a knowledge test is missing 'post'", "add 'post:'"),
    "a misspelt key": (
        "knowledge:\n  - pre: intro\n    post: intro\n    psot: closing\n", 3,
        "unknown key 'psot' in a knowledge test", "did you mean 'post'?"),
    "an unknown module": (
        "knowledge:\n  - pre: intro\n    post: closng\n", 2,
        "knowledge post-test names module 'closng', which is not in the course", "did you mean 'closing'?"),
    "a module without a quiz": (
        "knowledge:\n  - pre: reading\n    post: closing\n", 1,
        "knowledge pre-test 'reading' has no quiz", "':::: quiz' block"),
    "a live module": (
        "knowledge:\n  - pre: intro\n    post: workshop\n", 2,
        "knowledge post-test names live module 'workshop'", "name a self-paced module"),
    "the same quiz, which allows one attempt": (
        "knowledge:\n  - pre: once\n    post: once\n", 1,
        "the quiz of 'once' allows one attempt, so it cannot be taken again as the post-test", "attempts=3"),
    "a pre-test after its post-test": (
        "knowledge:\n  - pre: closing\n    post: intro\n", 1,
        "pre-test 'closing' comes after post-test 'intro' in the module list", "swap pre and post"),
    "follow_up names a module, not a mapping": (
        "follow_up: closing\n", 0,
        "follow_up must name a 'module' with a survey and 'after_days'", "follow_up: {module:"),
    "follow_up is a list": (
        "follow_up:\n  - module: closing\n    after_days: 90\n", 0,
        "follow_up must name a 'module' with a survey and 'after_days'", "follow_up: {module:"),
    "follow_up without after_days": (
        "follow_up:\n  module: closing\n", 0, "follow_up is missing 'after_days'", "add 'after_days:'"),
    "follow_up names an unknown module": (
        "follow_up:\n  module: clossing\n  after_days: 90\n", 1,
        "follow_up names module 'clossing', which is not in the course", "did you mean 'closing'?"),
    "follow_up names a module without a survey": (
        "follow_up:\n  module: once\n  after_days: 90\n", 1,
        "follow_up module 'once' has no survey", "'::: survey' block"),
    "follow_up names a live module": (
        "follow_up:\n  module: workshop\n  after_days: 90\n", 1,
        "follow_up names live module 'workshop'", "name a self-paced module"),
    "after_days is zero": (
        "follow_up:\n  module: closing\n  after_days: 0\n", 2,
        "after_days 0 is not a whole number of days from 1 to 3650", "after_days: 90"),
    "after_days is negative": (
        "follow_up:\n  module: closing\n  after_days: -30\n", 2, "after_days -30 is not a whole number", ""),
    "after_days is over ten years": (
        "follow_up:\n  module: closing\n  after_days: 3651\n", 2, "after_days 3651 is not a whole number", ""),
    "after_days is a fraction": (
        "follow_up:\n  module: closing\n  after_days: 1.5\n", 2, "after_days 1.5 is not a whole number", ""),
    "after_days is words": (
        "follow_up:\n  module: closing\n  after_days: three months\n", 2,
        "after_days 'three months' is not a whole number", ""),
    "after_days is yes": (
        "follow_up:\n  module: closing\n  after_days: yes\n", 2, "after_days True is not a whole number", ""),
}


@pytest.mark.parametrize("declarations, offset, message, hint", ERRORS.values(), ids=ERRORS.keys())
def test_a_mistake_is_an_error_with_its_line_and_a_hint(tmp_path, declarations, offset, message, hint):
    course, problems = read(tmp_path, declarations)
    [problem] = problems
    assert problem.severity == "error"
    assert problem.path.endswith("course.yaml") and problem.line == FIRST_LINE + offset
    assert problem.message.startswith(message)
    assert hint in problem.hint
    # What is wrong is left out of the model, so nothing the LMS reports on rests on it.
    assert course.knowledge == [] and course.follow_up is None


def test_the_same_pair_twice_is_an_error_and_counts_once(tmp_path):
    course, problems = read(tmp_path, "knowledge:\n  - pre: intro\n    post: closing\n"
                                      "  - {pre: intro, post: closing}\n")
    [problem] = problems
    assert (problem.line, problem.message) == (FIRST_LINE + 3, "knowledge test 'intro' -> 'closing' is listed twice")
    assert problem.hint == "remove the second one"
    assert [(t.pre, t.post) for t in course.knowledge] == [("intro", "closing")]


def test_a_misspelt_key_of_follow_up_is_named_with_the_key_it_stands_for(tmp_path):
    course, problems = read(tmp_path, "follow_up:\n  module: closing\n  after_day: 90\n")
    assert [(p.line, p.message, p.hint) for p in problems] == [
        (FIRST_LINE + 2, "unknown key 'after_day' in follow_up", "did you mean 'after_days'?"),
        (FIRST_LINE, "follow_up is missing 'after_days'", "add 'after_days:' (days after the course's completion)")]
    assert course.follow_up is None


def test_a_valid_pair_beside_a_wrong_one_is_kept(tmp_path):
    course, problems = read(tmp_path, "knowledge:\n  - {pre: intro, post: closing}\n  - {pre: reading, post: intro}\n")
    assert [p.message for p in problems] == ["knowledge pre-test 'reading' has no quiz"]
    assert [(t.pre, t.post) for t in course.knowledge] == [("intro", "closing")]


# -- in the package --------------------------------------------------------

def test_the_package_carries_them_in_every_language(sample_package):
    with open(sample_package, "rb") as stream:
        package = read_package(stream)
        stream.seek(0)
        french = read_translation(stream, "fr")
    for course in (package.course, french):
        assert [(t.pre, t.post) for t in course.knowledge] == [("consular-crisis-response",) * 2]
        assert course.follow_up == model.FollowUp("migrants-in-crisis", 90, course.follow_up.line)


def test_translators_are_not_asked_to_translate_them():
    texts = [s.text for s in course_segments((SAMPLE_COURSE / "course.yaml").read_text())]
    assert texts and not any("consular-crisis-response" in t or "migrants-in-crisis" in t for t in texts)


def test_a_course_model_from_before_them_still_loads(sample_package):
    """Packages built, and course models stored by the LMS, before these keys existed have neither."""
    with zipfile.ZipFile(sample_package) as zf:
        data = json.loads(zf.read("course.json"))
    del data["knowledge"], data["follow_up"]
    course = model.Course.from_dict(data)
    assert course.knowledge == [] and course.follow_up is None
    assert model.Course.from_dict(course.to_dict()) == course


def tampered(sample_package, change) -> io.BytesIO:
    """Return the sample package with its course.json changed by ``change(course)``, its hash made to match."""
    with zipfile.ZipFile(sample_package) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    course = json.loads(files["course.json"])
    change(course)
    files["course.json"] = json.dumps(course).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["files"]["course.json"] = hashlib.sha256(files["course.json"]).hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    out.seek(0)
    return out


@pytest.mark.parametrize("change, reason", [
    (lambda c: c["knowledge"].append({"pre": "nowhere", "post": "consular-crisis-response"}),
     "knowledge test 'nowhere' is not a module of the course with a quiz"),
    (lambda c: c["knowledge"].append({"pre": "families-and-media", "post": "families-and-media"}),
     "knowledge test 'families-and-media' is not a module of the course with a quiz"),
    (lambda c: c["follow_up"].update(module="debrief-action-planning"),
     "follow_up 'debrief-action-planning' is not a self-paced module of the course with a survey"),
    (lambda c: c["follow_up"].update(after_days=0), "the after_days of follow_up is 0"),
    (lambda c: c["follow_up"].update(after_days=10**6), "the after_days of follow_up is 1000000"),
    (lambda c: c["follow_up"].update(after_days="90"), "course.json is malformed: expected int"),
], ids=["unknown module", "module without a quiz", "live module", "zero days", "a million days", "days as text"])
def test_a_package_whose_declarations_the_lms_could_not_apply_is_refused(sample_package, change, reason):
    with pytest.raises(PackageError, match=reason):
        read_package(tampered(sample_package, change))


def test_the_guides_example_reads_without_errors(tmp_path):
    guide = (SAMPLE_COURSE.parent.parent / "docs" / "authoring.md").read_text()
    section = guide.split("### Knowledge tests and the follow-up survey", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    course = tmp_path / "guide"
    (course / "modules").mkdir(parents=True)
    modules = {"consular-crisis-response": QUIZ.format(attempts=3), "placement-test": QUIZ.format(attempts=1),
               "final-test": QUIZ.format(attempts=1), "six-months-on": SURVEY}
    (course / "course.yaml").write_text(COURSE_YAML.replace("[intro, once, reading, workshop, closing]",
                                                            f"[{', '.join(modules)}]") + example)
    for slug, block in modules.items():
        (course / "modules" / f"{slug}.md").write_text(self_paced(slug, block))
    read, problems = read_course(course)
    assert [p.format() for p in problems.items] == []
    assert len(read.knowledge) == 2 and read.follow_up.after_days == 180
