"""Golden files for the HTML renderer: ``render/NAME.md`` and the ``render/NAME.html`` it must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from authoring import model
from authoring.html import render_module
from authoring.markdown import Links, render

CASES = Path(__file__).parent / "render"


LINKS = Links(
    asset_url=lambda src: f"/assets/{src.removeprefix('../')}",
    page_url=lambda module, page: f"/modules/{module or 'this'}/{page or 'start'}",
    sizes={"../handouts/plan.pdf": 123_456},
)


@pytest.mark.parametrize("case", sorted(p.stem for p in CASES.glob("*.md")))
def test_render_matches_golden_file(case):
    html = render((CASES / f"{case}.md").read_text(), LINKS)
    assert html == (CASES / f"{case}.html").read_text()


# Module pages of a translation: text left in the source language, set apart from the page's own.

def arabic_course(fallback: list[str]) -> model.Course:
    """A course translated into Arabic, of one module of three pages; ``fallback`` is what stays in English."""
    pages = [model.Page("first", "الصفحة الأولى", "نص مترجم."),
             model.Page("middle", "Who is abroad?", "Registered nationals are counted in evacuation planning.\n"),
             model.Page("last", "الصفحة الأخيرة", "نص مترجم.")]
    module = model.Module(slug="unit", iri="https://example.test/unit", type=model.SELF_PACED, title="الوحدة",
                          duration=10, pages=pages, fallback=fallback)
    return model.Course(iri="https://example.test/c", slug="c", title="دورة", version="1", description="",
                        source_language="en", languages=["en", "ar"], modules=[module], language="ar")


FALLBACK = ["Who is abroad?", "Registered nationals are counted in evacuation planning."]


def test_english_left_in_an_arabic_page_runs_left_to_right_with_one_note_at_the_top():
    files = render_module(arabic_course(FALLBACK), arabic_course(FALLBACK).modules[0])
    page = files["middle.html"]
    assert '<html lang="ar" dir="rtl">' in page
    assert '<h1 lang="en">Who is abroad?</h1>' in page
    assert '<p lang="en">Registered nationals are counted in evacuation planning.</p>' in page
    assert "[lang=en]{direction:ltr;unicode-bidi:isolate}" in page.split("</style>")[0]
    note = "جزء من هذه الصفحة لم يُترجم بعد: وهو معروض باللغة الإنجليزية."
    assert page.count(note) == 1 and page.index("</header>") < page.index(note) < page.index("<main>")
    # A neighbour's English title in the links between pages is isolated too, and counts as English shown.
    first = files["first.html"]
    assert '<a href="middle.html" rel="next"><bdi lang="en">Who is abroad?</bdi> ←</a>' in first
    assert first.count(note) == 1


def test_arrows_between_pages_point_the_way_each_direction_reads():
    arabic = render_module(arabic_course([]), arabic_course([]).modules[0])["middle.html"]
    assert '<a href="first.html" rel="prev">→ <bdi>الصفحة الأولى</bdi></a>' in arabic
    assert '<a href="last.html" rel="next"><bdi>الصفحة الأخيرة</bdi> ←</a>' in arabic
    english = arabic_course([])
    english.language = ""  # the same pages, as the source of an English course
    english_page = render_module(english, english.modules[0])["middle.html"]
    assert '<html lang="en" dir="ltr">' in english_page
    assert 'rel="prev">← <bdi>' in english_page and '</bdi> →</a>' in english_page


def test_a_translated_page_with_nothing_left_in_english_has_no_note_and_no_rule():
    page = render_module(arabic_course(FALLBACK[1:]), arabic_course(FALLBACK[1:]).modules[0])["last.html"]
    assert "untranslated" not in page and "[lang=en]" not in page and 'lang="en"' not in page


def test_english_left_in_a_french_page_is_noted_and_needs_no_change_of_direction():
    course = arabic_course(FALLBACK)
    course.language = "fr"
    page = render_module(course, course.modules[0])["middle.html"]
    assert '<html lang="fr" dir="ltr">' in page and '<p lang="en">' in page
    assert "s’affiche en anglais." in page and "[lang=en]" not in page


def test_a_module_renders_the_same_bytes_twice():
    course = arabic_course(FALLBACK)
    assert render_module(course, course.modules[0]) == render_module(arabic_course(FALLBACK), course.modules[0])
