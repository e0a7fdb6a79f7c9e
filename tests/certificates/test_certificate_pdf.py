"""The certificate's PDF: what it says in each language and script, its QR code, an academy's own look,
and text that does not fit."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image

from authoring import FONTS
from lms.certificates.details import Details
from lms.certificates.document import LAYOUT, CertificateTemplateError, render_pdf

URL = "https://lms.example.test/certificates/7KQ4-M2XD-9TPA-VR3E-HC6W"
ARABIC_NAME = "محمد علي الحسن"
# The name's letters as an Arabic reader sees them joined: each letter in its form for its place in the word.
# Noto Naskh Arabic names these glyphs after the Unicode presentation forms (U+FExx) they draw.
JOINED = {"uniFEE3", "uniFEA4", "uniFEE4", "uniFEAA",  # محمد: meem initial, hah medial, meem medial, dal final
          "uniFECB", "uniFEE0", "uniFEF2",  # علي: ain initial, lam medial, yeh final
          "uniFEDF", "uniFEB4", "uniFEE6"}  # الحسن: lam initial, seen medial, noon final (hah medial as above)
# The same letters unjoined, as they would be drawn if the text were not shaped.
UNJOINED = {"uni0645", "uni062D", "uni062F", "uni0639", "uni0644", "uni064A", "uni0633", "uni0646"}


def details(language="en", **changes) -> Details:
    made = Details(code="7KQ4-M2XD-9TPA-VR3E-HC6W", learner="Amina Diallo", course="Consular crisis management",
                   hours=12.5, cohort="Dakar spring", cohort_start=dt.date(2026, 3, 3), cohort_end=dt.date(2026, 4, 28),
                   institution="Ministry of Foreign Affairs", academy="Diplomatic Academy", language=language,
                   completed=dt.date(2026, 5, 4), verify_url=URL)
    return replace(made, **changes)


def page_of(pdf: bytes) -> pypdf.PageObject:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0]


def text_of(pdf: bytes) -> str:
    """Return the page's text, its no-break and thin spaces (as Babel writes dates and units) as plain ones."""
    return re.sub(r"[^\S\n]", " ", page_of(pdf).extract_text())


