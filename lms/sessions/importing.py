"""A cohort's schedule imported from a CSV file: one live session a line, all or nothing.

Each line is scheduled by :func:`services.schedule`, so a file meets the same refusals as the
schedule form (a time the clocks skip, one that happens twice without ``occurrence``, outside the
cohort's dates, not a live module, a facilitator who is not a trainer of the cohort...).  Every
problem is listed with its line; when there is one, or for a dry run, the sessions the other lines
made are taken back before the caller sees them, so nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from authoring.locales import N_

from ..cohorts.models import Cohort, LiveSession
from ..csvfiles import CsvFileError, Problem, read_sheet
from ..models import User
from . import services

#: The columns of a schedule file, in the order of the documented example.
COLUMNS = ("module", "date", "start", "duration", "place", "meeting_url", "facilitators", "occurrence")
REQUIRED = ("module", "date", "start")
ALIASES = {"meeting url": "meeting_url", "meeting-url": "meeting_url", "link": "meeting_url", "time": "start"}
OCCURRENCES = {"first": 0, "second": 1}
MAX_BYTES = 1024 * 1024
MAX_ROWS = 500


@dataclass
class Planned:
    """A line of the file as it is (or would be) scheduled: its module and its start in UTC."""

    line: int
    module: str
    starts_at: dt.datetime
    duration: int


@dataclass
class Plan:
    """What the file schedules, and the problems that stop it."""

    sessions: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def import_schedule(session: Session, cohort: Cohort, data: bytes, dry_run: bool = False) -> Plan:
    """Check a CSV schedule for ``cohort`` and, unless ``dry_run`` or a line has a problem, schedule every line.

    The sessions are added to the caller's transaction: the caller commits them all. A file that
    cannot be read at all (too large, not UTF-8, too many lines) raises :class:`services.SessionError`.
    """
    try:
        sheet = read_sheet(data, COLUMNS, required="module", aliases=ALIASES, max_bytes=MAX_BYTES,
                           max_rows=MAX_ROWS,
                           header_message=N_("The first line must be the header, with a module column; the "
                                             "columns are %(columns)s."),
                           too_many_message=N_("The file has more than %(rows)s sessions; split it into several "
                                               "files."))
    except CsvFileError as exc:
        raise services.SessionError(exc.message, **exc.params) from None
    plan = Plan(problems=sheet.problems)
    missing = [name for name in REQUIRED if sheet.columns and name not in sheet.columns]
    if missing:
        plan.problems.append(Problem(1, N_("The header has no %(names)s column; the columns are %(columns)s."),
                                     {"names": ", ".join(missing), "columns": ", ".join(COLUMNS)}))
        return plan
    if not sheet.rows and not plan.problems:
        plan.problems.append(Problem(1, N_("The file has a header but no sessions.")))
    people = _accounts(session, sheet.rows)
    made: list[LiveSession] = []
    for line, values in sheet.rows:
        live = _schedule_line(session, cohort, plan, line, values, people)
        if live is not None:
            made.append(live)
            plan.sessions.append(Planned(line, live.module, services.utc(live.starts_at), live.duration))
    plan.problems.sort(key=lambda problem: problem.line)
    if plan.problems or dry_run:
        for live in made:  # take back what the good lines made: the file is imported whole or not at all
            cohort.sessions.remove(live)  # an orphan session is deleted at the flush
        session.flush()
    return plan


def _accounts(session: Session, rows) -> dict[str, User]:
    names = {name for _line, values in rows for name in values.get("facilitators", "").split()}
    return {user.username: user for user in session.scalars(select(User).where(User.username.in_(names)))} \
        if names else {}


def _schedule_line(session: Session, cohort: Cohort, plan: Plan, line: int, values: dict[str, str],
                   people: dict[str, User]) -> LiveSession | None:
    """Schedule one line, or add its problems to the plan and return None."""
    problems = []
    try:
        day = dt.date.fromisoformat(values.get("date", ""))
    except ValueError:
        problems.append((N_("%(value)s is not a date; write it as YYYY-MM-DD."), {"value": values.get("date", "")}))
    try:
        start = dt.time.fromisoformat(values.get("start", ""))
        if start.tzinfo is not None:
            raise ValueError
    except ValueError:
        problems.append((N_("%(value)s is not a time; write it as HH:MM, as the cohort's clocks show it."),
                         {"value": values.get("start", "")}))
    duration = None
    if values.get("duration"):
        try:
            duration = int(values["duration"])
        except ValueError:
            problems.append((N_("%(value)s is not a number of minutes."), {"value": values["duration"]}))
    occurrence = values.get("occurrence", "").casefold()
    if occurrence and occurrence not in OCCURRENCES:
        problems.append((N_("The occurrence is first or second, not %(value)s."), {"value": values["occurrence"]}))
    facilitators = []
    for username in values.get("facilitators", "").split():
        if username in people:
            facilitators.append(people[username])
        else:
            problems.append((N_("There is no account %(username)s."), {"username": username}))
    if not problems:
        try:
            # schedule() refuses before it adds anything: a refused line leaves the session as it was
            return services.schedule(session, cohort, values.get("module", ""), dt.datetime.combine(day, start), duration,
                                     values.get("place", ""), values.get("meeting_url", ""), facilitators,
                                     fold=OCCURRENCES.get(occurrence))
        except services.SessionError as exc:
            problems.append((exc.message, exc.params))
    plan.problems.extend(Problem(line, message, params) for message, params in problems)
    return None
