"""The certificate as a PDF: one A4 landscape page in the certificate's language, with a QR code of its
verification page.

The page is laid out by a template in fpdf2's format (https://py-pdf.github.io/fpdf2/Templates.html):
a JSON list of elements (or a CSV file with one element a line, columns in fpdf2's order), each with a
``name``, a ``type`` and a box ``x1, y1, x2, y2`` in millimetres on the 297 x 210 mm page. The built-in
layout is ``layout.json`` beside this file; an academy gives its own, as it does for decks.

An element named after a field below shows that field; any other text element shows its own ``text``.

- Text (``T``): ``learner``, ``institution``, ``course``, ``hours``, ``completed`` (the date of
  completion), ``cohort``, ``dates`` (the cohort's), ``academy``, ``code``, ``verify_url``, and the
  labels ``title``, ``certifies``, ``has_completed``, ``date_label``, ``cohort_label``,
  ``issued_by_label``, ``code_label``, ``verify_label``, translated into the certificate's language.
  A label is left out with its field when the field is empty (no cohort: no "Cohort").
- Images (``I``): ``qr`` (required, at least 25 mm square) and ``logo`` (the academy's logo, else the
  template's own image); any other image element names a PNG or JPEG file in the template's folder.
- Lines (``L``), boxes (``B``) and ellipses (``E``) are drawn as fpdf2 draws them.

A template must place ``learner``, ``course``, ``code`` and ``qr``. Text uses the font ``sans`` (Noto Sans,
with Noto Naskh Arabic for Arabic script, whatever the certificate's language), regular or bold.

fpdf2's template engine reads and checks the elements and draws them in order of ``priority``; text and
images are drawn by this module's handlers. Text goes through fpdf2's ``cell``, so it is shaped by HarfBuzz
(joined Arabic letters) and ordered by the Unicode bidirectional algorithm, and it is fitted into its box:
a one-line element in smaller type (down to 6 points, then on as many lines as the box holds), a
``multiline`` one on more lines, then in smaller type; what still does not fit is cut with an ellipsis,
so no name or title leaves its box.
For a right-to-left language the layout is mirrored: what is on the left goes to the right, and text
aligned left is aligned right.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import segno
from babel.dates import format_date, format_interval
from babel.units import format_unit
from fpdf import FPDF, FlexTemplate
from fpdf.enums import ResourceAccessPolicy, WrapMode
from PIL import Image, UnidentifiedImageError

from authoring import FONTS
from authoring.locales import INTERFACE_LANGUAGES, N_, interface_translations, is_rtl

from .details import Details

HERE = Path(__file__).resolve().parent
#: The built-in layout, in the same format as an academy's template.
LAYOUT = HERE / "layout.json"

PAGE_WIDTH, PAGE_HEIGHT = 297, 210  # A4 landscape, in millimetres
#: The one font a template may name; Arabic letters are drawn in Noto Naskh Arabic.
FONT = "sans"
FAMILIES = {"sans": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
            "naskh": ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf")}
TYPES = {"T", "I", "L", "B", "E"}
REQUIRED = ("learner", "course", "code", "qr")
MIN_BOX = 10  # millimetres: the narrowest text box, which still holds a few letters of the smallest type

#: The labels, in English; translated from the interface's catalogs.
LABELS = {
    "title": N_("Certificate of completion"),
    "certifies": N_("This certifies that"),
    "has_completed": N_("has completed"),
    "date_label": N_("Date of completion"),
    "cohort_label": N_("Cohort"),
    "issued_by_label": N_("Issued by"),
    "code_label": N_("Code"),
    "verify_label": N_("Verify at"),
}
#: The fields of the certificate's details, shown as text.
FIELDS = ("learner", "institution", "course", "hours", "completed", "cohort", "dates", "academy", "code",
          "verify_url")
#: A label is shown only with its field.
LABELLED = {"date_label": "completed", "cohort_label": "cohort", "issued_by_label": "academy",
            "code_label": "code", "verify_label": "verify_url"}

MIN_SIZE = 6  # points: the smallest type a squeezed name or title gets
LEADING = 1.3  # line height, times the type size: Arabic marks need room above and below
PT = 25.4 / 72  # millimetres in a point
MAX_CHARS = 300  # of any one field: more cannot be read on a page anyway, and costs time to lay out
MIN_QR = 25  # millimetres: a printed QR code smaller than this is hard to scan
QR_SCALE = 8  # pixels a module in the embedded image, so that it stays sharp at any zoom
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_ELEMENTS = 500
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_SIDE = 1600  # pixels: a larger logo is scaled down, which keeps the PDF small
# Characters that reorder text, which a name could use to make a code or a title read otherwise.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


class CertificateTemplateError(ValueError):
    """The template or the logo cannot be used; the message says why."""


def render_pdf(details: Details, *, logo: bytes | None = None, template: Path | None = None) -> bytes:
    """Return the certificate as a PDF: the same details give the same bytes.

    ``logo`` is the academy's logo (PNG or JPEG); ``template`` its own layout, else the built-in one.
    Raise :class:`CertificateTemplateError` if either cannot be used.
    """
    path = Path(template) if template is not None else LAYOUT
    elements = read_template(path)
    images = _images(elements, path, logo, details.verify_url)
    language = details.language if details.language in INTERFACE_LANGUAGES else "en"
    rtl = is_rtl(language)
    if rtl:
        elements = [_mirrored(element) for element in elements]

    pdf = _new_pdf(details, language)
    page = FlexTemplate(pdf, elements)
    glyphs = frozenset().union(*(font.cmap for font in pdf.fonts.values()))
    page.handlers["T"] = lambda **element: _text(pdf, rtl, glyphs, **element)
    page.handlers["I"] = lambda **element: _image(pdf, **element)
    texts = _texts(details, language)
    for element in elements:
        name = element["name"].lower()
        if element["type"].upper() == "I":
            page[name] = images.get(name, b"")
        elif name in texts:
            page[name] = texts[name]
    page.render()
    return bytes(pdf.output())


def read_template(path: Path) -> list[dict[str, Any]]:
    """Return a template's elements, checked; raise :class:`CertificateTemplateError` naming what is wrong."""
    name = path.name
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_TEMPLATE_BYTES else b""
    except (OSError, ValueError) as exc:  # ValueError: a path the system cannot even look up
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CertificateTemplateError(f"The template {name} cannot be read: {reason[:1].lower()}{reason[1:]}.") \
            from None
    if size > MAX_TEMPLATE_BYTES:
        raise CertificateTemplateError(f"The template {name} is larger than {MAX_TEMPLATE_BYTES // 1024} KB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CertificateTemplateError(f"The template {name} cannot be read: it is not UTF-8 text.") from None
    rows = _csv_rows(text, name) if path.suffix.lower() == ".csv" else _json_rows(text, name)
    if not rows:
        raise CertificateTemplateError(f"The template {name} has no elements.")
    if len(rows) > MAX_ELEMENTS:
        raise CertificateTemplateError(f"The template {name} has more than {MAX_ELEMENTS} elements.")
    checker = FlexTemplate(FPDF())
    elements = [_checked(row, number, name, checker) for number, row in enumerate(rows, 1)]
    names = {element["name"].lower() for element in elements}
    missing = [field for field in REQUIRED if field not in names]
    if missing:
        raise CertificateTemplateError(f"The template {name} does not place {', '.join(missing)}: "
                                       f"a certificate must show {', '.join(REQUIRED)}.")
    return elements


# -- the template's elements ---------------------------------------------------

def _json_rows(text: str, name: str) -> list:
    try:
        rows = json.loads(text, parse_constant=lambda constant: _bad(f"{constant} is not a number"))
    except json.JSONDecodeError as exc:
        raise CertificateTemplateError(f"The template {name} is not valid JSON: {exc.msg} "
                                       f"(line {exc.lineno}, column {exc.colno}).") from None
    except ValueError as exc:
        raise CertificateTemplateError(f"The template {name} is not valid JSON: {exc}.") from None
    if not isinstance(rows, list):
        raise CertificateTemplateError(f"The template {name} must be a JSON list of elements.")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise CertificateTemplateError(f"The template {name}: element {number} is not an object.")
        for key in ("foreground", "background"):  # "#rrggbb", as fpdf2's parse_json reads colours
            value = row.get(key)
            if isinstance(value, str):
                if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                    raise CertificateTemplateError(f"The template {name}: element {number} has {key} {value!r}; "
                                                   "a colour is written #rrggbb.")
                row[key] = int(value[1:], 16)
    return rows


def _bad(reason: str):
    raise ValueError(reason)


def _csv_rows(text: str, name: str) -> list[dict[str, Any]]:
    """Read a CSV template as fpdf2's ``parse_csv`` does (its columns, in its order), from text already read."""
    columns = ("name", "type", "x1", "y1", "x2", "y2", "font", "size", "bold", "italic", "underline",
               "foreground", "background", "align", "text", "priority", "multiline", "rotate", "wrapmode",
               "keep_aspect_ratio")
    numbers = {"x1", "y1", "x2", "y2", "size", "rotate"}
    integers = {"bold", "italic", "underline", "priority", "keep_aspect_ratio"}
    rows = []
    try:
        for line, cells in enumerate(csv.reader(io.StringIO(text)), 1):
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                raise ValueError(f"line {line} has {len(cells)} cells; a template has at most {len(columns)}")
            row: dict[str, Any] = {}
            for column, cell in zip(columns, cells):
                cell = cell.strip()
                if not cell:
                    continue
                try:
                    if column in numbers:
                        row[column] = float(cell)
                    elif column in integers:
                        row[column] = int(cell)
                    elif column in ("foreground", "background"):
                        row[column] = FlexTemplate._parse_colorcode(cell)  # noqa: SLF001 -- fpdf2's own reading
                    elif column == "multiline":
                        row[column] = FlexTemplate._parse_multiline(cell)  # noqa: SLF001
                    else:
                        row[column] = cell
                except ValueError:
                    raise ValueError(f"line {line}: {column} {cell!r} is not a number") from None
            rows.append(row)
    except (ValueError, csv.Error) as exc:
        raise CertificateTemplateError(f"The template {name} is not a valid CSV template: {exc}.") from None
    return rows


def _checked(element: dict[str, Any], number: int, name: str, checker: FlexTemplate) -> dict[str, Any]:
    """Return an element as fpdf2 loads it, or raise saying which element is wrong and why."""
    label = f"element {number}" + (f" ({element['name']!r})" if isinstance(element.get("name"), str) else "")

    def wrong(problem: str) -> CertificateTemplateError:
        return CertificateTemplateError(f"The template {name}: {label} {problem}.")

    if not isinstance(element.get("name"), str) or not element["name"].strip():
        raise wrong("has no name")
    kind = element.get("type")
    if not isinstance(kind, str) or kind.upper() not in TYPES:
        raise wrong(f"has type {kind!r}; a certificate template uses T (text), I (image), L (line), B (box) "
                    "or E (ellipse)")
    try:
        checker.load_elements([element])  # fpdf2's own check of keys and types, one element at a time
    except (KeyError, TypeError, ValueError) as exc:
        reason = str(exc.args[0] if exc.args else exc).rstrip(".")
        raise CertificateTemplateError(f"The template {name}: {label}: {reason[:1].lower()}{reason[1:]}.") from None
    for key in ("x1", "y1", "x2", "y2", "size", "rotate"):
        if key in element and not math.isfinite(element[key]):
            raise wrong(f"has {key} {element[key]}, which is not a number")
    for key in ("x1", "x2"):
        if not 0 <= element[key] <= PAGE_WIDTH:
            raise wrong(f"has {key} {element[key]:g}, off the page (0 to {PAGE_WIDTH} mm)")
    for key in ("y1", "y2"):
        if not 0 <= element[key] <= PAGE_HEIGHT:
            raise wrong(f"has {key} {element[key]:g}, off the page (0 to {PAGE_HEIGHT} mm)")
    if kind.upper() in ("T", "I", "B", "E") and not (element["x1"] < element["x2"] and element["y1"] < element["y2"]):
        raise wrong("has an empty box: x1 must be less than x2, and y1 less than y2")
    for key in ("foreground", "background"):
        if key in element and not 0 <= element[key] <= 0xFFFFFF:
            raise wrong(f"has {key} {element[key]}, which is not a colour")
    if element["name"].lower() in (*FIELDS, *LABELS) and kind.upper() != "T":
        raise wrong("is a field of the certificate, shown as text, so its type is T")
    if kind.upper() == "T":
        if element["x2"] - element["x1"] < MIN_BOX:
            raise wrong(f"is {element['x2'] - element['x1']:g} mm wide; a text box is at least {MIN_BOX} mm wide")
        font = element.get("font") or FONT
        if font.strip().lower() != FONT:
            raise wrong(f"uses the font {font!r}; the certificate's font is {FONT!r}")
        if element.get("italic"):
            raise wrong("is italic; the certificate's font has no italic")
        if not 1 <= element.get("size", 10) <= 300:
            raise wrong(f"has size {element['size']:g}; text is 1 to 300 points")
        try:
            WrapMode.coerce(element.get("wrapmode") or "WORD")
        except ValueError:
            raise wrong(f"has wrapmode {element['wrapmode']!r}; it is WORD or CHAR") from None
        if element.get("text"):
            element["text"] = clean(element["text"])
    if element["name"].lower() == "qr":
        if kind.upper() != "I":
            raise wrong("is the QR code, so its type is I")
        side = min(element["x2"] - element["x1"], element["y2"] - element["y1"])
        if side < MIN_QR:
            raise wrong(f"is {side:g} mm across; a printed QR code needs at least {MIN_QR} mm to be scanned")
    return element


def _mirrored(element: dict[str, Any]) -> dict[str, Any]:
    """Return an element placed as in a mirror, for a language written from right to left."""
    element = dict(element)
    if element["type"].upper() == "L":  # a line keeps its ends, mirrored
        element["x1"], element["x2"] = PAGE_WIDTH - element["x1"], PAGE_WIDTH - element["x2"]
    else:
        element["x1"], element["x2"] = PAGE_WIDTH - element["x2"], PAGE_WIDTH - element["x1"]
    element["align"] = {"L": "R", "R": "L", "": "R"}.get((element.get("align") or "").upper(), element.get("align"))
    if element.get("rotate"):
        element["rotate"] = -element["rotate"]
    return element


# -- what the page says ----------------------------------------------------------

def _texts(details: Details, language: str) -> dict[str, str]:
    """Return the text of each field, in the certificate's language."""
    gettext = interface_translations(language).gettext
    texts = {field: gettext(msgid) for field, msgid in LABELS.items()}
    hours = details.hours if isinstance(details.hours, (int, float)) and math.isfinite(details.hours) else 0
    cohort = clean(details.cohort)
    texts.update({
        "learner": clean(details.learner),
        "institution": clean(details.institution),
        "course": clean(details.course),
        # CLDR's unit patterns: the right plural for each number ("21 час", "5 часов", "ساعتان").
        "hours": format_unit(hours, "duration-hour", length="long", format="#,##0.#", locale=language)
        if hours > 0 else "",
        "completed": format_date(details.completed, "long", locale=language),
        "cohort": cohort,
        "dates": _dates(details.cohort_start, details.cohort_end, language) if cohort else "",
        "academy": clean(details.academy),
        "code": clean(details.code),
        "verify_url": clean(details.verify_url),
    })
    for label, field in LABELLED.items():
        if not texts[field]:
            texts[label] = ""
    return texts


def _dates(start: dt.date | None, end: dt.date | None, language: str) -> str:
    if start and end and start <= end:
        return format_interval(start, end, "yMMMd", locale=language)
    return format_date(start or end, "long", locale=language) if start or end else ""


def clean(text: str) -> str:
    """Return someone's text as it can be printed: one line, no reordering controls, at most MAX_CHARS."""
    text = unicodedata.normalize("NFC", str(text or "")).translate(BIDI_CONTROLS)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text
                   if unicodedata.category(c) != "Cs")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1].rstrip() + "…"


