"""Charts of report tables, drawn on the server as small inline SVG: no script or library in the browser.

They are drawn here rather than by a charting library because a library's chart is heavier and breaks
the page's rules: a chart of 20 bars is 24 KB (4.4 KB gzipped) from pygal, most of it a ``<style>`` sheet
that the page's Content-Security-Policy refuses and that would restyle the whole page, and 21 KB (2.5 KB
gzipped) from matplotlib, which brings numpy and knows neither right to left nor ARIA; this module's is
about 5 KB (under 1 KB gzipped), named for screen readers and mirrored for Arabic.

Every chart is an ``<svg role="img">`` named by its ``<title>`` (the table's title) and ``<desc>`` (its
description), sized in viewBox units so it takes the width the page gives it; colours and type come
from presentation attributes (no ``<style>``), text is real ``<text>`` in the page's font. A bar's group
carries a ``<title>`` with its full label and value, for hover. A cell too small to show
(:class:`~lms.reports.tables.Suppressed`) or without a value is drawn as no bar with its text ("< 5",
"—"); so is a negative number. Numbers are written the reader's way by Babel. For a right-to-left
language the chart is mirrored (labels on the right, bars growing leftwards) and its text runs right to
left. At most :data:`MAX_ROWS` rows are drawn; the chart says how many more the table beside it holds.
The same table gives the same bytes, so pages can be cached and compared.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape

from authoring.locales import interface_translations, locale_of

from .tables import Suppressed, Table

#: The most rows a chart draws; the table beside it holds them all.
MAX_ROWS = 30
#: The longest label drawn, in characters; a longer one is cut with "…" (its full text is in the bar's title).
MAX_LABEL = 24

WIDTH = 480  # viewBox units; with 13-unit type, text stays legible on a 360-pixel phone
FONT = 13
CHAR = 7  # the width of an average character of FONT-unit type, to make room for labels and values
GAP = 6  # between a label, its bar and its value
ROW = 22  # the height of a row of one bar
BAR = 14
MIN_BARS = 160  # the least width left to the bars, however long the labels and values
PAIR_ROW = 38  # the height of a row of two bars
PAIR_BAR = 15

# Colours on a white page: text passes WCAG AA for text (4.5:1) and bars the 3:1 of graphics.
INK = "#1a1a1a"  # 17:1
FIRST = "#1f5c99"  # 6.9:1
SECOND = "#a3480b"  # 6.0:1
RULE = "#767676"  # 4.5:1, the baseline at zero
GRID = "#d6d6d6"  # decorative: the 50 % and 100 % lines behind share bars

NO_VALUE = "—"
ELLIPSIS = "…"
ISOLATE, POP_ISOLATE = "\u2068", "\u2069"  # a label's own direction never reorders what is around it

# Characters XML 1.0 does not allow, which would make the page's SVG unreadable to XML tools.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EXPLICIT = ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI")  # bidirectional controls
_LEFT_TO_RIGHT = ("L", *_EXPLICIT)
_RIGHT_TO_LEFT = ("R", "AL", *_EXPLICIT)
_PERCENT_KINDS = ("share", "score")
_NUMBER_KINDS = ("count", "number")


class _Writer:
    """What every chart of one language needs: its locale, its direction and its words."""

    def __init__(self, language: str, rtl: bool) -> None:
        if locale_of(language) is None:  # not a language at all: English rather than an error on the page
            language = "en"
        self.locale = locale_of(language)
        self.rtl = rtl
        self.translations = interface_translations(language)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale)

    def value(self, cell: Any, kind: str) -> str:
        """Write a cell as the table beside the chart would: a number, a percentage, "< 5" or "—"."""
        if isinstance(cell, Suppressed):
            return str(cell)
        amount = _amount(cell)
        if amount is None:
            return NO_VALUE if cell is None or isinstance(cell, float) else _shorten(_clean(str(cell)))
        if kind in _PERCENT_KINDS:
            return self.percent(amount)
        return self.number(amount)

    def more(self, count: int) -> str:
        return self.translations.ngettext("and %(count)s more row, shown in the table",
                                          "and %(count)s more rows, shown in the table",
                                          count) % {"count": self.number(count)}

    def nothing(self) -> str:
        return self.translations.gettext("No data to draw.")

    def x(self, position: float, width: float = 0) -> float:
        """Where something ``width`` wide starting ``position`` from the start side begins, from the left."""
        return WIDTH - position - width if self.rtl else position


def bars(table: Table, label_key: str, value_key: str, *, rtl: bool = False, language: str = "en") -> Markup:
    """Draw one horizontal bar per row: counts and numbers to scale, shares and scores out of 100 %."""
    writer = _Writer(language, rtl)
    kind = _value_kind(table, value_key)
    value_at = table.column(value_key)
    rows = _rows(table, label_key, writer)
    drawn = rows[:MAX_ROWS]
    texts = [writer.value(cells[value_at], kind) for _, cells in drawn]
    amounts = [_amount(cells[value_at]) for _, cells in drawn]
    top = 1.0 if kind in _PERCENT_KINDS else max((a for a in amounts if a is not None), default=0.0)
    series = [_Series(amounts, texts, FIRST, None, kind)]
    return _draw(table, "bars", (label_key, value_key), writer, rows, series, top)


def funnel(table: Table, label_key: str, value_key: str, *, rtl: bool = False, language: str = "en") -> Markup:
    """Draw steps such as enrolled, started and completed, each with its count and its share of the first step."""
    writer = _Writer(language, rtl)
    kind = _value_kind(table, value_key)
    if kind not in _NUMBER_KINDS:
        raise ValueError(f"a funnel counts people: column {value_key!r} holds {kind} values")
    value_at = table.column(value_key)
    rows = _rows(table, label_key, writer)
    drawn = rows[:MAX_ROWS]
    amounts = [_amount(cells[value_at]) for _, cells in drawn]
    first = amounts[0] if amounts else None
    texts = []
    for (_, cells), amount in zip(drawn, amounts):
        text = writer.value(cells[value_at], kind)
        if amount is not None and first:
            text = f"{text} ({writer.percent(amount / first)})"
        texts.append(text)
    top = max((a for a in amounts if a is not None), default=0.0)
    series = [_Series(amounts, texts, FIRST, None, kind)]
    return _draw(table, "funnel", (label_key, value_key), writer, rows, series, top)


def paired(table: Table, label_key: str, first_key: str, second_key: str, *, rtl: bool = False,
           language: str = "en") -> Markup:
    """Draw two bars a row out of 100 %, such as a pre-test and a post-test score: the second one hatched."""
    writer = _Writer(language, rtl)
    rows = _rows(table, label_key, writer)
    drawn = rows[:MAX_ROWS]
    series = []
    for key, colour, hatch in ((first_key, FIRST, None), (second_key, SECOND, "h")):
        kind = _value_kind(table, key)
        if kind not in _PERCENT_KINDS:
            raise ValueError(f"pairs are drawn out of 100 %: column {key!r} holds {kind} values")
        at = table.column(key)
        series.append(_Series([_amount(cells[at]) for _, cells in drawn],
                              [writer.value(cells[at], kind) for _, cells in drawn], colour, hatch, kind,
                              table.columns[at].label))
    return _draw(table, "paired", (label_key, first_key, second_key), writer, rows, series, 1.0)


@dataclass
class _Series:
    """One column's bars: their amounts (None: no bar), their texts and how they are painted."""

    amounts: list[float | None]
    texts: list[str]
    colour: str
    hatch: str | None  # the id suffix of the pattern its bars are hatched with, if they are
    kind: str
    name: str = ""  # its column's heading, for the legend


