"""Bulk import of accounts from a CSV file as Excel and LibreOffice write it.

:func:`read_csv` checks a whole file and lists every problem with its line,
changing nothing (the dry run); :func:`apply` then creates or updates the
accounts, matched by username, in the caller's transaction, so the caller
commits all of them (and whatever it adds, such as enrolments) or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from authoring.locales import INTERFACE_LANGUAGES, N_

from ..csvfiles import CsvFileError, Problem, read_sheet
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
    try:
        sheet = read_sheet(data, COLUMNS, required="username", aliases=ALIASES, max_bytes=MAX_BYTES,
                           max_rows=MAX_ROWS,
                           header_message=N_("The first line must be the header, with a username column; the "
                                             "columns are %(columns)s."),
                           too_many_message=N_("The file has more than %(rows)s accounts; split it into several "
                                               "files."))
    except CsvFileError as exc:
        raise AccountError(exc.message, **exc.params) from None
    plan = Plan(problems=sheet.problems)
    country_codes = {name.casefold(): code for lang in ("en", language)
                     for code, name in countries(lang).items()}
    seen: dict[str, int] = {}
    for line, values in sheet.rows:
        _read_row(plan, line, values, seen, country_codes)
    plan.problems.sort(key=lambda problem: problem.line)
    if not plan.rows and not plan.problems:
        plan.problems.append(Problem(1, N_("The file has a header but no accounts.")))
    _match_accounts(session, plan)
    return plan


def _read_row(plan: Plan, line: int, values: dict[str, str], seen: dict[str, int],
              country_codes: dict[str, str]) -> None:
    problems = len(plan.problems)
    values = dict(values)
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
