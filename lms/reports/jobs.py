"""Per-learner exports written in the background: one row a learner is too large to write while the reader waits.

An export is asked for on the web (:func:`ask`), which keeps a :class:`~.models.ReportExport` row, queued. A
thread the request starts writes it (:func:`start`), or, where the thread is turned off
(PASSERELLE_EXPORTS_IN_BACKGROUND=0), ``passerelle reports exports`` does (:func:`write_due`). Writing claims the
row (queued -> running), writes the table in the language of whoever asked, and keeps the file in the row (ready)
or the reason it could not be written (failed), so that any app server hands it over. A row left running longer
than :data:`STALE` was cut short (a server restarted) and is written again by the command, or, where the app's
threads write exports, when whoever asked for it next opens the exports page or asks for another
(:func:`resume`), as is a row left queued longer than :data:`LOST` (the server restarted before its thread started).
"""

from __future__ import annotations

import datetime as dt
import threading
from urllib.parse import parse_qsl, urlencode

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, defer
from werkzeug.datastructures import MultiDict

from authoring.locales import is_rtl

from ..models import Course, User, as_utc, utcnow
from ..services import catalog
from . import exports, indicators
from .indicators import Filters, Scope
from .models import ReportExport
from .tables import Column, Table

QUEUED, RUNNING, READY, FAILED = "queued", "running", "ready", "failed"
#: The formats, by extension, with the type each is served as.
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: Exports one person may wait for at once: each is a few seconds of a server's time.
MAX_PENDING = 3
#: How long an export may be being written before it counts as cut short and is written again.
STALE = dt.timedelta(minutes=15)
#: How long an export may stay queued, where the app's threads write exports, before it counts as lost: its thread
#: starts within a second of its row being saved, unless the server stopped in between.
LOST = dt.timedelta(minutes=1)
#: How long an export is kept: older ones are deleted when someone asks for a new one.
KEPT = dt.timedelta(days=7)


class TooManyPending(Exception):
    """The person already waits for :data:`MAX_PENDING` exports."""


class ExportFailed(Exception):
    """An export that cannot be written, with the reason to show whoever asked (in their language)."""


def in_background(config) -> bool:
    """Whether a request that asks for an export starts a thread that writes it (PASSERELLE_EXPORTS_IN_BACKGROUND)."""
    return str(config.get("EXPORTS_IN_BACKGROUND", "1")).strip().lower() in {"1", "true", "yes", "on"}


def _is_pending(now: dt.datetime):
    """SQL condition: the export is still to be written and no one has given up on it."""
    return or_(ReportExport.status == QUEUED,
               and_(ReportExport.status == RUNNING, ReportExport.started >= now - STALE))


def _is_due(now: dt.datetime):
    """SQL condition: the export is for the command to write: queued, or cut short while being written."""
    return or_(ReportExport.status == QUEUED,
               and_(ReportExport.status == RUNNING,
                    or_(ReportExport.started.is_(None), ReportExport.started < now - STALE)))


def _is_lost(now: dt.datetime):
    """SQL condition: the export waits for a thread that will never write it: queued for longer than :data:`LOST`,
    or cut short while being written."""
    return or_(and_(ReportExport.status == QUEUED, ReportExport.requested < now - LOST),
               and_(ReportExport.status == RUNNING,
                    or_(ReportExport.started.is_(None), ReportExport.started < now - STALE)))


def pending(export: ReportExport, now: dt.datetime | None = None) -> bool:
    """Whether ``export`` is queued or being written (and not for so long that it was cut short)."""
    now = now or utcnow()
    return export.status == QUEUED or (export.status == RUNNING and export.started is not None
                                       and as_utc(export.started) >= now - STALE)


def filters_of(export: ReportExport) -> Filters:
    """The report's filters the export was asked with."""
    return Filters.from_args(MultiDict(parse_qsl(export.filters or "", keep_blank_values=False)))


