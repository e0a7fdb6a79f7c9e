"""Reading CSV files as Excel and LibreOffice write them, for every import of the LMS.

UTF-8 with or without a byte order mark, ``,`` or ``;`` (or a tab) as found on the header line, and
each row with its line number, so that an import can list every problem by line.  Messages are
marked for translation and formatted with their parameters where they are shown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from authoring.locales import N_


class CsvFileError(ValueError):
    """The file cannot be read at all: ``message`` (marked for translation) % ``params`` says why."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)


@dataclass
class Problem:
    """Why a line of the file cannot be imported: an untranslated sentence and its parameters."""

    line: int
    message: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"line {self.line}: " + (self.message % self.params if self.params else self.message)


@dataclass
class Sheet:
    """A file's rows, ``(line, {column: stripped cell})`` without blank lines, and the problems met reading it."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # the header's column names, as given
    problems: list[Problem] = field(default_factory=list)


def read_sheet(data: bytes, columns: Sequence[str], *, required: str, header_message: str,
               aliases: Mapping[str, str] | None = None, max_bytes: int, max_rows: int,
               too_many_message: str) -> Sheet:
    """Read a CSV file whose header names some of ``columns``, ``required`` among them.

    ``header_message`` (with ``%(columns)s``) is the problem of a file without that header;
    ``too_many_message`` (with ``%(rows)s``) is raised past ``max_rows`` rows.  A file that cannot be
    read at all (larger than ``max_bytes``, not UTF-8, too many rows) raises :class:`CsvFileError`.
    """
    if len(data) > max_bytes:
        raise CsvFileError(N_("The file is larger than %(size)s MB; split it into several files."),
                           size=max_bytes // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        raise CsvFileError(N_("The file is not UTF-8 (line %(line)s). In Excel, save it as “CSV UTF-8”; in "
                              "LibreOffice, choose the character set “Unicode (UTF-8)”."),
                           line=data[:exc.start].count(b"\n") + 1) from None
    sheet = Sheet()
    aliases = aliases or {}
    first = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):  # Excel writes ";" where the decimal mark is a comma
        names = [cell.strip().casefold() for cell in next(csv.reader([first], delimiter=delimiter), [])]
        names = [aliases.get(name, name) for name in names]
        if required in names:
            break
    else:
        sheet.problems.append(Problem(1, header_message, {"columns": ", ".join(columns)}))
        return sheet
    for number, name in enumerate(names):
        if name and name not in columns:
            sheet.problems.append(Problem(1, N_("Unknown column %(name)s; the columns are %(columns)s."),
                                          {"name": name, "columns": ", ".join(columns)}))
        elif name and name in names[:number]:
            sheet.problems.append(Problem(1, N_("The column %(name)s appears twice."), {"name": name}))
    if sheet.problems:
        return sheet
    sheet.columns = [name for name in names if name]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    last, count = reader.line_num, 0
    try:
        for cells in reader:
            line, last = last + 1, reader.line_num  # a quoted cell may span lines: a row starts after the last
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > max_rows:
                raise CsvFileError(too_many_message, rows=max_rows)
            if len(cells) > len(names) and any(cell.strip() for cell in cells[len(names):]):
                sheet.problems.append(Problem(line, N_("The line has %(count)s cells; the header has %(columns)s."),
                                              {"count": len(cells), "columns": len(names)}))
                continue
            sheet.rows.append((line, {name: cell.strip() for name, cell in zip(names, cells) if name}))
    except csv.Error as exc:
        sheet.problems.append(Problem(reader.line_num, N_("The line cannot be read as CSV (%(reason)s)."),
                                      {"reason": str(exc)}))
    return sheet
