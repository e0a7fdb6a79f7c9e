"""Report tables as files to download: CSV for R, SPSS and Python, XLSX for Excel; learners under pseudonyms.

Both files carry the same numbers, unformatted and rounded to four decimal places: a share or a score is a
decimal between 0 and 1 (0.734), which every tool reads as a number, where "73.4%" would be text to R and SPSS.
XLSX shows them as percentages through number formats, so the value underneath stays the decimal.

Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) is
neutralised, since names and answers in the tables come from learners (OWASP, "CSV injection").
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import math
import numbers
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from authoring.locales import N_
from lms.reports.tables import Suppressed, Table

from ..config import write_secret_once

#: The decimal places kept of a share, a score or a number: finer than any survey can measure.
PLACES = 4
#: How each kind of column is shown in Excel; the cell holds the plain number.
NUMBER_FORMATS = {"count": "0", "share": "0.0%", "score": "0.0%", "number": "0.00"}
#: The pseudonym key's file in the instance folder, apart from the app's secret so that either can change alone.
KEY_FILE = "reports-pseudonym-key"
KEY_BYTES = 32

#: Excel's limits: longer text is cut, larger tables are refused rather than written into a file Excel rejects.
MAX_CELL_TEXT = 32_767
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_SHEET_NAME = 31
#: Column widths in characters, fitted to the longest value between these bounds.
MIN_WIDTH, MAX_WIDTH = 8, 60

# The workbook's creation and modification times, fixed so that the same tables make the same bytes.
_FIXED_TIME = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 (and so XLSX) cannot hold; they mean nothing in a report, so they are dropped everywhere.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_NOT_FILENAME = re.compile(r"[^A-Za-z0-9]+")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")


@dataclass(frozen=True)
class About:
    """The headings of the workbook's last sheet, which says what each sheet shows, in the reader's language."""

    name: str = N_("About")
    sheet: str = N_("Sheet")
    table: str = N_("Table")
    description: str = N_("What it shows")

    def translated(self, gettext: Callable[[str], str]) -> About:
        """Return these headings translated by ``gettext`` (the view's, in the reader's language)."""
        return About(*(gettext(heading) for heading in (self.name, self.sheet, self.table, self.description)))


# -- cells ------------------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Return ``text`` without characters no spreadsheet can hold."""
    if text.isprintable():  # most cells: no control character, surrogate or non-character to look for
        return text
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def _is_formula(text: str) -> bool:
    return text.startswith(_FORMULA_START)


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is float or kind is int:
        return True
    return kind is not bool and isinstance(value, (numbers.Real, Decimal))


def _number(value: Any, kind: str) -> int | float | None:
    """Return a cell's number as written: a count whole, anything else rounded; None where there is no number."""
    if type(value) is int or isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        return None
    if kind == "count" and number.is_integer():
        return int(number)
    return round(number, PLACES) + 0.0  # + 0.0 turns -0.0 into 0.0


def _number_text(number: int | float) -> str:
    """Write a number as R, SPSS and Python read it: no exponent, no trailing zeros, at most four decimals."""
    if isinstance(number, int):
        return str(number)
    return f"{number:.{PLACES}f}".rstrip("0").rstrip(".")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if type(value) is str:
        text = _clean(value)
        return "'" + text if _is_formula(text) else text  # the quote makes Excel and LibreOffice take it as text
    if isinstance(value, Suppressed):
        return str(value)
    if _is_number(value):
        number = _number(value, kind)
        return "" if number is None else _number_text(number)
    text = _clean(str(value))
    return "'" + text if _is_formula(text) else text  # the quote makes Excel and LibreOffice take it as text


def _check(table: Table) -> None:
    width = len(table.columns)
    for number, row in enumerate(table.rows, start=1):
        if len(row) != width:
            raise ValueError(f"Row {number} of the table {table.title!r} has {len(row)} cells for {width} columns.")


# -- CSV --------------------------------------------------------------------------------------------------------


def to_csv(table: Table) -> bytes:
    """Return ``table`` as a CSV file: UTF-8 with a byte order mark, a header of column labels, CRLF lines."""
    _check(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_csv_cell(column.label, "text") for column in table.columns)
    kinds = [column.kind for column in table.columns]
    for row in table.rows:
        writer.writerow(_csv_cell(value, kind) for value, kind in zip(row, kinds))
    # The byte order mark is how Excel knows the file is UTF-8 and shows accents, Arabic and Cyrillic as written.
    return out.getvalue().encode("utf-8-sig")


# -- XLSX -------------------------------------------------------------------------------------------------------


