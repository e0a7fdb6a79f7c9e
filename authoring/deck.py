"""Render a live module as a PowerPoint deck with python-pptx.

Slides: a title slide, the agenda, then each content or activity slide, with
their bullets, tables and pictures; the facilitator notes become the speaker
notes.  An academy's own ``template.pptx`` in the course folder gives the
deck its look: its title layout and its title-and-content layout are used.

Text is laid out here, not left to the program that shows the deck: each
title and list of bullets is measured with a font's metrics, set in the
largest size that fits its box, and a title too long for its box at the
smallest size pushes the bullets down; bullets that do not fit at their
smallest size go on to a "continued" slide.  PowerPoint and LibreOffice
shrink overflowing text differently (or not at all), so the sizes are
written into the deck.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import itertools
import math
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree
from PIL import Image, ImageFont
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.exc import PackageNotFoundError
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.parts.slide import NotesSlidePart
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from . import FONTS, model
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
        stretch = Inches(13.333) / prs.slide_width
        prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
        # python-pptx's own template is drawn for 4:3 slides: spread its boxes across the wide slide.
        for part in (prs.slide_master, *prs.slide_layouts):
            for shape in part.shapes:
                if shape._element.xfrm is not None:  # placeholders without one take their master's
                    shape.left, shape.width = round(shape.left * stretch), round(shape.width * stretch)
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


class _SlideMaker:
    """Add slides and speaker notes, copying the placeholders python-pptx made for the first of each kind.

    python-pptx makes a slide's placeholders by going through its layout's
    (and a notes slide's through the notes master's) and working out each
    one's name and number again, for every slide: a third of a deck's time.
    The first slide of a layout, and the first notes slide, are made its way;
    the others get copies of the placeholders it made, which are the same.
    """

    def __init__(self, prs) -> None:
        self.prs = prs
        self._placeholders: dict[int, list] = {}  # by layout: the first slide's placeholders as made
        self._notes: list | None = None

    def slide(self, slide_layout):
        made = self._placeholders.get(id(slide_layout))
        if made is None:
            slide = self.prs.slides.add_slide(slide_layout)
            self._placeholders[id(slide_layout)] = [copy.deepcopy(e) for e in slide.shapes._spTree.iter_shape_elms()]
            return slide
        rel_id, slide = self.prs.part.add_slide(slide_layout)
        _copy_into(slide.shapes._spTree, made)
        self.prs.slides._sldIdLst.add_sldId(rel_id)
        return slide

    def notes(self, slide, text: str) -> None:
        """Give ``slide`` speaker notes."""
        if self._notes is None:
            notes = slide.notes_slide
            self._notes = [copy.deepcopy(e) for e in notes.shapes._spTree.iter_shape_elms()]
        else:
            package = self.prs.part.package
            part = NotesSlidePart._add_notes_slide_part(package, slide.part, package.presentation_part.notes_master_part)
            _copy_into(part.notes_slide.shapes._spTree, self._notes)
            slide.part.relate_to(part, RT.NOTES_SLIDE)
            notes = part.notes_slide
        notes.notes_text_frame.text = text


def _copy_into(tree, elements: list) -> None:
    for element in elements:
        tree.insert_element_before(copy.deepcopy(element), "p:extLst")


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
    _layout(_open(path.read_bytes()))


def slide_count(module: model.Module, template: bytes | None = None, language: str = "en") -> int:
    """Return how many slides a live module's deck has in its ``language``: title, agenda, each slide's pages.

    A slide takes a page per table, and more when its bullets do not fit; the
    words measured are the source's (a translation's may take more or fewer).
    """
    layout = _layout(_open(template)) if template is not None else _default_layout()
    pictures = [[b""] * len(slide.images) for slide in module.slides]  # only whether there are any counts
    return 1 + len(_module_pages(layout, module, interface_translations(language).gettext, pictures))


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
    layout = _layout(prs)  # read once: it is slow
    props = prs.core_properties
    props.title = module.title
    props.subject = course.title
    props.author = props.last_modified_by = "Passerelle"
    props.created = props.modified = BUILD_EPOCH
    props.revision = 1

    slides = _SlideMaker(prs)
    _title_slide(slides, layout, module.title, f"{course.title}\n" + _("%(minutes)s min") % {"minutes": module.duration})
    pictures = [[assets[module.assets[p.src]] for p in slide.images if module.assets.get(p.src) in assets]
                for slide in module.slides]
    for page in _module_pages(layout, module, _, pictures):
        _add_page(slides, layout, page)

    if is_rtl(language):
        _right_to_left(prs)
    out = io.BytesIO()
    prs.save(out)
    # python-pptx stamps each zip member with the current time; repack it.
    with zipfile.ZipFile(out) as pptx:
        return zip_bytes({info.filename: pptx.read(info) for info in pptx.infolist()}, sort=False)


def _module_pages(layout: Layout, module: model.Module, _, pictures: list[list[bytes]]) -> list[Page]:
    """Lay out the module's slides after the title slide: the agenda, then each slide's pages.

    ``pictures`` holds each slide's pictures, in the order of the slides.
    """
    agenda = [_("%(minutes)s min") % {"minutes": item.minutes} + f" — {item.text}" for item in module.agenda]
    pages = _pages(layout, _("Agenda"), agenda, [], [], "", _)
    for slide, shown in zip(module.slides, pictures):
        heading, bullets = _slide_text(slide, _)
        pages += _pages(layout, heading, bullets, slide.tables, shown, slide.notes, _)
    return pages


def _slide_text(slide: model.Slide, _) -> tuple[str, list[str]]:
    """Return a slide's heading and bullets; an activity's give its timing, groups and materials."""
    heading, bullets = slide.title, list(slide.bullets)
    if slide.kind == "activity":
        heading = _("Activity (%(minutes)s min):") % {"minutes": slide.minutes} + f" {slide.title}"
        if slide.group:
            bullets.insert(0, f"{_('Groups:')} {slide.group}")
        if slide.materials:
            bullets.append(f"{_('Materials:')} {', '.join(slide.materials)}")
    return heading, bullets


# -- Measuring text ----------------------------------------------------------------------------------------------

#: Noto Sans (and Noto Naskh Arabic for Arabic letters), in authoring.FONTS, measure the text.
_EM = 1000  # the size fonts are measured at, in pixels per em
#: How much wider text may be shown than Noto Sans measures it: DejaVu Sans, which LibreOffice puts in for the
#: templates' Calibri where neither Calibri nor Carlito is installed, is 8 % wider (Calibri itself is narrower);
#: DejaVu Sans's Arabic letters are a fifth wider than Noto Naskh's.
_WIDER, _WIDER_ARABIC = 1.1, 1.25
#: Line height in ems: Noto Sans's ascent and descent (1.36), taller than Calibri's (1.22) or DejaVu Sans's (1.17).
LINE = 1.37
#: Where no measuring font is found, letters are taken as this wide, in ems (wider than most).
_FALLBACK_EM = 0.6
#: PowerPoint's default text box insets, left and right, top and bottom.
_INSET_X, _INSET_Y = Inches(0.1), Inches(0.05)
#: The least a template's title and body placeholders must hold, inside their margins.
MIN_TEXT_WIDTH, MIN_TEXT_HEIGHT = Inches(1), Inches(0.3)
#: The sizes, in points, bullets start at: a few bullets alone on a slide, and more or above a table.
BODY_SIZES = (24, 18)
#: The smallest sizes, in points, text is shrunk to before a title's box grows or bullets go on to another slide.
SMALLEST_TITLE, SMALLEST_BODY, SMALLEST_SUBTITLE = 28, 14, 16
#: Below those, text that still does not fit (a title of a hundred words) shrinks to at least this size.
_TINY = 8
#: Tables: the size, in points, their text starts at (short tables, then longer ones), and the smallest it is
#: shrunk to before the rows that do not fit go on to another slide, under the header row again.
TABLE_SIZES, SMALLEST_TABLE = (16, 12), 10
#: A table cell's default insets, left and right, top and bottom.
_CELL_X, _CELL_Y = Inches(0.1), Inches(0.05)


@functools.cache
def _measuring_font(arabic: bool, bold: bool):
    name = f"{'NotoNaskhArabic' if arabic else 'NotoSans'}-{'Bold' if bold else 'Regular'}.ttf"
    if not (FONTS / name).is_file():
        return None
    # The basic layout engine: the same widths on every machine, with or without libraqm.
    return ImageFont.truetype(str(FONTS / name), _EM, layout_engine=ImageFont.Layout.BASIC)


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u08ff" or "\ufb50" <= char <= "\ufeff"


@functools.lru_cache(maxsize=32768)
def _ems(word: str, bold: bool) -> float:
    """Return how wide a word is, in ems, shown in the widest font it is likely to be shown in."""
    width = 0.0
    for arabic, letters in itertools.groupby(word, _is_arabic):
        text = "".join(letters)
        font = _measuring_font(arabic, bold)
        ems = font.getlength(text) / _EM if font is not None else _FALLBACK_EM * len(text)
        width += ems * (_WIDER_ARABIC if arabic else _WIDER)
    return width


def _lines(text: str, width: float, bold: bool) -> int:
    """Return how many lines a paragraph wraps to in ``width`` ems, breaking between words (and inside a longer one)."""
    space = _ems(" ", bold)
    lines, used = 1, 0.0
    for word in text.split():
        ems = _ems(word, bold)
        if used and used + space + ems > width:
            lines, used = lines + 1, 0.0
        used += (space if used else 0.0) + ems
        if used > width:  # a word longer than the line breaks where each line ends
            more = math.ceil(used / width) - 1
            lines, used = lines + more, used - more * width
    return lines


# -- Laying out slides -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    """A rectangle on a slide, in EMU."""

    left: int
    top: int
    width: int
    height: int

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass(frozen=True)
class Frame:
    """How a placeholder sets text: its box, the size text starts at (points), its paragraphs' indent and spacing."""

    box: Box
    size: int
    smallest: int
    indent: int = 0  # EMU from the inner left edge to the text, past the bullet
    spacing: float = 0.0  # space before each paragraph, in lines
    bold: bool = False

    def height(self, paragraphs: list[str], size: float, width: int | None = None) -> int:
        """Return the height, insets included, of paragraphs set at ``size`` points in a box ``width`` wide."""
        inner = (width or self.box.width) - 2 * _INSET_X - self.indent
        ems = max(inner / Pt(size), 1.0)  # a template's boxes are checked to hold text; never less than a letter
        lines = sum(_lines(text, ems, self.bold) for text in paragraphs)
        return 2 * _INSET_Y + int(Pt(size) * LINE * (lines + self.spacing * len(paragraphs)))

    def fit(self, paragraphs: list[str], height: int, largest: int, smallest: int,
            width: int | None = None) -> int | None:
        """Return the largest size from ``largest`` down to ``smallest`` at which the paragraphs fit ``height``."""
        return next((size for size in range(largest, smallest - 1, -1)
                     if self.height(paragraphs, size, width) <= height), None)


