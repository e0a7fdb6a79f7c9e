"""Reading course sources: the sample course, and golden files of mistakes.

Each ``fixtures/NAME.md`` is a module with mistakes; ``fixtures/NAME.problems``
holds exactly what ``passerelle check`` must say about it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from authoring import model
from authoring.reader import read_course
from conftest import SAMPLE_COURSE

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.stem for p in FIXTURES.glob("*.md"))

COURSE_YAML = """\
id: https://academy.example.org/courses/fixture
title: Fixture course
version: "1"
source_language: en
modules: [{module}]
"""


def make_course(tmp_path: Path, module_file: Path) -> Path:
    course = tmp_path / "fixture"
    (course / "modules").mkdir(parents=True)
    (course / "course.yaml").write_text(COURSE_YAML.format(module=module_file.stem))
    shutil.copy(module_file, course / "modules" / module_file.name)
    return course


def test_sample_course_reads_without_problems():
    course, problems = read_course(SAMPLE_COURSE)
    assert problems.items == []
    assert course.iri == "https://courses.passerelle.example/crisis-management"
    self_paced, live = course.modules
    assert self_paced.type == model.SELF_PACED and live.type == model.LIVE
    assert self_paced.iri == course.iri + "/modules/consular-crisis-response"
    assert [p.title for p in self_paced.pages] == [
        "Roles in a consular crisis", "Registration of nationals and contingency plans",
        "Communicating with families"]
    quiz = self_paced.quiz
    assert quiz.pass_mark == 0.7 and quiz.attempts == 3
    assert [q.kind for q in quiz.questions] == ["single", "multiple", "true-false", "number", "text", "single",
                                                "single"]
    lead = quiz.questions[0]
    assert lead.options[0].feedback.startswith("Honorary consuls extend the mission's reach")
    assert quiz.questions[1].feedback.startswith("The registration tells you who and where")
    true_false, number, text = quiz.questions[2:5]
    assert [(o.text, o.correct) for o in true_false.options] == [("True", False), ("False", True)]
    assert (number.number, number.tolerance) == (2.0, 0.0)
    assert text.answers == ["wardens", "warden"]
    assert sum(live_item.minutes for live_item in live.agenda) == live.duration == 120
    activities = [s for s in live.slides if s.kind == "activity"]
    assert [a.minutes for a in activities] == [45, 30]
    assert all(slide.notes for slide in live.slides)


def test_page_body_keeps_its_markdown_and_excludes_the_quiz():
    course, _ = read_course(SAMPLE_COURSE)
    last_page = course.modules[0].pages[-1]
    assert last_page.body.startswith("In the first hours")
    assert "1. **Be accurate before being fast.**" in last_page.body
    assert "::: warning" in last_page.body  # callouts stay in the page
    assert "question" not in last_page.body and "[x]" not in last_page.body


@pytest.mark.parametrize("case", CASES)
def test_problems_match_golden_file(tmp_path, case):
    course_dir = make_course(tmp_path, FIXTURES / f"{case}.md")
    _, problems = read_course(course_dir)
    got = "\n".join(p.format().replace(str(course_dir) + "/", "") for p in problems.sorted()) + "\n"
    expected = (FIXTURES / f"{case}.problems").read_text()
    assert got == expected


def test_missing_module_file_is_reported_with_a_suggestion(tmp_path):
    course_dir = make_course(tmp_path, FIXTURES / "misspelt-front-matter.md")
    yaml_path = course_dir / "course.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("misspelt-front-matter", "mispelt-front-matter"))
    _, problems = read_course(course_dir)
    [problem] = problems.errors
    assert problem.path == str(yaml_path) and problem.line == 5
    assert "did you mean 'misspelt-front-matter'?" in problem.hint


def test_folder_without_course_yaml(tmp_path):
    course, problems = read_course(tmp_path)
    assert course is None
    assert problems.errors[0].message == "no course.yaml in this folder"