def ask(session: Session, course: Course, user: User, *, extension: str, filters: Filters, identified: bool,
        language: str, now: dt.datetime | None = None) -> ReportExport:
    """Queue an export of ``course``'s learners for ``user``, in ``language``; delete exports older than
    :data:`KEPT`.  Raise :class:`TooManyPending` if ``user`` already waits for :data:`MAX_PENDING`."""
    if extension not in MIMETYPES:
        raise ValueError(f"{extension!r} is not a format of exports")
    now = now or utcnow()
    session.execute(delete(ReportExport).where(ReportExport.requested < now - KEPT),
                    execution_options={"synchronize_session": False})
    waiting = session.scalar(select(func.count()).select_from(ReportExport).where(
        ReportExport.requested_by_id == user.id, _is_pending(now)))
    if waiting >= MAX_PENDING:
        raise TooManyPending(waiting)
    export = ReportExport(course_id=course.id, requested_by_id=user.id, identified=identified, extension=extension,
                          filters=urlencode(filters.args()), language=language, status=QUEUED, requested=now,
                          filename="", error="")
    session.add(export)
    session.flush()
    return export


def of_requester(session: Session, course: Course, user: User, limit: int = 100) -> list[tuple[ReportExport, int]]:
    """The exports ``user`` asked for of ``course``, newest first, each with its file's size in bytes (the files
    themselves left unread)."""
    return [(export, size or 0) for export, size in session.execute(
        select(ReportExport, func.length(ReportExport.data)).options(defer(ReportExport.data))
        .where(ReportExport.course_id == course.id, ReportExport.requested_by_id == user.id)
        .order_by(ReportExport.requested.desc(), ReportExport.id.desc()).limit(limit))]


# -- writing ----------------------------------------------------------------------------------------------------


def start(app, export_id: int, *, claimed: bool = False) -> threading.Thread:
    """Write an export in a thread of its own, with its own application context and database session; ``claimed``
    if the caller has already claimed it (:func:`resume`)."""

    def run() -> None:
        from ..db import get_db

        with app.app_context():
            try:
                if claimed:
                    _write_claimed(get_db(), export_id)
                else:
                    write(get_db(), export_id)
            except Exception:  # the request that started it has answered: the log is the only one to tell
                app.logger.exception("the export %s was not written", export_id)

    thread = threading.Thread(target=run, name=f"passerelle-export-{export_id}", daemon=True)
    thread.start()
    return thread


def write_due(session: Session, now: dt.datetime | None = None) -> dict[str, int]:
    """Write every export queued or cut short (as ``passerelle reports exports`` does); count them by outcome."""
    ids = list(session.scalars(select(ReportExport.id).where(_is_due(now or utcnow())).order_by(ReportExport.id)))
    session.commit()
    outcomes = {READY: 0, FAILED: 0}
    for export_id in ids:
        status = write(session, export_id, now=now)
        if status in outcomes:
            outcomes[status] += 1
    return outcomes


def resume(app, session: Session, user: User, now: dt.datetime | None = None) -> list[int]:
    """Write again, each in a thread, the exports ``user`` asked for that a restarted server left behind: queued for
    longer than :data:`LOST`, or cut short.  Each is claimed here, as :func:`write` claims, so that of this, another
    request and the command, one writes it; return the ids claimed (and started)."""
    now = now or utcnow()
    ids = list(session.scalars(select(ReportExport.id).where(ReportExport.requested_by_id == user.id, _is_lost(now))
                               .order_by(ReportExport.id).limit(MAX_PENDING)))
    session.commit()
    claimed = [export_id for export_id in ids if _claim(session, export_id, now)]
    for export_id in claimed:
        start(app, export_id, claimed=True)
    return claimed


def _claim(session: Session, export_id: int, now: dt.datetime) -> bool:
    """Mark the export as being written, if it is still due: of two writers (a thread, the command), one has it."""
    claimed = session.execute(
        update(ReportExport).where(ReportExport.id == export_id, _is_due(now))
        .values(status=RUNNING, started=now, error=""), execution_options={"synchronize_session": False})
    session.commit()
    return claimed.rowcount == 1


def write(session: Session, export_id: int, now: dt.datetime | None = None) -> str | None:
    """Write one export, if it is still due; return its status then (ready or failed), or None if it was not due.

    Needs an application context (the pseudonyms' key is in the instance folder; the headings are translated).
    """
    if not _claim(session, export_id, now or utcnow()):
        return None
    return _write_claimed(session, export_id)