@dataclass(frozen=True)
class Layout:
    """The template's boxes for text: the title slide's title and subtitle, the content slides' title and body."""

    cover_title: Frame
    subtitle: Frame | None
    title: Frame
    body: Frame
    title_layout: object
    content_layout: object


@dataclass
class Page:
    """A slide as it will be added: its text with the size each part is set in, and where each part goes."""

    title: str
    title_size: int
    title_box: Box
    area: Box  # below the title: bullets at the top, then a table; pictures on the right
    text_box: Box  # the bullets' part of the area (none high if there are none)
    bullets: list[str]
    bullet_size: int
    table: Table | None
    images: list[bytes]
    notes: str


@dataclass(frozen=True)
class Table:
    """A table as it will be drawn: its rows (the header first), the size of its text and each row's height."""

    rows: list[list[str]]
    size: int
    heights: list[int]


def _row_height(row: list[str], size: float, column: int, bold: bool) -> int:
    """Return the height of a table row whose cells are ``column`` EMU wide, with its text at ``size`` points."""
    ems = max((column - 2 * _CELL_X) / Pt(size), 1.0)
    lines = max((sum(_lines(paragraph, ems, bold) for paragraph in cell.split("\n")) for cell in row), default=1)
    return 2 * _CELL_Y + int(Pt(size) * LINE * lines)


