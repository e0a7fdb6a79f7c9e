"""Building the sample course: the package, its manifest, pages and decks."""

from __future__ import annotations

import gc
import hashlib
import html
import io
import json
import shutil
import zipfile
from html.parser import HTMLParser

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner
from PIL import Image
from pptx import Presentation

from authoring import html as html_templates
from authoring import locales, parallel
from authoring.build import build_course
from authoring.cli import build_command, check_command
from authoring.package import read_package
from authoring.problems import CourseError
from conftest import SAMPLE_COURSE
from package_support import assert_same_package


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_package_has_a_manifest_that_hashes_every_file(sample_package):
    files = members(sample_package)
    manifest = json.loads(files["manifest.json"])
    assert manifest["course"]["iri"] == "https://courses.passerelle.example/crisis-management"
    assert manifest["course"]["version"] == "1.0"
    assert [m["slug"] for m in manifest["modules"]] == [
        "consular-crisis-response", "registration-contingency", "families-and-media", "migrants-in-crisis",
        "earthquake-tabletop", "debrief-action-planning"]
    # Downloads are packaged as they are, beside the optimised images.
    assert files["assets/handouts/registration-template.csv"] == \
        (SAMPLE_COURSE / "handouts" / "registration-template.csv").read_bytes()
    assert "assets/images/crisis-cycle.png" in files
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    with open(sample_package, "rb") as stream:
        assert read_package(stream).course.title == "Crisis management and protection of citizens abroad"


def test_same_sources_give_the_same_bytes(tmp_path, sample_package):
    again = build_course(SAMPLE_COURSE, tmp_path).path
    assert_same_package(again, sample_package)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_self_paced_pages_are_html_with_the_content(sample_package):
    files = members(sample_package)
    page = files["modules/consular-crisis-response/communicating-with-families.html"].decode()
    parser = _Text()
    parser.feed(page)
    assert "ol" in parser.tags and "strong" in parser.tags
    text = "".join(parser.text)
    assert "Give each family one contact person." in text
    assert "[x]" not in page  # quiz answers never reach the standalone pages
    assert "script" not in parser.tags


def test_live_module_deck_opens_with_notes_as_speaker_notes(sample_package):
    deck = Presentation(io.BytesIO(members(sample_package)["modules/earthquake-tabletop/deck.pptx"]))
    titles = [slide.shapes.title.text for slide in deck.slides]
    assert titles[0] == "Tabletop exercise — an earthquake where many nationals live"
    assert titles[1] == "Agenda"
    assert "Activity (45 min): Round one — the first six hours" in titles
    agenda = deck.slides[1].placeholders[1].text_frame.text
    assert "45 min — Round one — the first six hours" in agenda
    scenario = deck.slides[titles.index("The scenario")]
    assert "Hand out the role cards" in scenario.notes_slide.notes_text_frame.text
    assert "2,300 registered nationals" in scenario.placeholders[1].text_frame.text


def test_facilitator_guide_lists_agenda_and_notes(sample_package):
    guide = members(sample_package)["modules/earthquake-tabletop/guide.html"].decode()
    assert "Facilitator guide" in guide
    assert "Release the injects at 10-minute intervals" in guide