def _write_claimed(session: Session, export_id: int) -> str | None:
    """Write one export this writer has claimed; return its status then, or None if it was deleted meanwhile."""
    export = session.get(ReportExport, export_id)
    if export is None:  # deleted in the meantime (its course, or whoever asked)
        return None
    with force_locale(export.language):
        try:
            data, filename = _render(session, export)
        except Exception as exc:
            session.rollback()
            if isinstance(exc, ExportFailed):
                reason = str(exc)
            else:
                current_app.logger.exception("the export %s of %s failed", export_id, export.course_id)
                reason = _("Something went wrong while writing it; the reason is in the platform's log.")
            session.execute(update(ReportExport).where(ReportExport.id == export_id).values(
                status=FAILED, finished=utcnow(), error=reason[:1000]),
                execution_options={"synchronize_session": False})
            session.commit()
            return FAILED
    export.data, export.filename, export.status, export.finished = data, filename, READY, utcnow()
    session.commit()
    return READY


def _render(session: Session, export: ReportExport) -> tuple[bytes, str]:
    """The export's file and its name, as whoever asked may still have it."""
    course = session.get(Course, export.course_id)
    user = session.get(User, export.requested_by_id)
    if not user.is_active or not user.has_role("analyst", "admin"):
        raise ExportFailed(_("Only analysts and admins export learners."))
    if export.identified and not user.has_role("admin"):
        raise ExportFailed(_("Only admins download learners' names; analysts get them pseudonymised."))
    key = exports.pseudonym_key(current_app.config["INSTANCE_PATH"])
    table = learners_table(session, course, filters_of(export), Scope.of(session, user), export.identified,
                           export.language, key)
    name = f"{course.slug}-{table.name}"
    if export.extension == "csv":
        data = exports.to_csv(table)
    else:
        if len(table.rows) + 1 > exports.MAX_ROWS:
            raise ExportFailed(_("Too many learners for one Excel sheet: ask for the export as CSV."))
        data = exports.to_xlsx([table], rtl=is_rtl(export.language), about=exports.About().translated(_))
    return data, exports.filename(name, export.extension, dt.date.today())


def learners_table(session: Session, course: Course, filters: Filters, scope: Scope, identified: bool,
                   language: str, key: bytes) -> Table:
    """One row a learner, pseudonymised (a keyed hash of the actor id, the same in every export) unless
    ``identified``: for analysts who work in Excel, SPSS or R.  Headings in the current locale's words,
    module titles in ``language`` where the course has it."""
    edition = catalog.edition(course.current, language)
    columns = [Column("learner", _("Learner"))]
    if identified:
        columns += [Column("username", _("Username")), Column("name", _("Name"))]
    columns += [Column("sex", _("Sex")), Column("country", _("Country")), Column("institution", _("Institution")),
                Column("language", _("Language")), Column("cohort", _("Cohort")), Column("enrolled", _("Enrolled")),
                Column("trained", _("Trained")), Column("completed", _("Completed the course")),
                Column("pre", _("Pre-test"), "score"), Column("post", _("Post-test"), "score")]
    for module in edition.modules:
        columns += [Column(f"{module.slug}-completed", _("%(module)s: completed", module=module.title)),
                    Column(f"{module.slug}-score", _("%(module)s: best score", module=module.title), "score")]
    rows = []
    for row in indicators.learners(session, course, filters, scope):
        cells = [exports.pseudonym(key, row["actor_id"])]
        if identified:
            cells += [row["username"], row["display_name"]]
        cells += [row["gender"], row["country"], row["institution"], row["language"], row["cohort"],
                  _day(row["enrolled"]), _day(row["trained"]), _day(row["completed"]), row["pre"], row["post"]]
        for module in edition.modules:
            done = row["modules"].get(module.slug)
            cells += [_day(done.completed) if done else None, done.best_score if done else None]
        rows.append(cells)
    return Table(_("Learners"), columns, rows, name="learners-identified" if identified else "learners",
                 description=_("One row a learner: profile, cohort, the course's dates (YYYY-MM-DD, UTC), the "
                               "pre/post scores and each module's completion date and best score."))


def _day(moment: dt.datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None