@dataclass
class _Layout:
    """Where things go across the chart, in viewBox units from its start side (the left, or the right in rtl)."""

    writer: _Writer
    ident: str
    label_room: float  # the labels' column, ending where the bars start
    room: float  # the bars' width at 100 % (or at the largest value)
    top: float  # the value a full-width bar stands for
    row: float
    bar: float

    def x(self, position: float, width: float = 0) -> str:
        return _n(self.writer.x(position, width))


def _draw(table: Table, chart: str, keys: tuple[str, ...], writer: _Writer, rows: list[tuple[str, list]],
          series: list[_Series], top: float) -> Markup:
    """Lay out and write the SVG of ``series`` drawn against the rows' labels, ``top`` filling the bars' width."""
    drawn = rows[:MAX_ROWS]
    labels = [_shorten(label) for label, _ in drawn]
    label_room = min(MAX_LABEL, max((len(label) for label in labels), default=0)) * CHAR + 2 * GAP
    value_room = max((len(text) for s in series for text in s.texts), default=0) * CHAR + 2 * GAP
    value_room = min(value_room, WIDTH - label_room - MIN_BARS)
    paired = len(series) > 1
    layout = _Layout(writer, _ident(table, chart, keys), label_room, WIDTH - label_room - value_room, top,
                     *((PAIR_ROW, PAIR_BAR) if paired else (ROW, BAR)))
    out: list[str] = []
    y = 4.0
    if paired:
        y = _legend(layout, series, out, y) + 4
    rows_top = y
    percent = series[0].kind in _PERCENT_KINDS
    if percent:  # the 50 % and 100 % lines, so that a short bar reads as a small share
        marks = "".join(f"M{layout.x(label_room + layout.room * f)} {_n(rows_top)}v{_n(len(drawn) * layout.row)}"
                        for f in (0.5, 1))
        out.append(f'<path d="{marks}" stroke="{GRID}"/>')
    for index, ((label, _), short) in enumerate(zip(drawn, labels)):
        _row(layout, series, index, label, short, out, y)
        y += layout.row
    if drawn:
        out.append(f'<path d="M{layout.x(label_room)} {_n(rows_top)}v{_n(y - rows_top)}" stroke="{RULE}"/>')
    if percent:
        for f in (0, 0.5, 1):
            out.append(f'<text x="{layout.x(label_room + layout.room * f)}" y="{_n(y + FONT)}"'
                       f' text-anchor="middle">{escape(writer.percent(f))}</text>')
        y += FONT + 4
    if len(rows) > len(drawn) or not rows:
        note = writer.more(len(rows) - len(drawn)) if rows else writer.nothing()
        out.append(f'<text x="{layout.x(label_room if rows else 0)}" y="{_n(y + FONT)}">{escape(note)}</text>')
        y += FONT + 4
    return Markup(_svg(table, layout.ident, writer, series, out, y + 4))


