"""Bulk import of accounts from a CSV file as Excel and LibreOffice write it.

:func:`read_csv` checks a whole file and lists every problem with its line,
changing nothing (the dry run); :func:`apply` then creates or updates the
accounts, matched by username, in the caller's transaction, so the caller
commits all of them (and whatever it adds, such as enrolments) or none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from authoring.locales import INTERFACE_LANGUAGES, N_

from ..models import User
from .services import FIELD_NAMES, LIMITS, AccountError, check_field, countries, create_user, update_user

#: The columns a file may have, in the order of the documented example; only ``username`` is required.
COLUMNS = ("username", "name", "email", "country", "institution", "gender", "role", "language", "timezone")
#: Other spellings of column names that spreadsheets make.
ALIASES = {"e-mail": "email", "display name": "name", "display_name": "name", "time zone": "timezone"}
#: The account field each column fills.
FIELDS = {"name": "display_name"}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


@dataclass
class Problem:
    """Why a line of the file cannot be imported: an untranslated sentence and its parameters."""

    line: int
    message: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"line {self.line}: " + (self.message % self.params if self.params else self.message)


@dataclass
class Row:
    """One account of the file: its username, the fields it sets, and the account it updates (None: new)."""

    line: int
    username: str
    fields: dict[str, str]
    user: User | None = None


@dataclass
class Plan:
    """What an import would do, and the problems that stop it."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def new(self) -> int:
        return sum(1 for row in self.rows if row.user is None)

    @property
    def updated(self) -> int:
        return len(self.rows) - self.new


def read_csv(session: Session, data: bytes, language: str = "en") -> Plan:
    """Check a CSV file of accounts and return the plan, with every problem listed by line.

    Countries are two-letter codes, or names in ``language`` or English. A file that cannot be read at
    all (too large, not UTF-8) raises :class:`AccountError`.
    """
    if len(data) > MAX_BYTES:
        raise AccountError(N_("The file is larger than %(size)s MB; split it into several files."),
                           size=MAX_BYTES // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        raise AccountError(N_("The file is not UTF-8 (line %(line)s). In Excel, save it as “CSV UTF-8”; in "
                              "LibreOffice, choose the character set “Unicode (UTF-8)”."),
                           line=data[:exc.start].count(b"\n") + 1) from None
    plan = Plan()
    reader, header = _header(text, plan)
    if reader is None:
        return plan
    country_codes = {name.casefold(): code for lang in ("en", language)
                     for code, name in countries(lang).items()}
    seen: dict[str, int] = {}
    last = reader.line_num
    try:
        for cells in reader:
            line, last = last + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(plan.rows) + len(plan.problems) >= MAX_ROWS:
                raise AccountError(N_("The file has more than %(rows)s accounts; split it into several files."),
                                   rows=MAX_ROWS)
            _read_row(plan, line, header, cells, seen, country_codes)
    except csv.Error as exc:
        plan.problems.append(Problem(reader.line_num, N_("The line cannot be read as CSV (%(reason)s)."),
                                     {"reason": str(exc)}))
    if not plan.rows and not plan.problems:
        plan.problems.append(Problem(1, N_("The file has a header but no accounts.")))
    _match_accounts(session, plan)
    return plan


def _header(text: str, plan: Plan):
    """Find the separator from the header line (Excel writes ``;`` where the decimal mark is a comma)."""
    first = text.split("\n", 1)[0]
    for delimiter in (",", ";", "\t"):
        names = [cell.strip().casefold() for cell in next(csv.reader([first], delimiter=delimiter), [])]
        names = [ALIASES.get(name, name) for name in names]
        if "username" in names:
            break
    else:
        plan.problems.append(Problem(1, N_("The first line must be the header, with a username column; the "
                                           "columns are %(columns)s."), {"columns": ", ".join(COLUMNS)}))
        return None, []
    for number, name in enumerate(names):
        if name and name not in COLUMNS:
            plan.problems.append(Problem(1, N_("Unknown column %(name)s; the columns are %(columns)s."),
                                         {"name": name, "columns": ", ".join(COLUMNS)}))
        elif name and name in names[:number]:
            plan.problems.append(Problem(1, N_("The column %(name)s appears twice."), {"name": name}))
    if plan.problems:
        return None, []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)
    return reader, names


def _read_row(plan: Plan, line: int, header: list[str], cells: list[str], seen: dict[str, int],
              country_codes: dict[str, str]) -> None:
    problems = len(plan.problems)
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
        plan.problems.append(Problem(line, N_("The line has %(count)s cells; the header has %(columns)s."),
                                     {"count": len(cells), "columns": len(header)}))
        return
    values = {name: cell.strip() for name, cell in zip(header, cells) if name}
    username = values.pop("username", "")
    if not username:
        plan.problems.append(Problem(line, N_("A username is required.")))
    elif len(username) > LIMITS["username"]:
        plan.problems.append(Problem(line, N_("%(field)s: at most %(limit)s characters."),
                                     {"field": FIELD_NAMES["username"], "limit": LIMITS["username"]}))
    elif username.casefold() in seen:
        plan.problems.append(Problem(line, N_("The username %(username)s is already on line %(first)s."),
                                     {"username": username, "first": seen[username.casefold()]}))
    else:
        seen[username.casefold()] = line
    fields = {}
    for column, value in values.items():
        if not value:
            continue  # an empty cell keeps what an existing account has, or the default
        if column == "country" and len(value) != 2:
            if value.casefold() not in country_codes:
                plan.problems.append(Problem(line, N_("Unknown country %(value)s; write its two-letter ISO code "
                                                      "or its name."), {"value": value}))
                continue
            value = country_codes[value.casefold()]
        elif column == "gender":
            value = value.casefold().replace(" ", "_").replace("-", "_")
        elif column == "language":
            value = {name.casefold(): code for code, name in INTERFACE_LANGUAGES.items()}.get(value.casefold(),
                                                                                             value.casefold())
        elif column == "role":
            value = value.casefold()
        name = FIELDS.get(column, column)
        try:
            fields[name] = check_field(name, value)
        except AccountError as exc:
            plan.problems.append(Problem(line, exc.message, exc.params))
    if len(plan.problems) == problems:
        plan.rows.append(Row(line, username, fields))


def _match_accounts(session: Session, plan: Plan) -> None:
    """Find the accounts the file updates, a few hundred usernames per query."""
    names = [row.username for row in plan.rows]
    found = {}
    for start in range(0, len(names), 500):
        found.update((user.username, user) for user in
                     session.scalars(select(User).where(User.username.in_(names[start:start + 500]))))
    for row in plan.rows:
        row.user = found.get(row.username)


def apply(session: Session, plan: Plan) -> list[tuple[User, bool]]:
    """Create or update the accounts of a plan without problems; return (account, created) for each.

    Nothing is committed: the caller commits once, so the import is all or nothing.
    """
    if plan.problems:
        raise AccountError(N_("The file has problems; nothing was imported."))
    done = []
    for row in plan.rows:
        if row.user is not None:
            done.append((update_user(session, row.user, **row.fields), False))
        else:
            fields = dict(row.fields)
            user = create_user(session, row.username, None, fields.pop("role", "learner"),
                               fields.pop("display_name", ""), **fields)
            done.append((user, True))
    return done