def _units(text: str) -> int:
    """Excel counts a sheet name's length in UTF-16 units."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, units: int) -> str:
    text = text[:units]
    while _units(text) > units:
        text = text[:-1]
    return text.rstrip().rstrip("'")  # a sheet name cannot end with an apostrophe


def _sheet_names(titles: list[str]) -> list[str]:
    """Return a valid, distinct sheet name for each title: short, without []:*?/\\, unlike any other."""
    taken = {"history"}  # Excel keeps this name for itself
    names = []
    for title in titles:
        base = " ".join(_SHEET_FORBIDDEN.sub(" ", _clean(title)).split()).strip("'").strip() or "Sheet"
        name, copy = _fit(base, MAX_SHEET_NAME), 1
        while name.casefold() in taken:  # Excel compares sheet names whatever their case
            copy += 1
            suffix = f" ({copy})"
            name = _fit(base, MAX_SHEET_NAME - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _display(value: Any, kind: str) -> str:
    """Return a cell roughly as Excel shows it, to fit the column's width."""
    if _is_number(value):
        number = _number(value, kind)
        if number is None:
            return ""
        if kind in ("share", "score"):
            return f"{number * 100:.1f}%"
        return f"{number:.2f}" if kind == "number" else str(number)
    return "" if value is None else str(value)


def _width(text: str) -> int:
    """Return the width of the longest line of ``text``, counting wide (East Asian) characters twice."""
    if text.isascii() and text.isprintable():  # one line, no wide character
        return len(text)
    return max((sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line)
                for line in text.splitlines()), default=0)


def _cell(sheet, value: Any, kind: str):
    """``value`` as a sheet's row holds it: a number with its kind's format, or text that is never a formula.
    Plain text and empty cells go as they are; the rest as cells with their style (which cost more to make)."""
    if value is None:
        return None
    if _is_number(value):
        number = _number(value, kind)
        if number is None or kind not in NUMBER_FORMATS:
            return number
        cell = WriteOnlyCell(sheet, number)
        cell.number_format = NUMBER_FORMATS[kind]
        return cell
    text = _clean(str(value))[:MAX_CELL_TEXT]
    suppressed = isinstance(value, Suppressed) and kind != "text"
    if not _is_formula(text) and not suppressed and type(value) is str:
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # openpyxl would otherwise store text starting with "=" as a formula
    if _is_formula(text):
        # Excel's own mark of text typed after an apostrophe: shown as written, and still text once edited.
        cell.quotePrefix = True
    if suppressed:
        cell.alignment = Alignment(horizontal="right")  # in line with the numbers around it
    return cell