def _fit_table(rows: list[list[str]], box: Box) -> tuple[Table, list[list[str]]]:
    """Return the part of a table that fits ``box`` and the rows left over for the next slide.

    Its text is set in the largest size at which every row fits, from
    :data:`TABLE_SIZES` down to :data:`SMALLEST_TABLE`; if none does, the
    rows that fit at the smallest size are taken (one at least, shrunk
    further if it must be) and the others are left, to go on under the
    header row again.  The header row is the first, set in bold.
    """
    columns = max(len(row) for row in rows)
    rows = [row + [""] * (columns - len(row)) for row in rows]
    column = box.width // columns

    def heights(taken, size):
        return [_row_height(row, size, column, index == 0) for index, row in enumerate(taken)]

    largest = TABLE_SIZES[0] if len(rows) <= 6 else TABLE_SIZES[1]
    for size in range(largest, SMALLEST_TABLE - 1, -1):
        if sum(heights(rows, size)) <= box.height:
            return Table(rows, size, heights(rows, size)), []
    count = 2
    while count < len(rows) and sum(heights(rows[:count + 1], SMALLEST_TABLE)) <= box.height:
        count += 1
    taken = rows[:count]
    size = next((size for size in range(SMALLEST_TABLE, _TINY - 1, -1) if sum(heights(taken, size)) <= box.height),
                _TINY)
    return Table(taken, size, heights(taken, size)), [rows[0]] + rows[count:] if count < len(rows) else []


