"""An Arabic page of the sample package in Chromium, with paragraphs the Arabic catalog does not translate yet."""

from __future__ import annotations

import zipfile

import pytest

from browser_support import assert_arrows_point_outwards_right_to_left

MODULE = "languages/ar/modules/consular-crisis-response"
#: Its text is all in English: Arabic translates the course's words and titles, not this page yet.
PAGE = "registration-of-nationals-and-contingency-plans.html"


@pytest.fixture(scope="module")
def package_dir(sample_package, tmp_path_factory):
    """The sample course's package, built from its sources and catalogs, unpacked as a learner's browser reads it."""
    folder = tmp_path_factory.mktemp("package")
    with zipfile.ZipFile(sample_package) as zf:
        zf.extractall(folder)
    return folder


def test_english_left_in_an_arabic_page_runs_left_to_right_under_one_note(browser_page, package_dir):
    page = browser_page
    page.goto((package_dir / MODULE / PAGE).as_uri())
    direction = "el => getComputedStyle(el).direction"
    assert page.eval_on_selector("html", direction) == "rtl"
    assert page.eval_on_selector("main > p[lang=en]", direction) == "ltr"
    assert page.eval_on_selector("main > p[lang=en]", "el => getComputedStyle(el).unicodeBidi") == "isolate"
    # The paragraph's full stop ends its last line on the right, where English ends, not on the left.
    paragraph = page.locator("main > p[lang=en]").first
    assert paragraph.inner_text().endswith("evacuation planning.")
    ends = page.eval_on_selector("main > p[lang=en]", """el => {
      const text = el.firstChild, r = document.createRange();
      r.setStart(text, text.length - 1); r.setEnd(text, text.length);
      const stop = r.getBoundingClientRect(); r.setStart(text, text.length - 9); r.setEnd(text, text.length - 1);
      return {stop: stop.left, word: r.getBoundingClientRect().right};
    }""")
    assert ends["stop"] >= ends["word"] - 1, ends
    notes = page.locator("[role=note].untranslated")
    assert notes.count() == 1 and notes.is_visible()
    assert "الإنجليزية" in notes.inner_text()
    assert notes.evaluate("el => el.compareDocumentPosition(document.querySelector('main')) & 4") == 4  # above
    assert page.eval_on_selector("nav bdi[lang=en]", direction) == "ltr"


def test_the_arrows_between_pages_point_outwards_in_a_right_to_left_page(browser_page, package_dir):
    page = browser_page
    page.goto((package_dir / MODULE / PAGE).as_uri())
    assert_arrows_point_outwards_right_to_left(page)


def test_a_page_with_nothing_left_in_english_has_no_note(browser_page, package_dir):
    page = browser_page
    page.goto((package_dir / "languages/fr/modules/consular-crisis-response" / PAGE).as_uri())
    assert page.eval_on_selector("html", "el => getComputedStyle(el).direction") == "ltr"
    assert page.locator(".untranslated").count() == 0
