"""The player's pages read in Arabic where a translation leaves some of the course in its source language."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import render_template

from authoring import model
from browser_support import NAV, assert_arrows_point_outwards_right_to_left, log_in
from conftest import PASSWORDS
from lms.views.player import course_text

MODULE = "/courses/crisis-management/modules/consular-crisis-response"
#: Its text is all in English: the Arabic catalog translates the course's words and titles, not this page yet.
PAGE = f"{MODULE}/pages/registration-of-nationals-and-contingency-plans"
STYLE = Path(__file__).resolve().parents[2] / "lms" / "static" / "style.css"
NOTE = "جزء من هذه الصفحة لم يُترجم بعد: وهو معروض باللغة الإنجليزية."
DIRECTION = "el => getComputedStyle(el).direction"


@pytest.fixture
def arabic_reader(live_server, browser_page, enrolled):
    """The enrolled learner, signed in with Arabic chosen, in Chromium."""
    log_in(browser_page, live_server, "learner", PASSWORDS["learner"])
    browser_page.goto(f"{live_server}/courses/?lang=ar")
    return browser_page


def test_english_left_in_an_arabic_page_runs_left_to_right_under_one_note(arabic_reader, live_server):
    page = arabic_reader
    page.goto(f"{live_server}{PAGE}")
    assert page.eval_on_selector("html", DIRECTION) == "rtl"
    paragraph = "article > p[lang=en]"
    assert page.eval_on_selector(paragraph, DIRECTION) == "ltr"
    assert page.eval_on_selector(paragraph, "el => getComputedStyle(el).unicodeBidi") == "isolate"
    assert page.eval_on_selector("h1[lang=en]", DIRECTION) == "ltr"
    # The paragraph's full stop ends its last line on the right, where English ends, not on the left.
    ends = page.eval_on_selector(paragraph, """el => {
      const text = el.lastChild, r = document.createRange();
      r.setStart(text, text.length - 1); r.setEnd(text, text.length);
      const stop = r.getBoundingClientRect(); r.setStart(text, text.length - 9); r.setEnd(text, text.length - 1);
      return {stop: stop.left, word: r.getBoundingClientRect().right, last: text.textContent.slice(-1)};
    }""")
    assert ends["last"] == "." and ends["stop"] >= ends["word"] - 1, ends
    notes = page.locator("[role=note].untranslated")
    assert notes.count() == 1 and notes.is_visible() and notes.inner_text() == NOTE
    assert page.eval_on_selector(".untranslated", DIRECTION) == "rtl"  # the note is in the page's language
    above = "el => el.compareDocumentPosition(document.querySelector('article')) & Node.DOCUMENT_POSITION_FOLLOWING"
    assert notes.evaluate(above)
    # The English titles of the pages either side are isolated too.
    assert page.eval_on_selector("nav.pager bdi[lang=en]", DIRECTION) == "ltr"


def test_the_arrows_between_pages_point_outwards_in_a_right_to_left_page(arabic_reader, live_server):
    page = arabic_reader
    page.goto(f"{live_server}{PAGE}")
    assert_arrows_point_outwards_right_to_left(page)


def test_the_quiz_keeps_its_choices_where_arabic_puts_them_beside_english_options(arabic_reader, live_server):
    page = arabic_reader
    page.goto(f"{live_server}{MODULE}/quiz")
    assert page.locator("[role=note].untranslated").count() == 1
    option = page.locator("form.quiz label").first
    assert option.evaluate(DIRECTION) == "rtl" and option.locator("bdi[lang=en]").evaluate(DIRECTION) == "ltr"
    button = option.locator("input").bounding_box()
    text = option.locator("bdi[lang=en]").bounding_box()
    assert button["x"] >= text["x"] + text["width"] - 1  # the radio button on the right, where an Arabic line starts


def test_an_english_reader_gets_no_note_and_arrows_pointing_the_other_way(live_server, browser_page, enrolled):
    page = browser_page
    log_in(page, live_server, "learner", PASSWORDS["learner"])
    page.goto(f"{live_server}/courses/?lang=en")
    page.goto(f"{live_server}{PAGE}")
    assert page.eval_on_selector("html", DIRECTION) == "ltr"
    assert page.locator(".untranslated").count() == 0
    nav = page.evaluate(NAV)
    assert nav["prev"]["at"] < nav["next"]["at"]
    assert nav["prev"]["text"] == "←" and nav["next"]["text"] == "→"


# A course whose source is not English: what sets its text apart is the two directions, not a language.

def translated_page(app, source: str, language: str, source_title: str, source_body: str) -> str:
    """A page of a course written in ``source``, shown to a reader of ``language`` with its body untranslated."""
    pages = [model.Page("first", "Première", "Texte."), model.Page("middle", "Au milieu", source_body),
             model.Page("last", "Dernière", "Texte.")]
    module = model.Module(slug="m", iri="https://example.test/m", type=model.SELF_PACED, title=source_title,
                          duration=5, pages=pages, fallback=[source_body.strip()])
    edition = model.Course(iri="https://example.test/c", slug="c", title="C", version="1", description="",
                           source_language=source, languages=[source, language], modules=[module],
                           language=language)
    with app.test_request_context(f"/?lang={language}"):
        return render_template("player/page.html", course=SimpleNamespace(slug="c"), module=module, page=pages[1],
                               number=2, xapi={}, links=None, previous=pages[0], next=pages[2],
                               **course_text(edition, module))


def test_a_french_course_read_in_arabic_sets_its_french_apart_by_the_same_rule(app, browser_page):
    html = translated_page(app, "fr", "ar", "Module", "Les ressortissants inscrits sont comptés.\n")
    assert '<p lang="fr">Les ressortissants inscrits sont comptés.</p>' in html
    assert 'class="source-ltr"' in html and "[lang=fr]" not in html  # the shared stylesheet serves
    assert "معروض باللغة الفرنسية." in html and html.count('class="untranslated"') == 1
    page = browser_page
    page.set_content(html.replace('<link rel="stylesheet"', '<link rel="ignored"'))
    page.add_style_tag(path=str(STYLE))
    assert page.eval_on_selector("html", DIRECTION) == "rtl"
    assert page.eval_on_selector("p[lang=fr]", DIRECTION) == "ltr"
    assert page.eval_on_selector("p.meta", DIRECTION) == "rtl"


def test_arabic_left_in_an_english_page_runs_right_to_left(app, browser_page):
    html = translated_page(app, "ar", "en", "Module", "يُحصى المواطنون المسجلون.\n")
    assert 'class="source-rtl"' in html and '<p lang="ar">' in html and "shown in Arabic." in html
    page = browser_page
    page.set_content(html.replace('<link rel="stylesheet"', '<link rel="ignored"'))
    page.add_style_tag(path=str(STYLE))
    assert page.eval_on_selector("html", DIRECTION) == "ltr"
    assert page.eval_on_selector("p[lang=ar]", DIRECTION) == "rtl"


def test_a_translation_in_the_same_direction_needs_no_class_but_still_gets_the_note(app):
    html = translated_page(app, "en", "fr", "Module", "Registered nationals are counted.\n")
    assert '<p lang="en">Registered nationals are counted.</p>' in html
    assert "source-ltr" not in html and "source-rtl" not in html
    assert html.count("s’affiche en anglais.") == 1


def test_a_page_with_nothing_left_in_the_source_language_has_no_note(app):
    pages = [model.Page("only", "الصفحة", "نص مترجم.")]
    module = model.Module(slug="m", iri="https://example.test/m", type=model.SELF_PACED, title="الوحدة",
                          duration=5, pages=pages)
    edition = model.Course(iri="https://example.test/c", slug="c", title="دورة", version="1", description="",
                           source_language="en", languages=["en", "ar"], modules=[module], language="ar")
    with app.test_request_context("/?lang=ar"):
        clean = render_template("player/page.html", course=SimpleNamespace(slug="c"), module=module, page=pages[0],
                                number=1, xapi={}, links=None, previous=None, next=None,
                                **course_text(edition, module))
    main = clean.split("<main>")[1].split("</main>")[0]
    assert "untranslated" not in main and "lang=" not in main