def glyph_names(pdf: bytes, font: str) -> set[str]:
    """Return the names of the glyphs the PDF carries of an embedded font (its subset), by the font's name."""
    page = page_of(pdf)
    for entry in page["/Resources"]["/Font"].values():
        entry = entry.get_object()
        if entry["/BaseFont"].endswith("+" + font):
            descriptor = entry["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            subset = TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
            return set(subset.getGlyphOrder())
    return set()


def png(width=300, height=100, colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def write_template(folder: Path, elements: list) -> Path:
    path = folder / "certificate.json"
    path.write_text(json.dumps(elements), encoding="utf-8")
    return path


@pytest.mark.parametrize(("language", "learner", "course", "words"), [
    ("en", "Amina Diallo", "Consular crisis management", ["Certificate of completion", "May 4, 2026", "12.5 hours",
                                                          "Issued by", "Cohort", "Mar 3 – Apr 28, 2026"]),
    ("fr", "Élodie Nguyễn-Dubois", "Gestion des crises consulaires", ["Attestation de fin de formation", "4 mai 2026",
                                                                      "12,5 heures", "Délivrée par", "Cohorte"]),
    ("ru", "Иван Петрович Сидоров", "Управление консульскими кризисами", ["Сертификат об окончании курса",
                                                                          "4 мая 2026 г.", "12,5 часа", "Выдан"]),
    ("ar", ARABIC_NAME, "إدارة الأزمات القنصلية", ["شهادة إتمام", "تاريخ الإتمام", "صادرة عن", "الدفعة"]),
])
def test_the_certificate_states_who_completed_what_in_its_language(language, learner, course, words):
    pdf = render_pdf(details(language, learner=learner, course=course))
    page = page_of(pdf)
    assert [round(float(side)) for side in page.mediabox[2:]] == [842, 595]  # A4 landscape, in points
    text = text_of(pdf)
    # For Arabic, pypdf puts a right-to-left run back into reading order: a name drawn left to right would
    # come out reversed, so finding it whole checks the direction too.
    assert learner in text and course in text and "7KQ4-M2XD-9TPA-VR3E-HC6W" in text
    assert all(word in text for word in words), text
    assert len(pdf) < 100_000


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_arabic_letters_are_joined_on_an_arabic_or_a_french_certificate(language):
    pdf = render_pdf(details(language, learner=ARABIC_NAME, institution="", academy="Académie", cohort=""))
    assert ARABIC_NAME in text_of(pdf)
    # What a reader sees is which glyphs are drawn (pypdf gives back the letters, whatever their form):
    # the joined forms of the name's letters.
    glyphs = glyph_names(pdf, "NotoNaskhArabicBold")
    assert JOINED <= glyphs, sorted(glyphs)
    if language == "fr":  # the name is the only bold Arabic: none of its letters is drawn standing alone
        assert not UNJOINED & glyphs, sorted(glyphs)


def test_a_latin_name_on_an_arabic_certificate_and_a_cyrillic_one_on_an_english_one():
    arabic = text_of(render_pdf(details("ar", learner="Jean-Marc Dupont", institution="Ministère de l'Intérieur")))
    assert "Jean-Marc Dupont" in arabic and "Ministère de l'Intérieur" in arabic and "شهادة إتمام" in arabic
    english = text_of(render_pdf(details("en", learner="Ольга Смирнова", course="Кризисное управление")))
    assert "Ольга Смирнова" in english and "Кризисное управление" in english and "This certifies that" in english


def test_the_qr_code_holds_the_verification_address():
    page = page_of(render_pdf(details("ar")))
    found = [result.text for image in page.images for result in zxingcpp.read_barcodes(image.image)]
    assert found == [URL]
    qr, = page.images
    # Large enough to be scanned once printed: the template gives it 40 mm, quiet zone included.
    assert qr.image.width >= 200 and qr.image.width == qr.image.height


def test_the_same_details_give_the_same_bytes():
    first, second = render_pdf(details("ru")), render_pdf(details("ru"))
    assert first == second
    assert render_pdf(details("ru", learner="Ольга Смирнова")) != first
    assert pypdf.PdfReader(io.BytesIO(first)).metadata.creation_date.date() == dt.date(2026, 5, 4)


def test_an_academy_logo_is_drawn_and_a_broken_one_is_refused_with_a_reason():
    plain = page_of(render_pdf(details()))
    with_logo = page_of(render_pdf(details(), logo=png()))
    assert len(with_logo.images) == len(plain.images) + 1
    assert any(image.image.size == (300, 100) for image in with_logo.images)
    for broken, reason in [(b"not an image at all", "not a PNG or JPEG"), (png()[:60], "damaged"),
                           (b"GIF89a" + png()[6:], "use a PNG or JPEG"), (b"", "empty")]:
        with pytest.raises(CertificateTemplateError, match=reason) as refused:
            render_pdf(details(), logo=broken)
        assert str(refused.value).startswith("The logo ") and str(refused.value).endswith(".")


def test_without_a_cohort_or_an_institution_their_lines_are_left_out():
    text = text_of(render_pdf(details("fr", cohort="", cohort_start=None, cohort_end=None, institution="")))
    assert "Cohorte" not in text and "2026 –" not in text and "Ministry" not in text
    assert "4 mai 2026" in text


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_long_names_and_titles_shrink_and_wrap_inside_the_page(language):
    name = "Maximiliana-Konstantinopoulou " * 30 + "Ξ" * 400
    course = "Gestion des crises consulaires et protection des ressortissants à l'étranger " * 10
    pdf = render_pdf(details(language, learner=name, course=course, institution="Ministère " * 100,
                             academy="Académie diplomatique " * 20, cohort="Cohorte " * 50,
                             verify_url=URL + "?" + "x" * 300))
    runs = []

    def seen(text, cm, tm, font, size):
        if text.strip():
            runs.append((text, tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], size * tm[0]))

    page_of(pdf).extract_text(visitor_text=seen)
    text = "".join(run[0] for run in runs)
    assert "Maximiliana-Konstantinopoulou" in text and "Gestion des crises consulaires" in text
    assert "…" in text  # what still did not fit is cut, visibly
    # Text wider than its box would start left of it when centred, or when aligned right as on the Arabic
    # certificate (where the layout is mirrored): every line starts inside the frame, 8 mm from the edges.
    frame = 8 / 25.4 * 72
    assert all(x >= frame for _, x, _, _ in runs), min(runs, key=lambda run: run[1])
    assert all(frame <= y <= 595 - frame for _, _, y, _ in runs)
    assert min(size for text, _, _, size in runs if "Maximiliana" in text) < 28  # the name's type was made smaller


def test_characters_no_font_has_are_marked_not_dropped_or_crashing():
    pdf = render_pdf(details(learner="王小明 \U0001F600 Wang\x00\n\u202eEvil", course="Курс\u200b 1"))
    text = text_of(pdf)
    # Each character is kept in its place: the Latin letters where they belong, the others shown as missing.
    # The line break became a space, and the right-to-left override that would have reversed "Evil" is gone.
    assert "\ufffd\ufffd\ufffd \ufffd Wang Evil" in text and "Курс" in text


def test_the_built_in_layout_is_a_template_like_any_academy_s(tmp_path):
    elements = json.loads(LAYOUT.read_text())
    assert render_pdf(details(), template=write_template(tmp_path, elements)) == render_pdf(details())


def test_an_academy_template_places_the_fields_and_its_own_words(tmp_path):
    (tmp_path / "seal.png").write_bytes(png(120, 120, (20, 60, 160)))
    elements = [
        {"name": "learner", "type": "T", "x1": 20, "y1": 20, "x2": 200, "y2": 35, "font": "sans", "size": 24,
         "bold": 1, "align": "L"},
        {"name": "course", "type": "T", "x1": 20, "y1": 40, "x2": 200, "y2": 50, "size": 16},
        {"name": "code", "type": "T", "x1": 20, "y1": 60, "x2": 200, "y2": 70, "size": 12},
        {"name": "title", "type": "T", "x1": 20, "y1": 5, "x2": 200, "y2": 15, "size": 12, "foreground": "#336699"},
        {"name": "motto", "type": "T", "x1": 20, "y1": 80, "x2": 200, "y2": 90, "size": 12,
         "text": "Servir avec honneur"},
        {"name": "seal", "type": "I", "x1": 220, "y1": 20, "x2": 260, "y2": 60, "text": "seal.png"},
        {"name": "qr", "type": "I", "x1": 220, "y1": 120, "x2": 260, "y2": 160},
    ]
    pdf = render_pdf(details("fr"), template=write_template(tmp_path, elements))
    text = text_of(pdf)
    assert "Amina Diallo" in text and "Servir avec honneur" in text and "Attestation de fin de formation" in text
    assert "Délivrée par" not in text  # what the template does not place is not on the page
    page = page_of(pdf)
    assert len(page.images) == 2
    assert [r.text for image in page.images for r in zxingcpp.read_barcodes(image.image)] == [URL]

    csv_template = tmp_path / "certificate.csv"
    csv_template.write_text("learner,T,20,20,200,35,sans,24,1\ncourse,T,20,40,200,50,sans,16\n"
                            "code,T,20,60,200,70,sans,12\nqr,I,220,120,260,160\n", encoding="utf-8")
    assert "Amina Diallo" in text_of(render_pdf(details(), template=csv_template))
    csv_template.write_text("learner,T,left,20,200,35\n", encoding="utf-8")
    with pytest.raises(CertificateTemplateError, match="certificate.csv is not a valid CSV template: line 1: x1"):
        render_pdf(details(), template=csv_template)


QR = {"name": "qr", "type": "I", "x1": 220, "y1": 120, "x2": 260, "y2": 160}
FIELDS = [{"name": name, "type": "T", "x1": 20, "y1": 20 + 15 * n, "x2": 200, "y2": 30 + 15 * n, "size": 12}
          for n, name in enumerate(("learner", "course", "code"))]


@pytest.mark.parametrize(("content", "reason"), [
    ("[{\"name\": \"learner\",", "is not valid JSON"),
    ("{\"name\": \"learner\"}", "must be a JSON list of elements"),
    (json.dumps(FIELDS), "does not place qr"),
    (json.dumps(FIELDS + [{**QR, "x2": 230, "y2": 130}]), "needs at least 25 mm"),
    (json.dumps(FIELDS + [QR, {"name": "note", "type": "T", "x1": 20, "y1": 90, "x2": 200, "y2": 99,
                               "font": "helvetica", "text": "x"}]), "uses the font 'helvetica'"),
    (json.dumps(FIELDS + [QR, {"name": "note", "type": "W", "x1": 0, "y1": 0, "x2": 9, "y2": 9}]), "has type 'W'"),
    (json.dumps(FIELDS + [QR, {"name": "note", "type": "T", "x1": 20, "y1": 90, "x2": 400, "y2": 99}]),
     "off the page"),
    (json.dumps(FIELDS + [QR, {"name": "note", "type": "T", "x1": "left", "y1": 90, "x2": 40, "y2": 99}]),
     "'x1' must be"),
    (json.dumps(FIELDS + [QR, {"name": "seal", "type": "I", "x1": 0, "y1": 0, "x2": 9, "y2": 9,
                               "text": "../../../etc/passwd"}]), "in the template's folder"),
    (json.dumps(FIELDS + [QR, {"name": "seal", "type": "I", "x1": 0, "y1": 0, "x2": 9, "y2": 9,
                               "text": "missing.png"}]), "cannot be read"),
    (json.dumps(FIELDS + [QR, {"name": "academy", "type": "B", "x1": 0, "y1": 0, "x2": 9, "y2": 9}]),
     "element 5 \\('academy'\\) is a field of the certificate, shown as text, so its type is T"),
    (json.dumps(FIELDS + [QR, {"name": "hours", "type": "T", "x1": 20, "y1": 90, "x2": 24, "y2": 99}]),
     "is 4 mm wide"),
])
def test_a_template_that_cannot_be_used_is_refused_naming_the_file_and_the_fault(tmp_path, content, reason):
    path = tmp_path / "academy.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CertificateTemplateError, match=reason) as refused:
        render_pdf(details(), template=path)
    assert "academy.json" in str(refused.value) and str(refused.value).endswith(".")


def test_a_template_that_is_missing_or_not_text_is_refused(tmp_path):
    with pytest.raises(CertificateTemplateError, match="The template nowhere.json cannot be read"):
        render_pdf(details(), template=tmp_path / "nowhere.json")
    binary = tmp_path / "academy.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CertificateTemplateError, match="academy.json cannot be read: it is not UTF-8 text"):
        render_pdf(details(), template=binary)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_one_line_text_too_wide_for_its_box_is_drawn_in_the_smaller_type_that_fits(language):
    """The verification address is one line; a long one is set smaller, not run under the QR code beside it."""
    url = "https://lms.example.test/certificates/verify/7KQ4M-2XD9T-PAVR3-EHC6W-0N5BZ"  # 132 mm at 10 pt
    [box] = [e for e in json.loads(LAYOUT.read_text()) if e["name"] == "verify_url"]
    sizes = []

    def visit(text, cm, tm, font, size):
        if "certificates/verify" in text:
            sizes.append(size * tm[0] * cm[0])

    page_of(render_pdf(details(language, verify_url=url))).extract_text(visitor_text=visit)
    [size] = sizes
    with TTFont(FONTS / "NotoSans-Regular.ttf") as font:
        advances = sum(font["hmtx"][font.getBestCmap()[ord(c)]][0] for c in url) / font["head"].unitsPerEm
    width = advances * size * 25.4 / 72  # in millimetres
    assert size < box["size"]
    assert width <= box["x2"] - box["x1"] + 0.5