def test_cli_build_and_check(tmp_path):
    runner = CliRunner()
    result = runner.invoke(build_command, [str(SAMPLE_COURSE), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ("6 modules in 5 languages (6 rebuilt, 0 unchanged; 30 of 30 renderings made), 10 pages, 16 slides, "
            "0 warnings") in result.output
    assert (tmp_path / "crisis-management-1.0.zip").is_file()
    again = runner.invoke(build_command, [str(SAMPLE_COURSE), "-o", str(tmp_path)])
    assert ("6 modules in 5 languages (0 rebuilt, 6 unchanged; 0 of 30 renderings made), 10 pages, 16 slides, "
            "0 warnings") in again.output
    assert runner.invoke(check_command, [str(SAMPLE_COURSE)]).exit_code == 0


def test_cli_check_and_build_fail_with_file_and_line(tmp_path):
    course = tmp_path / "broken"
    (course / "modules").mkdir(parents=True)
    (course / "course.yaml").write_text(
        "id: https://academy.example.org/c\ntitle: Broken\nversion: '1'\nsource_language: en\nmodules: [m]\n")
    (course / "modules" / "m.md").write_text(
        "---\ntype: self-paced\ntitle: M\nduration: 5\n---\n\n# Page\n\n:::: quiz\n::: question\nQ?\n\n"
        "- [ ] a\n- [ ] b\n:::\n::::\n")
    runner = CliRunner()
    checked = runner.invoke(check_command, [str(course)])
    assert checked.exit_code != 0
    assert f"{course / 'modules' / 'm.md'}:10:1: error: the question has no correct answer" in checked.output
    built = runner.invoke(build_command, [str(course), "-o", str(tmp_path / "dist")])
    assert built.exit_code != 0 and "build failed: 1 errors" in built.output
    assert not (tmp_path / "dist").exists()


def test_a_build_hands_back_to_the_cycle_collector_what_it_set_aside_even_when_it_fails(tmp_path):
    """A build sets its long-lived objects aside from the cycle collector for its own time only: a process that
    builds (the command line, the LMS, tests) would otherwise never free the cycles alive at that moment."""
    course = tmp_path / "broken"
    (course / "modules").mkdir(parents=True)
    (course / "course.yaml").write_text("id: https://academy.example.org/c\ntitle: Broken\nversion: '1'\n"
                                        "source_language: en\nmodules: [m]\n")
    (course / "modules" / "m.md").write_text("---\ntype: self-paced\ntitle: M\nduration: 5\n---\n\n# P\n\nText.\n")
    build_course(course, tmp_path / "dist")
    assert gc.get_freeze_count() == 0
    (course / "modules" / "m.md").write_text("---\ntype: self-paced\ntitle: M\n---\n\n# P\n\n:::: quiz\n::::\n")
    with pytest.raises(CourseError):
        build_course(course, tmp_path / "dist")
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a server that preloads its application may have set objects aside itself: they stay so
    try:
        kept = gc.get_freeze_count()
        build_course(copy_sample(tmp_path), tmp_path / "sample", use_cache=False)
        assert kept // 2 < gc.get_freeze_count() <= kept  # neither handed back nor more set aside
    finally:
        gc.unfreeze()


def copy_sample(tmp_path):
    """Copy the sample course and its catalogs, laid out as in the repository."""
    course = tmp_path / "courses" / "crisis-management"
    shutil.copytree(SAMPLE_COURSE, course)
    shutil.copytree(SAMPLE_COURSE.parent.parent / "translations" / "crisis-management",
                    tmp_path / "translations" / "crisis-management")
    return course


def test_unchanged_modules_are_taken_from_the_cache(tmp_path):
    course = copy_sample(tmp_path)
    out = tmp_path / "dist"
    seen = []
    first = build_course(course, out, progress=lambda done, total, slug: seen.append((done, total, slug)))
    assert len(first.rebuilt) == 6
    # Each module is rendered once per language: English, French, Spanish, Russian, Arabic.
    assert [(done, total) for done, total, _ in seen] == [(n, 30) for n in range(1, 31)]
    assert sorted(slug for _, _, slug in seen if "/" not in slug) == sorted(m.slug for m in first.course.modules)
    assert build_course(course, out).rebuilt == []

    module = course / "modules" / "families-and-media.md"
    module.write_text(module.read_text() + "\nA paragraph added after the first build.\n")
    again = build_course(course, out)
    assert again.rebuilt == ["families-and-media"]
    assert "(1 rebuilt, 5 unchanged; 5 of 30 renderings made)" in again.summary()
    # The incremental package is exactly what a build from scratch gives.
    fresh = build_course(course, tmp_path / "fresh", use_cache=False)
    assert_same_package(again.path, fresh.path)
    page = members(again.path)["modules/families-and-media/social-media.html"].decode()
    assert "A paragraph added after the first build." in page


def test_a_module_edit_reads_and_renders_that_module_again_in_every_language_and_nothing_else(tmp_path):
    course = copy_sample(tmp_path)
    out = tmp_path / "dist"
    first = build_course(course, out)
    assert len(first.rendered) == 30 and all(len(t.read) == 6 for t in first.translations)
    module = course / "modules" / "families-and-media.md"
    text = module.read_text()
    assert "without losing trust. It has" in text
    module.write_text(text.replace("without losing trust. It has", "without losing trust, if it is honest. It has"))
    again = build_course(course, out)
    assert again.rendered == [("families-and-media", language) for language in ("en", "fr", "es", "ru", "ar")]
    assert {t.language: t.read for t in again.translations} == {
        language: ["families-and-media"] for language in ("fr", "es", "ru", "ar")}
    # Its catalog entry no longer matches the edited paragraph, which the French page shows in English.
    french = members(again.path)["languages/fr/modules/families-and-media/the-holding-statement.html"].decode()
    assert "if it is honest." in french and "Une déclaration d&#39;attente est ce que" not in french
    assert_same_package(again.path, build_course(course, tmp_path / "fresh", use_cache=False).path)


def test_a_po_edit_renders_again_only_the_modules_of_that_language_whose_entries_changed(tmp_path):
    course = copy_sample(tmp_path)
    out = tmp_path / "dist"
    build_course(course, out)
    catalog = tmp_path / "translations" / "crisis-management" / "fr.po"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace(
        "Elle fait gagner du temps sans perdre la confiance.", "Elle donne du temps sans perdre la confiance."),
        encoding="utf-8")
    again = build_course(course, out)
    assert again.rendered == [("families-and-media", "fr")]
    assert {t.language: t.read for t in again.translations} == {
        "fr": ["families-and-media"], "es": [], "ru": [], "ar": []}
    files = members(again.path)
    assert "Elle donne du temps" in files["languages/fr/modules/families-and-media/the-holding-statement.html"].decode()
    assert "Elle donne du temps" in files["languages/fr/course.json"].decode()
    assert_same_package(again.path, build_course(course, tmp_path / "fresh", use_cache=False).path)
    # Putting the catalog back takes every module from the cache again.
    catalog.write_text(catalog.read_text(encoding="utf-8").replace("Elle donne du temps", "Elle fait gagner du temps"),
                       encoding="utf-8")
    assert build_course(course, out).rendered == [("families-and-media", "fr")]
    assert build_course(course, out).rendered == []


def test_a_changed_interface_catalog_renders_that_languages_modules_again(tmp_path, monkeypatch):
    course = copy_sample(tmp_path)
    interface = tmp_path / "interface"
    shutil.copytree(locales.INTERFACE_DIR, interface)
    monkeypatch.setattr(locales, "INTERFACE_DIR", interface)

    def build(out):  # as a new process would: the catalogs read afresh
        for cached in (locales.interface_translations, locales.interface_version, html_templates._env):
            cached.cache_clear()
        return build_course(course, out)

    build(tmp_path / "dist")
    catalog = interface / "fr" / "LC_MESSAGES" / "messages.po"
    with catalog.open("rb") as stream:
        words = read_po(stream)
    words["Objectives"].string = "Objectifs de la formation"
    with (catalog.with_suffix(".mo")).open("wb") as stream:
        write_mo(stream, words)
    again = build(tmp_path / "dist")
    assert sorted(again.rendered) == sorted((m.slug, "fr") for m in again.course.modules)
    files = members(again.path)
    assert "Objectifs de la formation" in files["languages/fr/modules/families-and-media/index.html"].decode()
    assert_same_package(again.path, build_course(course, tmp_path / "fresh", use_cache=False).path)


def test_a_changed_image_or_course_file_rebuilds_what_uses_it(tmp_path):
    course = copy_sample(tmp_path)
    out = tmp_path / "dist"
    build_course(course, out)
    image = course / "images" / "crisis-cycle.png"
    with Image.open(image) as picture:
        picture.rotate(90, expand=True).save(image)
    assert build_course(course, out).rebuilt == ["consular-crisis-response", "earthquake-tabletop"]
    settings = course / "course.yaml"
    settings.write_text(settings.read_text().replace("Crisis management and", "Crisis management, and"))
    assert len(build_course(course, out).rebuilt) == 6


def test_a_damaged_cache_is_ignored(tmp_path):
    course = copy_sample(tmp_path)
    out = tmp_path / "dist"
    first = build_course(course, out).path.read_bytes()
    for entry in (out / ".cache").rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"not what was written")
    again = build_course(course, out)
    assert len(again.rebuilt) == 6
    assert_same_package(again.path, first)