def _fill(sheet, headings: list[str], kinds: list[str], rows: list[list[Any]], *, freeze: str, rtl: bool,
          wrap: frozenset[int] = frozenset()) -> None:
    """Write a header row and the rows below it from A1, each column fitted to its content.

    The sheet is write-only (rows streamed, never kept as cells): what goes before its rows in the file (column
    widths, frozen panes, direction) is set first."""
    widths = [_width(heading) for heading in headings]
    for row in rows:
        for index, (value, kind) in enumerate(zip(row, kinds)):
            if value is not None:
                widths[index] = max(widths[index], _width(_display(value, kind)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = freeze
    sheet.sheet_view.rightToLeft = rtl or None
    if headings:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{len(rows) + 1}"
    bold = Font(bold=True)
    header = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, _clean(heading)[:MAX_CELL_TEXT])
        cell.data_type, cell.font = "s", bold
        if _is_formula(cell.value):
            cell.quotePrefix = True
        header.append(cell)
    sheet.append(header)
    wrapped = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        cells = [_cell(sheet, value, kind) for value, kind in zip(row, kinds)]
        for index in wrap:
            if not isinstance(cells[index], Cell):
                cells[index] = WriteOnlyCell(sheet, cells[index])
                if cells[index].value is not None:
                    cells[index].data_type = "s"
            cells[index].alignment = wrapped
        sheet.append(cells)


class _SteadyZip(zipfile.ZipFile):
    """A zip file whose entries all bear the same date, so that the same workbook makes the same bytes."""

    def writestr(self, name, data, compress_type=None, compresslevel=None):  # noqa: D102 -- ZipFile's
        if isinstance(name, str):
            name = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            name.compress_type = zipfile.ZIP_DEFLATED
            name.external_attr = 0o644 << 16
        super().writestr(name, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # noqa: D102 -- ZipFile's
        # openpyxl writes each sheet to a temporary file first, whose time ZipFile.write would keep.
        with open(filename, "rb") as file:
            self.writestr(arcname or Path(filename).name, file.read(), compress_type, compresslevel)


def to_xlsx(tables: list[Table], *, rtl: bool = False, about: About = About()) -> bytes:
    """Return ``tables`` as an Excel workbook: a sheet per table, and last a sheet saying what each one shows.

    Each sheet starts at A1 with a bold header row kept in view (with the first column too where it names the
    rows), so that it sorts, filters and pivots as it is. ``rtl`` lays the sheets out right to left, for Arabic.
    """
    for table in tables:
        _check(table)
        if len(table.rows) + 1 > MAX_ROWS or len(table.columns) > MAX_COLUMNS:
            raise ValueError(f"The table {table.title!r} is larger than an Excel sheet "
                             f"({MAX_ROWS} rows, {MAX_COLUMNS} columns); export it as CSV.")
    workbook = Workbook(write_only=True)  # rows streamed to the file: a fraction of the time and memory
    names = _sheet_names([table.title for table in tables] + [about.name])
    for table, name in zip(tables, names):
        sheet = workbook.create_sheet(name)
        kinds = [column.kind for column in table.columns]
        labelled = len(kinds) > 1 and kinds[0] == "text"
        _fill(sheet, [column.label for column in table.columns], kinds, table.rows, freeze="B2" if labelled else "A2",
              rtl=rtl)
    sheet = workbook.create_sheet(names[-1])
    _fill(sheet, [about.sheet, about.table, about.description], ["text"] * 3,
          [[name, table.title, table.description] for table, name in zip(tables, names)], freeze="A2", rtl=rtl,
          wrap=frozenset({2}))
    workbook.properties.creator = "Passerelle"
    out = io.BytesIO()
    with _SteadyZip(out, "w", zipfile.ZIP_DEFLATED) as archive:
        # ExcelWriter rather than Workbook.save, which stamps the time of saving into the file.
        workbook.properties.created = workbook.properties.modified = _FIXED_TIME
        ExcelWriter(workbook, archive).write_data()
    return out.getvalue()


# -- pseudonyms -------------------------------------------------------------------------------------------------


def pseudonym(key: bytes, actor_id: str) -> str:
    """Return the pseudonym of a learner: the same in every export made with ``key``, and useless without it.

    An HMAC-SHA256 of the actor's id cut to 64 bits: among a million learners the chance that two share a
    pseudonym is about one in 36 million (n² / 2⁶⁵). The "P-" keeps Excel from reading it as a number.
    """
    if len(key) < 16:
        raise ValueError("A pseudonym key has at least 16 bytes.")
    return "P-" + hmac.new(key, actor_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def pseudonymise(table: Table, key: bytes, column: str) -> Table:
    """Return a copy of ``table`` with each learner's id in ``column`` replaced by their pseudonym."""
    index = table.column(column)
    rows = [[pseudonym(key, str(value)) if i == index and value is not None else value for i, value in enumerate(row)]
            for row in table.rows]
    return replace(table, rows=rows)


def pseudonym_key(instance_path: str | Path) -> bytes:
    """Return the key of learners' pseudonyms, made in the instance folder on first use (readable by its owner only).

    Raise :class:`ValueError` if the file there does not hold a key.
    """
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_key(path)
    try:
        key = bytes.fromhex(path.read_text("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a key of {KEY_BYTES} bytes in hexadecimal; restore it from a backup "
                         f"(a new key changes every pseudonym), or move it away to have a new one made.")
    return key


def _create_key(path: Path) -> None:
    """Write a new key at ``path``, unless another process gets there first: then its key is the one kept."""
    # Hexadecimal, to copy to other servers and backups.
    write_secret_once(path, (secrets.token_hex(KEY_BYTES) + "\n").encode("ascii"))


# -- file names -------------------------------------------------------------------------------------------------


def filename(table_or_name: Table | str, extension: str, day: dt.date) -> str:
    """Return a file name for a download: the table's name in ASCII letters, digits and dashes, the day, the extension.

    Safe in a Content-Disposition header and on any file system; a name with no such characters becomes "report".
    """
    name = table_or_name.name if isinstance(table_or_name, Table) else str(table_or_name)
    extension = extension.lstrip(".").lower()
    if not _EXTENSION.match(extension):
        raise ValueError(f"{extension!r} is not a file name extension.")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")  # é -> e
    slug = _NOT_FILENAME.sub("-", ascii_name).strip("-").lower()[:80].rstrip("-") or "report"
    return f"{slug}-{day.isoformat()}.{extension}"