def _layout(prs) -> Layout:
    """Read the template's title and content layouts: their boxes, and the sizes and spacing of their text."""
    title_layout, content_layout = _layouts(prs)
    master = prs.slide_master.element
    title_size, title_bold, _, _ = _text_style(master, "p:titleStyle", 44)
    body_size, _, indent, spacing = _text_style(master, "p:bodyStyle", 32)

    def box(layout, kinds):
        shape = next((p for p in layout.placeholders if p.placeholder_format.type in kinds), None)
        if shape is None:
            return None
        if (shape.width or 0) - 2 * _INSET_X < MIN_TEXT_WIDTH or (shape.height or 0) < MIN_TEXT_HEIGHT:
            raise TemplateError(f"{TEMPLATE}: the placeholder {shape.name!r} of the layout {layout.name!r} is too "
                                f"small to hold text ({Emu(shape.width or 0).inches:.2f} x "
                                f"{Emu(shape.height or 0).inches:.2f} in)")
        return Box(shape.left, shape.top, shape.width, shape.height)

    subtitle = next((p for p in title_layout.placeholders if p.placeholder_format.type not in _TITLES), None)
    return Layout(
        cover_title=Frame(box(title_layout, _TITLES), title_size, SMALLEST_TITLE, bold=title_bold),
        subtitle=None if subtitle is None else Frame(
            Box(subtitle.left, subtitle.top, subtitle.width, subtitle.height), body_size, SMALLEST_SUBTITLE),
        title=Frame(box(content_layout, _TITLES), title_size, SMALLEST_TITLE, bold=title_bold),
        body=Frame(box(content_layout, _BODIES), BODY_SIZES[0], SMALLEST_BODY, indent=indent, spacing=spacing),
        title_layout=title_layout, content_layout=content_layout)