def drawable(text: str, glyphs: frozenset[int]) -> str:
    """Return a text with each character the fonts cannot draw shown as � (invisible marks left out).

    A name in a script the certificate has no font for is then visibly incomplete, rather than printed
    with gaps: fpdf2 misplaces the letters after a glyph its fonts lack when it shapes text.
    """
    if all(ord(c) in glyphs for c in text):
        return text
    kept = []
    for c in text:
        if ord(c) in glyphs or c == " ":
            kept.append(c)
        elif unicodedata.category(c) not in ("Cf", "Mn", "Me"):
            kept.append("\ufffd")
    return "".join(kept)


# -- images --------------------------------------------------------------------------

def _images(elements: list[dict[str, Any]], path: Path, logo: bytes | None, url: str) -> dict[str, bytes]:
    """Return the bytes of each image element: the QR code, the logo, the template's own pictures."""
    images = {"qr": qr_png(url)}
    if logo is not None:
        images["logo"] = checked_image(logo, "The logo")
    for element in elements:
        name = element["name"].lower()
        if element["type"].upper() == "I" and name not in images and element.get("text"):
            images[name] = checked_image(_template_file(path, element["text"], name),
                                         f"The template {path.name}: the image {element['text']!r}")
    return images


def qr_png(url: str) -> bytes:
    """Return the QR code of an address as a PNG, with the four-module quiet zone scanners need."""
    code = segno.make_qr(url, error="m")
    out = io.BytesIO()
    code.save(out, kind="png", scale=QR_SCALE, border=4)
    return out.getvalue()