def _legend(layout: _Layout, series: list[_Series], out: list[str], y: float) -> float:
    """Write a swatch painted as each series' bars, beside its name, one a line; return where they end."""
    for s in series:
        out.append(f'<rect x="{layout.x(0, BAR)}" y="{_n(y)}" width="{BAR}" height="{BAR}"{_paint(s, layout.ident)}/>'
                   f'<text x="{layout.x(BAR + GAP)}" y="{_n(y + BAR - 2)}">{_text(s.name, layout.writer.rtl)}</text>')
        y += ROW
    return y


def _row(layout: _Layout, series: list[_Series], index: int, label: str, short: str, out: list[str],
         y: float) -> None:
    """Write one row's group: its full label and values as its title, its label, and each series' bar and value."""
    said = ", ".join(s.texts[index] for s in series)  # in the legend's order
    out.append(f"<g><title>{_text(label, layout.writer.rtl)}: {escape(said)}</title>")
    baseline = y + layout.row / 2 + FONT * 0.35
    out.append(f'<text x="{layout.x(layout.label_room - GAP)}" y="{_n(baseline)}"'
               f' text-anchor="end">{_text(short, layout.writer.rtl)}</text>')
    bar_y = y + (layout.row - layout.bar * len(series)) / 2
    for s in series:
        amount, length = s.amounts[index], 0.0
        if amount is not None and layout.top > 0:
            length = layout.room * min(max(amount, 0.0), layout.top) / layout.top
        if length > 0:
            out.append(f'<rect x="{layout.x(layout.label_room, length)}" y="{_n(bar_y)}"'
                       f' width="{_n(length)}" height="{layout.bar}"{_paint(s, layout.ident)}/>')
        text_y = bar_y + layout.bar / 2 + FONT * 0.35 if len(series) > 1 else baseline
        out.append(f'<text x="{layout.x(layout.label_room + length + GAP)}" y="{_n(text_y)}">'
                   f"{escape(s.texts[index])}</text>")
        bar_y += layout.bar
    out.append("</g>")