def _text_style(master, name: str, size: int) -> tuple[int, bool, int, float]:
    """Return the master's first-level size (points), boldness, indent (EMU) and space before (lines) of a style."""
    level = master.find(f"{qn('p:txStyles')}/{qn(name)}/{qn('a:lvl1pPr')}")
    if level is None:
        return size, False, 0, 0.0
    run = level.find(qn("a:defRPr"))
    before = level.find(f"{qn('a:spcBef')}/{qn('a:spcPct')}")
    return (int(run.get("sz", size * 100)) // 100 if run is not None else size,
            run is not None and run.get("b") in ("1", "true"),
            max(int(level.get("marL", 0)), 0),
            int(before.get("val", 0)) / 100_000 if before is not None else 0.0)


@functools.cache
def _default_layout() -> Layout:
    return _layout(_open(None))


def _title_box(frame: Frame, text: str, room: int, upwards: bool = False) -> tuple[int, Box]:
    """Return a title's size and box: the largest size its lines fit the box at, or else a box grown to hold them.

    The box grows (down, or up from its bottom) to at most ``room``, at the
    smallest size; a title that would not fit even that shrinks further.
    """
    box = frame.box
    size = frame.fit([text], box.height, frame.size, frame.smallest)
    if size is not None:
        return size, box
    size = frame.fit([text], room, frame.smallest, _TINY) or _TINY
    height = max(frame.height([text], size), box.height)
    top = max(box.bottom - height, 0) if upwards else box.top
    return size, Box(box.left, top, box.width, height)


def _title_slide(slides: _SlideMaker, layout: Layout, title: str, subtitle: str) -> None:
    """Add the title slide: the module's title, grown upwards if it must be, over the course's title and duration."""
    prs = slides.prs
    slide = slides.slide(layout.title_layout)
    frame = layout.cover_title
    size, box = _title_box(frame, title, frame.box.bottom, upwards=True)
    _set_text(_placeholder(slide, _TITLES), [title], size, None if box == frame.box else box)
    shape = next((p for p in slide.placeholders if p.placeholder_format.type not in _TITLES), None)
    if shape is not None and layout.subtitle is not None:
        frame = layout.subtitle
        paragraphs = subtitle.split("\n")
        size = frame.fit(paragraphs, frame.box.height, frame.size, frame.smallest)
        if size is None:
            size = frame.fit(paragraphs, prs.slide_height - frame.box.top, frame.smallest, _TINY) or _TINY
            frame = replace(frame, box=replace(frame.box, height=frame.height(paragraphs, size)))
        _set_text(shape, paragraphs, size, None if frame == layout.subtitle else frame.box)


