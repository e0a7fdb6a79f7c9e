"""cmi5 export: a course structure valid against cmi5's schema, an AU per self-paced module, pages within budget."""

from __future__ import annotations

import gzip
import re

import pytest
from click.testing import CliRunner
from lxml import etree

from authoring.cli import export_group
from authoring.export import cmi5
from export_support import (SAMPLE_COURSE, SCHEMAS, SERVER_GRADED, assert_no_answer_key, correct_answers,  # noqa: F401
                            exported, launch_data_of, members)

NS = {"c": cmi5.NAMESPACE}
#: The lesson budgets the LMS's pages keep (tests/lms/test_budgets.py), in compressed bytes.
HTML_BUDGET, SCRIPT_BUDGET, CRITICAL_PATH_BUDGET = 14_000, 10_000, 20_000
LANGUAGES = ["en", "fr", "es", "ru", "ar"]


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "cmi5" / "CourseStructure.xsd")))


def structure(files: dict[str, bytes]):
    return etree.fromstring(files[cmi5.COURSE_STRUCTURE])


def test_one_package_per_language_each_with_a_valid_course_structure(exported, schema):
    assert sorted(exported["cmi5"]) == sorted(LANGUAGES)
    for language, path in exported["cmi5"].items():
        document = structure(members(path))
        schema.assertValid(document)
        titles = document.xpath("//c:langstring/@lang", namespaces=NS)
        assert set(titles) == {language}


def test_the_schema_refuses_a_course_structure_it_should(exported, schema):
    document = structure(members(exported["cmi5"]["en"]))
    document.xpath("//c:au", namespaces=NS)[0].set("moveOn", "Sometimes")
    assert not schema.validate(document)


def test_a_block_for_the_course_and_an_au_per_self_paced_module_with_its_rules(exported):
    files = members(exported["cmi5"]["en"])
    document = structure(files)
    course_id = document.xpath("/c:courseStructure/c:course/@id", namespaces=NS)
    assert course_id == ["https://courses.passerelle.example/crisis-management"]
    blocks = document.xpath("/c:courseStructure/c:block", namespaces=NS)
    assert len(blocks) == 1 and blocks[0].get("id") != course_id[0]
    aus = {au.get("id").rsplit("/", 1)[1]: au for au in blocks[0].xpath("c:au", namespaces=NS)}
    # The live modules (earthquake-tabletop, debrief-action-planning) are run by a trainer, not launched.
    assert list(aus) == ["consular-crisis-response", "registration-contingency", "families-and-media",
                         "migrants-in-crisis"]
    # course.yaml: consular-crisis-response needs 70% at its quiz; the others need completing, each quiz at its mark.
    assert (aus["consular-crisis-response"].get("moveOn"), aus["consular-crisis-response"].get("masteryScore")) == \
        ("CompletedAndPassed", "0.7")
    assert (aus["registration-contingency"].get("moveOn"), aus["registration-contingency"].get("masteryScore")) == \
        ("Completed", "0.6")
    assert aus["families-and-media"].get("moveOn") == "Completed" and aus["families-and-media"].get("masteryScore") is None
    for au in aus.values():
        url = au.findtext("c:url", namespaces=NS)
        assert url in files
        frame = re.search(r'<iframe [^>]*src="\.\./([^"]+)"', files[url].decode()).group(1)
        assert frame in files


def test_a_translation_launches_its_own_pages_in_its_language(exported):
    files = members(exported["cmi5"]["fr"])
    launch = files["launch/consular-crisis-response.html"].decode()
    assert '<html lang="fr" dir="ltr">' in launch
    assert 'src="../languages/fr/modules/consular-crisis-response/index.html"' in launch
    assert not any(name.startswith("modules/") for name in files)  # the source language's pages stay out
    arabic = members(exported["cmi5"]["ar"])["launch/consular-crisis-response.html"].decode()
    assert '<html lang="ar" dir="rtl">' in arabic
    quiz = files["languages/fr/modules/consular-crisis-response/quiz.html"].decode()
    assert '<html lang="fr"' in quiz and quiz.count("<fieldset") == 7


