"""The interface in five languages: catalogs, the choice of language, Arabic right to left."""

from __future__ import annotations

import json

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from conftest import csrf_token, read_page

from authoring.locales import DOMAIN, INTERFACE_DIR, INTERFACE_LANGUAGES
from lms.i18n import interface_template
from xapi.models import StatementRecord
from xapi.statements import VERBS


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



MODULE = "/courses/crisis-management/modules/consular-crisis-response"
MODULE_IRI = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
# The right answers of the sample quiz; the text question is answered in French.
RIGHT_IN_FRENCH = {"q-crisis-lead": ["1"], "q-registration-value": ["0", "1"], "q-registration-compulsory": ["1"],
                   "q-check-messages": "2", "q-wardens": "Îlotiers", "q-confirm-death": ["1"], "q-plan-testing": ["1"]}


def _statements(db, verb: str) -> list[dict]:
    db.expire_all()
    rows = db.scalars(select(StatementRecord).where(StatementRecord.verb_id == VERBS[verb])
                      .order_by(StatementRecord.seq))
    return [json.loads(row.data) for row in rows]


def test_a_learner_studies_in_french_and_records_the_same_activities(client, auth, enrolled, db):
    auth.login("learner")
    course = client.get("/courses/crisis-management/?lang=fr").get_data(as_text=True)
    assert "Gestion de crise" in course and "En autonomie" in course
    page = read_page(client, f"{MODULE}/pages/roles-in-a-consular-crisis").get_data(as_text=True)
    assert "<h1>Les rôles dans une crise consulaire</h1>" in page
    assert 'lang="en"' not in page.split("<main>")[1].split("</main>")[0]  # French is complete: nothing falls back
    read_page(client, f"{MODULE}/pages/registration-of-nationals-and-contingency-plans")
    last = read_page(client, f"{MODULE}/pages/communicating-with-families").get_data(as_text=True)
    assert "Donner à chaque famille un seul interlocuteur." in last and "page 3 sur 3" in last

    assert "Envoyer les réponses" in client.get(f"{MODULE}/quiz").get_data(as_text=True)
    result = client.post(f"{MODULE}/quiz", data={"csrf_token": csrf_token(client, f"{MODULE}/quiz"),
                                                  **RIGHT_IN_FRENCH}).get_data(as_text=True)
    assert "Réussi" in result and "Module terminé." in result
    assert "(100\u00a0%)" in result  # a French percentage

    # The statements are about the same activities as in English, and say they were in French.
    viewed = _statements(db, "experienced")
    assert f"{MODULE_IRI}/pages/roles-in-a-consular-crisis" in {s["object"]["id"] for s in viewed}
    assert {s["context"]["language"] for s in viewed} == {"fr"}
    assert viewed[0]["object"]["definition"]["name"] == {"fr": "Les rôles dans une crise consulaire"}
    answered = {s["object"]["id"].rsplit("/", 1)[-1]: s for s in _statements(db, "answered")}
    assert answered["wardens"]["result"] == {"response": "Îlotiers", "success": True}


def test_untranslated_segments_fall_back_marked_and_the_platform_words_are_translated(client, auth, enrolled):
    auth.login("learner")
    client.get("/courses/?lang=es")
    page = client.get(f"{MODULE}/pages/communicating-with-families").get_data(as_text=True)
    main = page.split("<main>")[1].split("</main>")[0]
    assert '<html lang="es" dir="ltr">' in page and "página 3 de 3" in main
    # The Spanish catalog does not translate this paragraph yet: it is shown in English, marked so.
    assert '<li lang="en"><strong>Give each family one contact person.</strong>' in main
    quiz = client.get(f"{MODULE}/quiz").get_data(as_text=True)
    # A true/false question's options are the platform's words: in Spanish, though no catalog has them.
    assert "> Verdadero</label>" in quiz and "> Falso</label>" in quiz
    assert "Enviar respuestas" in quiz