def _template_file(template: Path, relative: str, name: str) -> bytes:
    """Return a file named by a template, which must be in the template's folder."""
    folder = template.resolve().parent
    target = (folder / relative).resolve()
    if Path(relative).is_absolute() or not target.is_relative_to(folder):
        raise CertificateTemplateError(f"The template {template.name}: the image of {name!r} must be a file "
                                       f"in the template's folder, not {relative!r}.")
    try:
        if target.stat().st_size > MAX_IMAGE_BYTES:
            raise CertificateTemplateError(f"The template {template.name}: the image {relative!r} is larger than "
                                           f"{MAX_IMAGE_BYTES // 2**20} MB.")
        return target.read_bytes()
    except OSError as exc:
        raise CertificateTemplateError(f"The template {template.name}: the image {relative!r} cannot be read "
                                       f"({exc.strerror or exc}).") from None


def checked_image(data: bytes, what: str) -> bytes:
    """Return a PNG or JPEG image's bytes, scaled down if it is larger than a page needs; raise if it is not one."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise CertificateTemplateError(f"{what} is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise CertificateTemplateError(f"{what} is larger than {MAX_IMAGE_BYTES // 2**20} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ("PNG", "JPEG"):
                raise CertificateTemplateError(f"{what} is a {image.format} image; use a PNG or JPEG image.")
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise CertificateTemplateError(f"{what} is {image.width} x {image.height} pixels, too large.")
            image.load()  # a truncated or corrupt file fails here, not halfway through the PDF
            if max(image.size) <= MAX_IMAGE_SIDE:
                return bytes(data)
            kind = image.format
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            out = io.BytesIO()
            if kind == "JPEG":
                image.convert("RGB").save(out, "JPEG", quality=85)
            else:
                image.save(out, "PNG", optimize=True)
            return out.getvalue()
    except CertificateTemplateError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise CertificateTemplateError(f"{what} is not a PNG or JPEG image that can be read.") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise CertificateTemplateError(f"{what} is damaged: it cannot be read as an image.") from None


# -- drawing ---------------------------------------------------------------------------

def _new_pdf(details: Details, language: str) -> FPDF:
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.resource_access_policy = ResourceAccessPolicy.NONE  # every image is given as bytes: never a path or URL
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.c_margin = 0  # text boxes are the template's, to the millimetre
    for family, (regular, bold) in FAMILIES.items():
        pdf.add_font(family, "", FONTS / regular)
        pdf.add_font(family, "B", FONTS / bold)
    pdf.set_fallback_fonts(list(FAMILIES))
    pdf.set_text_shaping(True)
    # Same details, same bytes: the creation date is the day of completion, not the time of rendering.
    pdf.set_creation_date(dt.datetime.combine(details.completed, dt.time(), tzinfo=dt.timezone.utc))
    pdf.set_lang(language)
    title = interface_translations(language).gettext(LABELS["title"])
    pdf.set_title(f"{title}: {clean(details.learner)}")
    pdf.set_subject(clean(details.course))
    pdf.set_author(clean(details.academy))
    pdf.set_creator("Passerelle")
    pdf.add_page()
    return pdf


def _text(pdf: FPDF, rtl: bool, glyphs: frozenset[int], *, x1: float, y1: float, x2: float, y2: float,
          text: str = "", size: float = 10, scale: float = 1.0, bold: Any = False, underline: Any = False,
          align: str = "", foreground: int = 0, background: int | None = None, multiline: bool | None = None,
          wrapmode: str | None = None, **_: Any) -> None:
    """Draw a text fitted into its box (fpdf2's template calls this for each text element)."""
    text = drawable(str(text or ""), glyphs)
    if not text:
        return
    width, height = x2 - x1, y2 - y1
    if background is not None:
        pdf.set_fill_color(*_rgb(background))
        pdf.rect(x1, y1, width, height, style="F")
    pdf.set_text_color(*_rgb(foreground))
    family = _family(text, rtl)
    style = ("B" if bold else "") + ("U" if underline else "")
    align = (align or "L").upper()
    align = align if align in ("L", "C", "R") else "L"  # one line at a time: justified is aligned to the left
    size, lines = _fit(pdf, text, family, style, size * scale, width, height, bool(multiline),
                       WrapMode.coerce(wrapmode or "WORD"))
    pdf.set_font(family, style, size)  # the size that fits, which _fit may have only worked out
    leading = size * PT * LEADING
    top = y1 + (height - leading * len(lines)) / 2
    for number, line in enumerate(lines):
        pdf.set_xy(x1, top + number * leading)
        pdf.cell(w=width, h=leading, text=line, align=align)


def _family(text: str, rtl: bool) -> str:
    """Return the font a text is set in: Naskh for a text that starts in Arabic, its spaces and digits too.

    Letters that font lacks come from the other (fpdf2's fallback fonts), so any mix of scripts is drawn.
    """
    for c in text:
        kind = unicodedata.bidirectional(c)
        if kind in ("R", "AL"):
            return "naskh"
        if kind == "L":
            return "sans"
    return "naskh" if rtl else "sans"


def _fit(pdf: FPDF, text: str, family: str, style: str, size: float, width: float, height: float,
         multiline: bool, wrapmode: WrapMode) -> tuple[float, list[str]]:
    """Return the type size and lines that fit a text in a box: smaller type, then more lines, then an ellipsis."""
    size = max(min(size, height / (PT * LEADING)), min(size, MIN_SIZE))  # one line fits the box's height
    pdf.set_font(family, style, size)
    natural = pdf.get_string_width(text)
    if natural <= width:
        return size, [text]
    if not multiline:
        shrunk = math.floor(size * width / natural * 10) / 10  # widths grow with the type size
        if shrunk >= MIN_SIZE:
            return shrunk, [text]
        size = MIN_SIZE  # a very long name: the smallest type, on as many lines as the box holds
    while True:
        pdf.set_font(family, style, size)
        leading = size * PT * LEADING
        lines = pdf.multi_cell(w=width, h=leading, text=text, dry_run=True, output="LINES", wrapmode=wrapmode)
        room = max(1, int(height // leading))
        if len(lines) <= room or size <= MIN_SIZE:
            break
        size = max(MIN_SIZE, round(size * 0.9, 1))
    if len(lines) > room:
        lines = lines[:room]
        last = lines[-1].rstrip()
        while last and pdf.get_string_width(last + "…") > width:
            last = last[:-1].rstrip()
        lines[-1] = last + "…"
    return size, lines


def _image(pdf: FPDF, *, name: str, x1: float, y1: float, x2: float, y2: float, text: Any = b"", **_: Any) -> None:
    """Draw an image fitted and centred in its box (fpdf2's template calls this for each image element)."""
    if not text:
        return
    try:
        pdf.image(io.BytesIO(text), x=x1, y=y1, w=x2 - x1, h=y2 - y1, keep_aspect_ratio=True)
    except Exception as exc:  # noqa: BLE001 -- any image fpdf2 cannot embed is the giver's to fix, not a crash
        what = "The logo" if name.lower() == "logo" else f"The image of {name!r}"
        raise CertificateTemplateError(f"{what} cannot be put in a PDF ({exc}).") from None


def _rgb(colour: int) -> tuple[int, int, int]:
    return colour // 65536, colour // 256 % 256, colour % 256
