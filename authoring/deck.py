"""Render a live module as a PowerPoint deck with python-pptx.

Slides: a title slide, the agenda, then each content or activity slide, with
their bullets, tables and pictures; the facilitator notes become the speaker
notes.  An academy's own ``template.pptx`` in the course folder gives the
deck its look: its title layout and its title-and-content layout are used.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from lxml import etree
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.exc import PackageNotFoundError
from pptx.opc.packuri import PackURI
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from . import model
from .locales import interface_translations, is_rtl
from .package import zip_bytes

#: The academy's template, looked for in the course folder.
TEMPLATE = "template.pptx"
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
#: Fixed document dates, so the same sources give the same bytes.
BUILD_EPOCH = dt.datetime(2000, 1, 1)

_TITLES = (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)
_BODIES = (PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)


class TemplateError(ValueError):
    """The template cannot be used; the message says why."""


def _open(template: bytes | None):
    """Return a presentation on the template (or python-pptx's default) with its slides removed."""
    if template is None:
        prs = Presentation()
        prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
        return prs
    try:
        prs = Presentation(io.BytesIO(template))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(f"{TEMPLATE} is not a PowerPoint file ({exc})") from None
    slide_ids = prs.slides._sldIdLst  # python-pptx has no public way to remove slides
    for slide_id in list(slide_ids):
        prs.part.drop_rel(slide_id.rId)
        slide_ids.remove(slide_id)
    return prs


def _fast_part_names(prs) -> None:
    """Find names for new parts (notes slides) in a set rather than by walking the package each time.

    python-pptx walks every part of the package to name each new one, so a
    deck of n slides with notes costs n walks of n parts.  The names are the
    same: the first free number for the part's name template.
    """
    package = prs.part.package
    taken: set[str] = set()

    def next_partname(template: str) -> PackURI:
        if not taken:
            taken.update(str(part.partname) for part in package.iter_parts())
        number = 1
        while template % number in taken:
            number += 1
        taken.add(template % number)
        return PackURI(template % number)

    package.next_partname = next_partname


def _layouts(prs):
    """Return (title layout, content layout): found by their placeholders, so any template works."""

    def kinds(layout):
        return {p.placeholder_format.type for p in layout.placeholders}

    layouts = list(prs.slide_layouts)
    content = next((lay for lay in layouts if kinds(lay) & {PP_PLACEHOLDER.TITLE} and kinds(lay) & set(_BODIES)),
                   None)
    if content is None:
        raise TemplateError(f"{TEMPLATE} has no layout with a title and a content placeholder")
    title = next((lay for lay in layouts if PP_PLACEHOLDER.CENTER_TITLE in kinds(lay)), content)
    return title, content


def check_template(path: Path) -> None:
    """Raise :class:`TemplateError` unless ``path`` is a template the deck can use."""
    if path.stat().st_size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"{TEMPLATE} is larger than {MAX_TEMPLATE_BYTES // 2**20} MB")
    _layouts(_open(path.read_bytes()))


def slide_count(module: model.Module) -> int:
    """Return how many slides a live module's deck has: title, agenda, and one per table or slide."""
    return 2 + sum(max(len(slide.tables), 1) for slide in module.slides)


