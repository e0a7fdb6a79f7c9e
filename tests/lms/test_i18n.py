"""The interface in five languages: catalogs, the choice of language, Arabic right to left."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from authoring.locales import DOMAIN, INTERFACE_DIR, INTERFACE_LANGUAGES
from lms.i18n import interface_template


@pytest.mark.parametrize("language", list(INTERFACE_LANGUAGES))
def test_no_interface_string_is_untranslated(language):
    path = INTERFACE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language)
    wanted = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in interface_template() if m.id}
    present = {(m.id if isinstance(m.id, str) else m.id[0], m.context): m for m in catalog if m.id}
    assert wanted and wanted <= set(present), f"{language}: run 'make catalogs' to add the new strings"
    for key in wanted:
        message = present[key]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert not message.fuzzy and all(strings), f"{language}: {key[0]!r} is not translated"
    assert path.with_suffix(".mo").is_file()  # compiled by make, never by hand


def test_the_language_comes_from_the_browser_then_the_switcher_then_the_user(client, auth, users, course):
    page = client.get("/courses/", headers={"Accept-Language": "ar, en;q=0.5"}, follow_redirects=True)
    assert '<html lang="ar" dir="rtl">' in page.get_data(as_text=True)  # a visitor, sent to the login page
    auth.login("learner")
    page = client.get("/courses/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page  # the learner's own setting comes first
    page = client.get("/courses/?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "الدورات" in page and "تسجيل الخروج" in page
    # Dates in Arabic: the month of the import, written the Arabic way.
    assert any(month in page for month in ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو",
                                           "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"))
    # The choice is kept: in a cookie and in the learner's setting.
    assert users["learner"].language == "ar"
    again = client.get("/courses/").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in again
    french = client.get("/courses/?lang=fr").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in french and "Cours" in french and "1.0 du" in french


def test_a_visitor_gets_the_browser_language_and_the_switcher_lists_every_language(client):
    page = client.get("/auth/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="ru" dir="ltr">' in page
    assert all(name in page for name in INTERFACE_LANGUAGES.values())
    assert 'href="?lang=ar"' in page and 'aria-current="true">Русский' in page
    unknown = client.get("/auth/login?lang=xx", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in unknown