def _svg(table: Table, ident: str, writer: _Writer, series: list[_Series], body: list[str], height: float) -> str:
    """Wrap a chart's body in its ``<svg>``, named by the table's title and description."""
    named = f"{ident}t {ident}d" if table.description else f"{ident}t"
    direction = ' direction="rtl"' if writer.rtl else ""
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {_n(height)}"'
            f' role="img" aria-labelledby="{named}" font-size="{FONT}" fill="{INK}"{direction}>',
            f'<title id="{ident}t">{escape(_clean(table.title))}</title>']
    if table.description:
        head.append(f'<desc id="{ident}d">{escape(_clean(table.description))}</desc>')
    if any(s.hatch for s in series):
        colour = next(s.colour for s in series if s.hatch)
        head.append(f'<defs><pattern id="{ident}h" width="6" height="6" patternUnits="userSpaceOnUse"'
                    f' patternTransform="rotate(45)"><path d="M0 0v6" stroke="{colour}" stroke-width="4"/>'
                    f"</pattern></defs>")
    return "".join(head + body) + "</svg>"


def _paint(series: _Series, ident: str) -> str:
    """The fill of a series' bars: plain, or hatched and outlined so that it differs in more than colour."""
    if series.hatch:
        return f' fill="url(#{ident}{series.hatch})" stroke="{series.colour}"'
    return f' fill="{series.colour}"'


def _value_kind(table: Table, key: str) -> str:
    kind = table.columns[_index(table, key)].kind
    if kind == "text":
        raise ValueError(f"column {key!r} holds text, which a chart cannot draw to scale")
    return kind


def _index(table: Table, key: str) -> int:
    try:
        return table.column(key)
    except StopIteration:
        raise ValueError(f"the table {table.title!r} has no column {key!r}") from None


def _rows(table: Table, label_key: str, writer: _Writer) -> list[tuple[str, list]]:
    """Each row with its label written out: text as it is, numbers the reader's way."""
    at = _index(table, label_key)
    kind = table.columns[at].kind
    return [(writer.value(cells[at], kind) if kind != "text" else _label(cells[at]), cells) for cells in table.rows]


def _label(cell: Any) -> str:
    if isinstance(cell, Suppressed):
        return str(cell)
    return NO_VALUE if cell is None else _clean(str(cell))


def _amount(cell: Any) -> float | None:
    """The number a cell is drawn to, or None when it has none (suppressed, empty, not a finite number)."""
    if isinstance(cell, bool) or not isinstance(cell, (int, float)):
        return None
    return float(cell) if math.isfinite(cell) else None


def _shorten(label: str) -> str:
    """Cut a label to :data:`MAX_LABEL` characters with "…", never between a letter and its marks."""
    if len(label) <= MAX_LABEL:
        return label
    end = MAX_LABEL - 1
    while end > 0 and unicodedata.combining(label[end]):
        end -= 1
    return label[:end].rstrip() + ELLIPSIS


def _clean(text: str) -> str:
    """Drop the characters XML cannot hold (control characters), which no name needs."""
    return _NOT_XML.sub("", text)


def _text(label: str, rtl: bool) -> Markup:
    """A label as escaped text, isolated when its own direction could reorder the text around it.

    An English name ending in ")" in an Arabic chart would otherwise show its parenthesis on the wrong side.
    """
    label = _clean(label)
    if any(unicodedata.bidirectional(c) in (_LEFT_TO_RIGHT if rtl else _RIGHT_TO_LEFT) for c in label):
        label = ISOLATE + label + POP_ISOLATE
    return escape(label)


def _ident(table: Table, chart: str, keys: tuple[str, ...]) -> str:
    """An id prefix, the same for the same chart, that differs between the charts of one page."""
    seed = repr((chart, keys, table.name, table.title, table.description,
                 [(c.key, c.label, c.kind) for c in table.columns], table.rows))
    return "c" + hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:6]


def _n(value: float) -> str:
    """Write a coordinate with at most one decimal, the same way every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