def render_deck(course: model.Course, module: model.Module, assets: dict[str, bytes] | None = None,
                template: bytes | None = None) -> bytes:
    """Return the PPTX bytes of a live module.

    ``assets`` maps course paths of images to their (optimised) bytes;
    ``template`` is the academy's ``template.pptx``, if the course has one.
    """
    assets = assets or {}
    language = course.text_language
    _ = interface_translations(language).gettext
    prs = _open(template)
    _fast_part_names(prs)
    title_layout, content_layout = _layouts(prs)
    props = prs.core_properties
    props.title = module.title
    props.subject = course.title
    props.author = props.last_modified_by = "Passerelle"
    props.created = props.modified = BUILD_EPOCH
    props.revision = 1

    title = prs.slides.add_slide(title_layout)
    _placeholder(title, _TITLES).text = module.title
    subtitle = next((p for p in title.placeholders if p.placeholder_format.type not in _TITLES), None)
    if subtitle is not None:
        subtitle.text = f"{course.title}\n" + _("%(minutes)s min") % {"minutes": module.duration}

    layout_body = next(p for p in content_layout.placeholders if p.placeholder_format.type in _BODIES)
    area = (layout_body.left, layout_body.top, layout_body.width, layout_body.height)  # read once: it is slow

    agenda = [_("%(minutes)s min") % {"minutes": item.minutes} + f" — {item.text}" for item in module.agenda]
    _content_slide(prs, content_layout, area, _("Agenda"), agenda)
    for slide in module.slides:
        heading, bullets = slide.title, list(slide.bullets)
        if slide.kind == "activity":
            heading = _("Activity (%(minutes)s min):") % {"minutes": slide.minutes} + f" {slide.title}"
            if slide.group:
                bullets.insert(0, f"{_('Groups:')} {slide.group}")
            if slide.materials:
                bullets.append(f"{_('Materials:')} {', '.join(slide.materials)}")
        images = [assets[module.assets[p.src]] for p in slide.images if module.assets.get(p.src) in assets]
        tables = slide.tables or [None]
        for index, table in enumerate(tables):
            _content_slide(prs, content_layout, area,
                           heading if index == 0 else _("%(title)s (continued)") % {"title": heading},
                           bullets if index == 0 else [], slide.notes, table, images if index == 0 else [])

    if is_rtl(language):
        _right_to_left(prs)
    out = io.BytesIO()
    prs.save(out)
    # python-pptx stamps each zip member with the current time; repack it.
    with zipfile.ZipFile(out) as pptx:
        return zip_bytes({info.filename: pptx.read(info) for info in pptx.infolist()}, sort=False)


def _right_to_left(prs) -> None:
    """Make every paragraph of the deck, speaker notes included, run and align from right to left."""
    for slide in prs.slides:
        parts = [slide] + ([slide.notes_slide] if slide.has_notes_slide else [])
        for part in parts:
            for paragraph in part.element.iter(qn("a:p")):
                properties = paragraph.find(qn("a:pPr"))
                if properties is None:
                    properties = etree.SubElement(paragraph, qn("a:pPr"))
                    paragraph.insert(0, properties)
                properties.set("rtl", "1")
                properties.set("algn", "r")


def _placeholder(slide, kinds):
    return next(p for p in slide.placeholders if p.placeholder_format.type in kinds)


def _content_slide(prs, layout, area: tuple[int, int, int, int], title: str, bullets: list[str], notes: str = "",
                   table: list[list[str]] | None = None, images: list[bytes] = ()) -> None:
    """Add a slide: bullets in the layout's content ``area``, then a table below and pictures beside them."""
    slide = prs.slides.add_slide(layout)
    _placeholder(slide, _TITLES).text = title
    body = _placeholder(slide, _BODIES)
    left, top, full, height = area
    width = int(full * 0.55) if images else full
    text_height = height if table is None else (height // 3 if bullets else 0)
    if bullets:
        body.left, body.top, body.width, body.height = left, top, width, text_height
        frame = body.text_frame
        for index, text in enumerate(bullets):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = text
            paragraph.font.size = Pt(24 if len(bullets) <= 4 and table is None else 18)
    else:
        body._element.getparent().remove(body._element)
    if table:
        _table(slide, table, left, top + text_height, width, height - text_height)
    if images:
        gap = Inches(0.3)
        _pictures(slide, images, left + width + gap, top, full - width - gap, height)
    if notes:
        slide.notes_slide.notes_text_frame.text = notes


def _table(slide, rows: list[list[str]], left: int, top: int, width: int, height: int) -> None:
    columns = max(len(row) for row in rows)
    row_height = min(Emu(height // max(len(rows), 1)), Inches(0.5))
    shape = slide.shapes.add_table(len(rows), columns, left, top, width, row_height * len(rows))
    size = Pt(16 if len(rows) <= 6 else 12)
    for r, row in enumerate(rows):
        for c in range(columns):
            cell = shape.table.cell(r, c)
            cell.text = row[c] if c < len(row) else ""
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = size


def _pictures(slide, images: list[bytes], left: int, top: int, width: int, height: int) -> None:
    """Stack pictures in the box, each scaled to fit and keep its proportions."""
    slot = height // len(images)
    for index, data in enumerate(images):
        with Image.open(io.BytesIO(data)) as picture:
            w, h = picture.size
        scale = min(width / w, slot / h)
        slide.shapes.add_picture(io.BytesIO(data), left, top + index * slot, int(w * scale), int(h * scale))