def test_no_deck_goes_into_a_package(exported):
    assert not any(name.endswith(".pptx") for name in members(exported["cmi5"]["en"]))


@pytest.mark.parametrize("standard", ["cmi5", "scorm12"])
def test_every_page_keeps_the_lesson_budget(exported, standard):
    for language, path in exported[standard].items():
        files = members(path)
        sizes = {name: len(gzip.compress(data)) for name, data in files.items() if name.endswith((".html", ".js"))}
        pages = {name: size for name, size in sizes.items() if name.endswith(".html")}
        assert max(pages.values()) <= HTML_BUDGET, language
        runtime = sizes["launch/runtime.js"]
        assert runtime <= SCRIPT_BUDGET
        for launch in (name for name in pages if name.startswith("launch/")):
            slug = launch.removeprefix("launch/").removesuffix(".html")
            largest = max(size for name, size in pages.items() if f"modules/{slug}/" in name)
            assert pages[launch] + runtime + largest <= CRITICAL_PATH_BUDGET, (language, slug)


def test_an_export_is_the_same_bytes_every_time(tmp_path):
    runner = CliRunner()
    first = runner.invoke(export_group, ["cmi5", str(SAMPLE_COURSE), "-o", str(tmp_path / "a")])
    second = runner.invoke(export_group, ["cmi5", str(SAMPLE_COURSE), "-o", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "crisis-management-1.0-cmi5-fr.zip" in first.output
    for language in LANGUAGES:
        name = f"crisis-management-1.0-cmi5-{language}.zip"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_course_with_errors_is_not_exported(tmp_path):
    course = tmp_path / "broken"
    course.mkdir()
    (course / "course.yaml").write_text("title: [unclosed\n")
    result = CliRunner().invoke(export_group, ["scorm12", str(course), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "export failed" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.zip"))


def server_graded_answers(sample_package) -> list[str]:
    """The right answers of the quiz graded on the server only, in every language, from the build's course.json."""
    import json
    import zipfile

    with zipfile.ZipFile(sample_package) as zf:
        return [answer for name in zf.namelist() if name == "course.json" or name.endswith("/course.json")
                for answer in correct_answers(json.loads(zf.read(name)), SERVER_GRADED)]


@pytest.mark.parametrize("standard", ["cmi5", "scorm12"])
def test_no_export_holds_the_answer_key_of_a_quiz_graded_on_the_server_only(exported, sample_package, standard):
    answers = server_graded_answers(sample_package)
    for language, path in exported[standard].items():
        files = members(path)
        assert_no_answer_key(files, SERVER_GRADED, answers)
        launch = files[f"launch/{SERVER_GRADED}.html"].decode()
        assert 'id="quiz-link"' not in launch and 'id="quiz-elsewhere"' in launch  # where the learner takes it
        if language == "en":
            assert "quiz is taken in the academy's own learning platform" in launch
        browser_graded = launch_data_of(files, "consular-crisis-response")[0]["quiz"]["questions"]
        assert len(browser_graded) == 7 and "correct" in browser_graded[0]  # its key, to grade it in the browser


def test_the_au_of_a_module_whose_quiz_is_graded_on_the_server_only_is_completed_by_reading(exported):
    for path in exported["cmi5"].values():
        document = structure(members(path))
        au = document.xpath(f"//c:au[substring-after(@id, '/modules/') = '{SERVER_GRADED}']", namespaces=NS)[0]
        assert au.get("moveOn") == "Completed" and au.get("masteryScore") is None


def test_an_export_warns_once_that_it_leaves_a_quiz_out(tmp_path):
    result = CliRunner().invoke(export_group, ["cmi5", str(SAMPLE_COURSE), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.count(f"warning: the quiz of {SERVER_GRADED} is graded on the server only") == 1
    assert result.output.count("is graded on the server only") == 1
