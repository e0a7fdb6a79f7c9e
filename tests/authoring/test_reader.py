"""Reading course sources: the sample course, and golden files of mistakes.

Each ``fixtures/NAME.md`` is a module with mistakes, and each ``fixtures/NAME/``
a whole course with mistakes across its files; ``fixtures/NAME.problems``
holds exactly what ``passerelle check`` must say about it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from authoring import model
from authoring.package import read_package, read_translation
from authoring.reader import read_course
from conftest import SAMPLE_COURSE

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.stem for p in FIXTURES.glob("*.md")) + sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())

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
    self_paced, registration, media, migrants, live, workshop = course.modules
    assert [m.type for m in course.modules] == [model.SELF_PACED] * 4 + [model.LIVE] * 2
    assert self_paced.iri == course.iri + "/modules/consular-crisis-response"
    assert [p.title for p in self_paced.pages] == [
        "Roles in a consular crisis", "Registration of nationals and contingency plans",
        "Communicating with families"]
    quiz = self_paced.quiz
    assert quiz.pass_mark == 0.7 and quiz.attempts == 3
    assert quiz.graded == model.DEVICE and not quiz.graded_on_server_only  # a practice quiz, by default
    assert migrants.quiz.graded == model.SERVER and migrants.quiz.graded_on_server_only  # "graded: server"
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
    if (FIXTURES / case).is_dir():
        course_dir = tmp_path / case
        shutil.copytree(FIXTURES / case, course_dir)
    else:
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


def test_sample_course_uses_every_element():
    course, _ = read_course(SAMPLE_COURSE)
    crisis, registration, media, migrants, tabletop, workshop = course.modules
    assert course.prerequisites == ["Work in a consular section, a crisis unit or a mission"]
    assert [(r.module, r.min_score) for r in course.completion] == [
        ("consular-crisis-response", 0.7), ("registration-contingency", None), ("families-and-media", None),
        ("migrants-in-crisis", None)]
    assert migrants.prerequisites == ["registration-contingency", "families-and-media"]
    # Downloads are assets with their size; the image is one without.
    assert registration.assets["../handouts/registration-template.csv"] == "handouts/registration-template.csv"
    assert registration.downloads["handouts/registration-template.csv"] == \
        (SAMPLE_COURSE / "handouts" / "registration-template.csv").stat().st_size
    assert "images/crisis-cycle.png" not in crisis.downloads
    # A branching scenario: choices lead to steps, ends have outcomes, a debrief follows.
    [scenario] = migrants.scenarios
    assert scenario.id == "valdoria" and scenario.steps[0].id == "alert"
    assert [c.goto for c in scenario.steps[0].choices] == ["wardens", "wait"]
    assert scenario.steps[0].choices[0].consequence.startswith("Within an hour, 300 nationals")
    assert {s.id: s.outcome for s in scenario.steps if s.is_end} == {
        "shelter": "success", "official": "failure", "statement": "failure"}
    assert scenario.walk(["alert", "wait", "wardens", "shelter"])
    assert not scenario.walk(["alert", "shelter"])
    assert "not registered" in scenario.debrief
    # Surveys: Likert with the default or the author's scale, and free text.
    assert [(i.id, i.kind, len(i.scale)) for i in migrants.survey.items] == [
        ("useful", "likert", 5), ("scenario", "likert", 5), ("pace", "likert", 3), ("change", "text", 0)]
    assert migrants.survey.items[2].scale == ["too short", "about right", "too long"]
    assert workshop.survey.title == "Workshop evaluation"
    assert [t.term for t in migrants.glossary] == [
        "Country of origin", "Host country", "Assisted departure", "Consular protection"]
    assert migrants.glossary[1].definition.startswith("The state where the migrant lives")
    # Live modules: tables and pictures on slides, activity settings, handout text.
    roles = next(s for s in tabletop.slides if s.title == "Who holds what")
    assert roles.tables[0][0] == ["Role", "First hour", "By hour six"] and len(roles.tables[0]) == 5
    cycle = next(s for s in tabletop.slides if s.images)
    assert cycle.images[0].alt.startswith("The consular crisis cycle")
    activity = next(s for s in workshop.slides if s.kind == "activity")
    assert activity.group == "one team per mission, 3 to 6 people"
    assert activity.materials == ["flipchart", "markers", "printed action-plan template"]
    assert activity.bullets[0] == "Pick the three improvements that matter most for your mission"
    assert "Your mission's action plan" in workshop.handout
    assert sum(a.minutes for a in workshop.agenda) == workshop.duration == 90


def test_who_grades_a_quiz_is_kept_in_the_model_and_the_package(sample_package):
    course, _ = read_course(SAMPLE_COURSE)
    assert model.Module.from_dict(course.module("migrants-in-crisis").to_dict()).quiz.graded == model.SERVER
    for language in ("", "fr"):  # the course, and a translation of it
        with open(sample_package, "rb") as stream:
            edition = read_translation(stream, language) if language else read_package(stream).course
        assert edition.module("migrants-in-crisis").quiz.graded == model.SERVER
        assert edition.module("consular-crisis-response").quiz.graded == model.DEVICE


def live_completion_course(tmp_path: Path, setting: str) -> Path:
    """The live-completion fixture course with ``setting`` as its live_completion lines."""
    course_dir = tmp_path / "live"
    shutil.copytree(FIXTURES / "live-completion-problems", course_dir)
    yaml_path = course_dir / "course.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text[:text.index("live_completion:")] + setting)
    return course_dir


def test_attendance_marks_that_complete_a_live_module_are_the_courses_choice(tmp_path, sample_package):
    course, problems = read_course(live_completion_course(tmp_path, "live_completion: [present, present]\n"))
    assert problems.items == [] and course.live_completion == ["present"]
    assert model.Course.from_dict(course.to_dict()).live_completion == ["present"]
    course, problems = read_course(live_completion_course(tmp_path / "one", "live_completion: excused\n"))
    assert problems.items == [] and course.live_completion == ["excused"]
    # Without the key, present and late complete one, in the source and in the package built from it.
    assert read_course(SAMPLE_COURSE)[0].live_completion == ["present", "late"]
    with open(sample_package, "rb") as stream:
        assert read_package(stream).course.live_completion == ["present", "late"]


@pytest.mark.parametrize("setting", ["live_completion: []\n", "live_completion:\n"])
def test_a_live_completion_that_lists_no_mark_is_an_error_at_its_line(tmp_path, setting):
    course_dir = live_completion_course(tmp_path, "# marks\n" + setting)
    _, problems = read_course(course_dir)
    [problem] = problems.errors
    assert (problem.path, problem.line) == (str(course_dir / "course.yaml"), 9)
    assert problem.message == "live_completion lists no attendance mark, so no live module could be completed"
    assert "live_completion: [present]" in problem.hint
