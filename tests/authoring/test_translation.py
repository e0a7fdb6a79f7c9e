"""Translating course content through PO catalogs: extract, update, build, and what goes wrong."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner
from pptx import Presentation

from authoring import translation
from authoring.build import build_course
from authoring.cli import check_command, translate_group
from conftest import ROOT, SAMPLE_COURSE

COURSE_YAML = """\
id: https://academy.example.org/courses/demo
title: Consular basics
version: "1.0"
source_language: en
languages: [en, fr, ar]
modules: [intro, workshop]
"""

INTRO = """\
---
type: self-paced
title: First steps
duration: 20
---

# Who does what

The **mission** is the eyes and hands on the ground.

See [the next page](#the-log).

![the crisis cycle](../cycle.png)

- ask for a mobile number;
- record the next of kin.

| Phase | Trigger |
|---|---|
| Advise | Tension rising |

# The log

Every call goes into the log.

:::: quiz attempts=3 Check your understanding
::: question #lead
Who leads the response?

- [x] Headquarters
  > Right: headquarters leads.
- [ ] The honorary consul
:::

::: question #word text
What are trusted nationals called? (one word)

answer: wardens
:::
::::

:::: survey How was it?
::: item likert #pace
The pace was
- too slow
- about right
:::
::::
"""

WORKSHOP = """\
---
type: live
title: Tabletop
duration: 30
---

::: agenda
- 30 min: Round one
:::

# The scenario

- An earthquake strikes at 06:10

::: notes
Hand out the role cards first.
:::
"""

FRENCH = {
    "Consular basics": "Notions consulaires",
    "First steps": "Premiers pas",
    "Who does what": "Qui fait quoi",
    "The **mission** is the eyes and hands on the ground.": "La **mission** est les yeux et les mains sur le terrain.",
    "See [the next page](#the-log).": "Voir [la page suivante](#the-log).",
    "the crisis cycle": "le cycle de la crise",
    "ask for a mobile number;": "demander un numéro de portable ;",
    "record the next of kin.": "noter le proche à prévenir.",
    "Phase": "Phase",
    "Trigger": "Déclencheur",
    "Advise": "Conseiller",
    "Tension rising": "Tensions croissantes",
    "The log": "Le journal",
    "Every call goes into the log.": "Chaque appel va dans le journal.",
    "Check your understanding": "Vérifiez vos connaissances",
    "Who leads the response?": "Qui dirige la réponse ?",
    "Headquarters": "L'administration centrale",
    "Right: headquarters leads.": "Exact : l'administration centrale dirige.",
    "The honorary consul": "Le consul honoraire",
    "What are trusted nationals called? (one word)": "Comment appelle-t-on les ressortissants de confiance ? (un mot)",
    "wardens": "îlotiers",
    "How was it?": "Qu'en avez-vous pensé ?",
    "The pace was": "Le rythme était",
    "too slow": "trop lent",
    "about right": "juste",
    "Tabletop": "Simulation",
    "Round one": "Premier tour",
    "The scenario": "Le scénario",
    "An earthquake strikes at 06:10": "Un séisme frappe à 06 h 10",
    "Hand out the role cards first.": "Distribuez d'abord les fiches de rôle.",
}


@pytest.fixture
def course(tmp_path):
    """A small course in ``courses/demo`` with an image, laid out as in the repository."""
    from PIL import Image

    root = tmp_path / "courses" / "demo"
    (root / "modules").mkdir(parents=True)
    (root / "course.yaml").write_text(COURSE_YAML)
    (root / "modules" / "intro.md").write_text(INTRO)
    (root / "modules" / "workshop.md").write_text(WORKSHOP)
    Image.new("RGB", (40, 30), "navy").save(root / "cycle.png")
    return root


def po_path(course_dir: Path, language: str) -> Path:
    return translation.catalog_dir(course_dir) / f"{language}.po"


def fill(path: Path, strings: dict[str, str]) -> None:
    """Translate the entries of a PO file as a translator would, in a PO editor."""
    with path.open("rb") as f:
        catalog = read_po(f)
    for message in catalog:
        if message.id in strings:
            message.string = strings[message.id]
            message.flags.discard("fuzzy")
    out = io.BytesIO()
    write_po(out, catalog, include_previous=True)
    path.write_bytes(out.getvalue())


def entries(path: Path) -> dict:
    with path.open("rb") as f:
        return {m.id: m for m in read_po(f) if m.id}


def members(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_template_holds_text_and_never_course_syntax(course):
    catalog = translation.template(course)
    ids = {m.id for m in catalog if m.id}
    assert set(FRENCH) <= ids
    # Inline Markdown stays inside its segment; the course's own syntax never reaches the translator.
    assert "The **mission** is the eyes and hands on the ground." in ids
    for text in ids:
        for syntax in ("[x]", "[ ]", "answer:", "attempts=", "#lead", "30 min", ":::", "likert", "../cycle.png"):
            assert syntax not in text, (syntax, text)
    by_id = {m.id: m for m in catalog if m.id}
    assert by_id["Every call goes into the log."].locations == [("modules/intro.md", 24)]
    assert by_id["wardens"].context == "accepted answer"
    assert by_id["too slow"].context == "scale point"
    assert by_id["the crisis cycle"].context == "image description"
    assert by_id["Round one"].context == "agenda block"


def test_extract_translate_build_gives_french_pages_and_a_french_deck(course):
    runner = CliRunner()
    result = runner.invoke(translate_group, ["extract", str(course)])
    assert result.exit_code == 0, result.output
    assert (translation.catalog_dir(course) / "demo.pot").is_file()
    result = runner.invoke(translate_group, ["update", str(course), "--lang", "fr"])
    assert result.exit_code == 0 and "created" in result.output
    fill(po_path(course, "fr"), FRENCH)
    result = runner.invoke(translate_group, ["stats", str(course)])
    assert result.exit_code == 0
    assert "fr" in result.output and f"{len(FRENCH)} (100%)" in result.output

    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    assert built.languages == ["en", "fr", "ar"]  # Arabic has no catalog yet: it is built, all in English
    files = members(built.path)
    page = files["languages/fr/modules/intro/who-does-what.html"].decode()
    assert '<html lang="fr" dir="ltr">' in page
    assert "La <strong>mission</strong> est les yeux et les mains sur le terrain." in page
    assert 'alt="le cycle de la crise"' in page and 'href="the-log.html"' in page
    assert "<th>Déclencheur</th>" in page and 'lang="en"' not in page
    index = files["languages/fr/modules/intro/index.html"].decode()
    assert "Premiers pas" in index and "En autonomie" in index  # the platform's own words, from its catalog
    french = translation.translate_course(course, built.course, "fr").course
    assert [p.id for p in french.module("intro").pages] == ["who-does-what", "the-log"]  # ids stay the source's
    quiz = french.module("intro").quiz
    assert quiz.title == "Vérifiez vos connaissances" and quiz.questions[1].answers == ["îlotiers"]
    assert [o.text for o in quiz.questions[0].options] == ["L'administration centrale", "Le consul honoraire"]

    deck = Presentation(io.BytesIO(files["languages/fr/modules/workshop/deck.pptx"]))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[0] == "Simulation" and "Le scénario" in titles and "Ordre du jour" in titles
    notes = [s.notes_slide.notes_text_frame.text for s in deck.slides if s.has_notes_slide]
    assert "Distribuez d'abord les fiches de rôle." in notes
    english = Presentation(io.BytesIO(files["modules/workshop/deck.pptx"]))
    assert "The scenario" in [s.shapes.title.text for s in english.slides]


def test_editing_a_paragraph_turns_exactly_its_entry_fuzzy_and_the_build_reports_it(course):
    translation.update_catalog(course, "fr")
    fill(po_path(course, "fr"), FRENCH)
    intro = course / "modules" / "intro.md"
    intro.write_text(intro.read_text().replace("Every call goes into the log.",
                                               "Every call and every visit goes into the log."))
    result = translation.update_catalog(course, "fr")
    assert (result.fuzzy, result.new, result.obsolete) == (1, 0, 0)
    catalog = entries(po_path(course, "fr"))
    fuzzy = [m for m in catalog.values() if m.fuzzy]
    assert [m.id for m in fuzzy] == ["Every call and every visit goes into the log."]
    assert fuzzy[0].string == "Chaque appel va dans le journal."  # kept for the translator to revise
    assert '#| msgid "Every call goes into the log."' in po_path(course, "fr").read_text()  # the previous text
    stats = {s.language: s for s in translation.stats(course)}
    assert (stats["fr"].translated, stats["fr"].fuzzy, stats["fr"].untranslated) == (len(FRENCH) - 1, 1, 0)

    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    french = next(t for t in built.translations if t.language == "fr")
    assert [(f.path, f.line, f.fuzzy) for f in french.fallbacks] == [("modules/intro.md", 24, True)]
    page = members(built.path)["languages/fr/modules/intro/the-log.html"].decode()
    assert '<p lang="en">Every call and every visit goes into the log.</p>' in page
    assert "<h1>Le journal</h1>" in page
    report = built.report_path.read_text()
    assert "modules/intro.md:24: fuzzy, shown in en: Every call and every visit goes into the log." in report
    assert "fr: 29/30 segments translated" in built.summary()


def test_a_removed_segment_is_kept_as_obsolete_never_dropped(course):
    translation.update_catalog(course, "fr")
    fill(po_path(course, "fr"), FRENCH)
    intro = course / "modules" / "intro.md"
    intro.write_text(intro.read_text().replace("- record the next of kin.\n", ""))
    assert translation.update_catalog(course, "fr").obsolete == 1
    text = po_path(course, "fr").read_text()
    assert '#~ msgid "record the next of kin."' in text and '#~ msgstr "noter le proche à prévenir."' in text


def test_arabic_pages_are_right_to_left_and_the_deck_runs_right_to_left(course):
    translation.update_catalog(course, "ar")
    fill(po_path(course, "ar"), {"Tabletop": "تمرين محاكاة", "The scenario": "السيناريو"})
    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    files = members(built.path)
    page = files["languages/ar/modules/intro/who-does-what.html"].decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert '<h1 lang="en">Who does what</h1>' in page  # untranslated: marked as English
    deck = Presentation(io.BytesIO(files["languages/ar/modules/workshop/deck.pptx"]))
    paragraphs = [p for s in deck.slides for shape in s.shapes if shape.has_text_frame
                  for p in shape.text_frame.paragraphs]
    assert paragraphs and all(p._p.pPr is not None and p._p.pPr.get("rtl") == "1" for p in paragraphs)
    assert "السيناريو" in [s.shapes.title.text for s in deck.slides]
    english = Presentation(io.BytesIO(files["modules/workshop/deck.pptx"]))
    assert not any(p._p.pPr is not None and p._p.pPr.get("rtl") == "1" for s in english.slides
                   for shape in s.shapes if shape.has_text_frame for p in shape.text_frame.paragraphs)


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.replace('msgstr "Qui fait quoi"', 'msgstr "Qui fait quoi'), "fr.po:"),
    (lambda t: t.replace('Voir [la page suivante](#the-log)', 'Voir la page suivante'), "misses (#the-log)"),
    (lambda t: t.replace('msgstr "Chaque appel va dans le journal."', 'msgstr "- Chaque appel\\n- va"'),
     "is not one piece of text"),
    (lambda t: t.replace('msgstr "Conseiller"', 'msgstr "Conseiller | Agir"'), "splits a table cell"),
    (lambda t: t + '\nmsgid "one call"\nmsgid_plural "%(num)d calls"\nmsgstr[0] "un appel"\nmsgstr[1] "appels"\n',
     "no plural forms"),
])
def test_a_broken_catalog_names_its_file_and_line_and_other_languages_still_build(course, damage, message):
    translation.update_catalog(course, "fr")
    translation.update_catalog(course, "ar")
    fill(po_path(course, "fr"), FRENCH)
    fill(po_path(course, "ar"), {"Tabletop": "تمرين محاكاة"})
    path = po_path(course, "fr")
    path.write_text(damage(path.read_text()))
    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    assert built.languages == ["en", "ar"]
    errors = [p.format() for p in built.translation_errors]
    assert errors and all(e.startswith(str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd())
                                       else str(path)) for e in errors), errors
    assert any(message in e for e in errors), errors
    assert built.translation_errors[0].line > 1  # the entry's own line, not the top of the file
    files = members(built.path)
    assert "languages/ar/modules/intro/index.html" in files and not any(n.startswith("languages/fr/") for n in files)
    assert "fr: not built" in built.summary()


def test_a_plural_forms_header_that_disagrees_with_babel_is_a_warning_and_the_language_is_built(course):
    # Course text has no plurals; Babel's count for a language changes with its CLDR data (French: 2, then 3).
    translation.update_catalog(course, "fr")
    fill(po_path(course, "fr"), FRENCH)
    path = po_path(course, "fr")
    text = path.read_text()
    header = next(line for line in text.splitlines() if line.startswith('"Plural-Forms:'))
    path.write_text(text.replace(header, '"Plural-Forms: nplurals=1; plural=0;\\n"'))
    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    assert "fr" in built.languages and not built.translation_errors
    assert "Qui fait quoi" in members(built.path)["languages/fr/modules/intro/who-does-what.html"].decode()
    french = next(t for t in built.translations if t.language == "fr")
    [warning] = [w for w in french.problems.warnings if "Plural-Forms" in w.message]
    assert "nplurals=1" in warning.message and "Plural-Forms: nplurals=" in warning.hint
    assert warning.line == text.splitlines().index(header) + 1
    assert warning.path.endswith("fr.po")


def test_a_translation_whose_segment_is_gone_is_reported_with_its_line(course):
    translation.update_catalog(course, "fr")
    fill(po_path(course, "fr"), FRENCH)
    path = po_path(course, "fr")
    path.write_text(path.read_text() + '\nmsgid "A paragraph that was removed."\nmsgstr "Un paragraphe supprimé."\n')
    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    french = next(t for t in built.translations if t.language == "fr")
    assert french.course is not None
    [warning] = french.problems.warnings
    assert "no segment in the sources any more" in warning.message and warning.line > 1


def test_unknown_language_codes_are_refused_clearly(course):
    result = CliRunner().invoke(translate_group, ["update", str(course), "--lang", "xx"])
    assert result.exit_code == 1 and "'xx' is not a language code" in result.output
    (course / "course.yaml").write_text(COURSE_YAML.replace("[en, fr, ar]", "[en, fr, klingon]"))
    translation.update_catalog(course, "fr")
    fill(po_path(course, "fr"), FRENCH)
    built = build_course(course, course.parent.parent / "dist", use_cache=False)
    assert built.languages == ["en", "fr"]
    assert any("'klingon' is not a language code" in p.message for p in built.translation_errors)
    # passerelle check says so before any build, with the line of 'languages:' in course.yaml.
    checked = CliRunner().invoke(check_command, [str(course)])
    assert checked.exit_code == 0, checked.output
    line = COURSE_YAML.split("\n").index(next(x for x in COURSE_YAML.split("\n") if x.startswith("languages:"))) + 1
    assert f"course.yaml:{line}" in checked.output and "'klingon' in languages is not a language code" in checked.output


def test_the_sample_course_is_complete_in_french_and_partly_in_three_more_languages():
    stats = {s.language: s for s in translation.stats(SAMPLE_COURSE)}
    assert set(stats) == {"fr", "es", "ru", "ar"}
    assert stats["fr"].translated == stats["fr"].total > 300
    for language in ("es", "ru", "ar"):
        assert 0 < stats[language].translated < stats[language].total


def test_every_po_file_in_the_repository_passes_msgfmt_check():
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        if os.environ.get("CI"):
            pytest.fail("msgfmt (GNU gettext) is not installed; .ci/run installs it")
        pytest.skip("msgfmt (GNU gettext) is not installed")
    files = sorted((ROOT / "translations").rglob("*.po"))
    assert len(files) >= 9  # four course catalogs and five interface catalogs
    for path in files:
        result = subprocess.run([msgfmt, "--check", "-o", os.devnull, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{path}: {result.stderr}"


def test_a_segment_spanning_lines_keeps_its_place_in_lists_and_quotes(tmp_path):
    from authoring.segments import apply, module_segments

    text = textwrap.dedent("""\
        ---
        type: self-paced
        title: T
        duration: 5
        ---

        # Page

        - a first item that is long
          and wraps

        > a quote that
        > wraps too
        """)
    found = {s.text: s for s in module_segments(text)}
    assert "a first item that is long and wraps" in found and "a quote that wraps too" in found
    out, where = apply(text, list(found.values()), {found["a first item that is long and wraps"]: "un\\\nlong",
                                                    found["a quote that wraps too"]: "une citation"})
    assert "- un\\\n  long\n" in out and "> une citation\n" in out
    assert where[found["a quote that wraps too"]] == range(12, 13)  # below the item, now two lines