def _pages(layout: Layout, heading: str, bullets: list[str], tables: list[list[list[str]]], images: list[bytes],
           notes: str, _) -> list[Page]:
    """Lay out one slide of the module as pages: its bullets, then each table, on as many slides as they need.

    The bullets take the whole area under the title, or its top third on a
    slide with a table; those that do not fit at the smallest size go on to
    the next page, as do tables after the first, and the rows of a table
    that do not fit below the bullets (see :func:`_fit_table`).  Pictures
    are beside the first page's bullets.
    """
    title, body = layout.title, layout.body
    gap = max(body.box.top - title.box.bottom, 0)
    largest = BODY_SIZES[0] if len(bullets) <= 4 and not tables else BODY_SIZES[1]
    remaining, tables, pages = list(bullets), list(tables), []
    while remaining or tables or not pages:
        text = heading if not pages else _("%(title)s (continued)") % {"title": heading}
        title_size, title_box = _title_box(title, text, (body.box.bottom - title.box.top) // 2)
        top = max(body.box.top, title_box.bottom + gap)
        area = Box(body.box.left, top, body.box.width, body.box.bottom - top)
        shown = images if not pages else []
        text_box = replace(area, width=int(area.width * 0.55) if shown else area.width, height=0)
        table = tables[0] if tables else None
        taken, size = [], 0
        if remaining:
            text_box = replace(text_box, height=area.height // 3 if table else area.height)
            taken, size = _bullets(body, remaining, largest, text_box)
            if table is not None and len(taken) < len(remaining):  # the bullets need the whole area
                table, text_box = None, replace(text_box, height=area.height)
                taken, size = _bullets(body, remaining, largest, text_box)
        if table is not None:
            below = Box(text_box.left, text_box.bottom, text_box.width, area.bottom - text_box.bottom)
            table, rest = _fit_table(tables.pop(0), below)
            if rest:
                tables.insert(0, rest)
        pages.append(Page(text, title_size, title_box, area, text_box, taken, size, table, shown, notes))
        remaining = remaining[len(taken):]
    return pages


def _bullets(frame: Frame, bullets: list[str], largest: int, box: Box) -> tuple[list[str], int]:
    """Return the first bullets that fit the box at the smallest size (at least one), and the largest size for them."""
    count = 1
    while count < len(bullets) and frame.height(bullets[:count + 1], frame.smallest, box.width) <= box.height:
        count += 1
    taken = bullets[:count]
    size = (frame.fit(taken, box.height, largest, frame.smallest, box.width)
            or frame.fit(taken, box.height, frame.smallest, _TINY, box.width) or _TINY)
    return taken, size


def _add_page(slides: _SlideMaker, layout: Layout, page: Page) -> None:
    """Add a slide: bullets at the top of its area, then a table below and pictures beside them."""
    slide = slides.slide(layout.content_layout)
    _set_text(_placeholder(slide, _TITLES), [page.title], page.title_size,
              None if page.title_box == layout.title.box else page.title_box)
    body = _placeholder(slide, _BODIES)
    area, text = page.area, page.text_box
    if page.bullets:
        _set_text(body, page.bullets, page.bullet_size, text)
    else:
        body._element.getparent().remove(body._element)
    if page.table:
        _table(slide, page.table, text.left, text.bottom, text.width)
    if page.images:
        gap = Inches(0.3)
        _pictures(slide, page.images, text.left + text.width + gap, area.top, area.width - text.width - gap,
                  area.height)
    if page.notes:
        slides.notes(slide, page.notes)


def _set_text(shape, paragraphs: list[str], size: int, box: Box | None) -> None:
    """Write paragraphs in a placeholder at ``size`` points, and move it to ``box`` if given."""
    if box is not None:
        shape.left, shape.top, shape.width, shape.height = box.left, box.top, box.width, box.height
    frame = shape.text_frame
    for index, text in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = text
        paragraph.font.size = Pt(size)
        for run in paragraph.runs:
            run.font.size = Pt(size)


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


def _table(slide, table: Table, left: int, top: int, width: int) -> None:
    """Draw a table laid out by :func:`_fit_table`: each row as high as its text needs, at its size."""
    rows, columns = table.rows, len(table.rows[0])
    shape = slide.shapes.add_table(len(rows), columns, left, top, width, sum(table.heights))
    size = Pt(table.size)
    for r, row in enumerate(rows):
        shape.table.rows[r].height = table.heights[r]
        for c in range(columns):
            cell = shape.table.cell(r, c)
            cell.text = row[c]
            for paragraph in cell.text_frame.paragraphs:
                paragraph.font.size = size
                for run in paragraph.runs:  # PowerPoint sets runs in their own size, not their paragraph's
                    run.font.size = size


def _pictures(slide, images: list[bytes], left: int, top: int, width: int, height: int) -> None:
    """Stack pictures in the box, each scaled to fit and keep its proportions."""
    slot = height // len(images)
    for index, data in enumerate(images):
        with Image.open(io.BytesIO(data)) as picture:
            w, h = picture.size
        scale = min(width / w, slot / h)
        slide.shapes.add_picture(io.BytesIO(data), left, top + index * slot, int(w * scale), int(h * scale))