def test_a_failed_build_writes_nothing(tmp_path):
    course = copy_sample(tmp_path)
    module = course / "modules" / "families-and-media.md"
    module.write_text(module.read_text() + "\n![](../images/crisis-cycle.png)\n")  # no alt text
    out = tmp_path / "dist"
    with pytest.raises(CourseError) as failure:
        build_course(course, out)
    assert any("has no alt text" in p.message for p in failure.value.problems)
    assert not out.exists()


def test_participant_handout_has_no_facilitator_notes(sample_package):
    files = members(sample_package)
    handout = html.unescape(files["modules/debrief-action-planning/handout.html"].decode())
    guide = files["modules/debrief-action-planning/guide.html"].decode()
    assert "Your mission's action plan" in handout and "Groups:" in handout
    assert "Push back on improvements" not in handout  # notes are for the facilitator
    assert "Push back on improvements" in guide
    assert 'href="../../assets/handouts/contingency-plan-checklist.pdf" download' in handout


def test_scenarios_are_playable_as_static_pages(sample_package):
    files = members(sample_package)
    start = files["modules/migrants-in-crisis/scenario.valdoria.html"].decode()
    assert 'href="scenario.valdoria.alert.1.html"' in start
    good_end = files["modules/migrants-in-crisis/scenario.valdoria.wardens.1.html"].decode()
    assert "1,400 of your nationals" in good_end and "Debrief" in good_end
    assert "The host authorities agree" in good_end  # the consequence of the choice


def test_building_on_several_cores_gives_the_same_package(tmp_path, monkeypatch):
    course = copy_sample(tmp_path)
    modules = course / "modules"
    names = [p.stem for p in sorted(modules.glob("*.md"))]
    for n in range(4):  # enough modules for the build to use worker processes
        for name in names:
            (modules / f"{name}-{n}.md").write_text((modules / f"{name}.md").read_text())
    settings = course / "course.yaml"
    listed = "".join(f"  - {name}-{n}\n" for n in range(4) for name in names)
    settings.write_text(settings.read_text().replace("completion:", listed + "completion:"))
    several = build_course(course, tmp_path / "several", use_cache=False)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    one = build_course(course, tmp_path / "one", use_cache=False)
    assert len(one.course.modules) == 30
    assert_same_package(several.path, one.path)
