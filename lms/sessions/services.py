"""Live sessions: scheduled in the cohort's time zone, kept in UTC, put in calendars, and attendance recorded.

Each attendance mark is an xAPI statement the LMS records under its own
authority; the ``Attendance`` row is its projection, updated in the same
transaction.  Attending a live module completes it: a mark the course's ``live_completion``
names, present or late by default.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from authoring import model
from authoring.locales import N_
from xapi.store import store_statements

from ..cohorts import services as cohorts
from ..cohorts.models import ATTENDANCE, ATTENDED, Attendance, Cohort, LiveSession, session_facilitator
from ..models import Enrolment, User, utcnow
from ..models import as_utc as utc  # noqa: F401  (lms.sessions.importing uses services.utc)
from ..services import NotFound, by_id, catalog, learning

ATTENDED_VERB = "http://adlnet.gov/expapi/verbs/attended"
MEETING = "http://adlnet.gov/expapi/activities/meeting"
MAX_DURATION = 24 * 60  # minutes
MAX_REMARK = 500
FEED_SALT = "passerelle.sessions.calendar-feed"


class SessionError(ValueError):
    """A session cannot be scheduled or marked as asked: ``message`` (marked for translation) % ``params`` says why."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)


class AmbiguousTime(SessionError):
    """A wall time that happens twice, as the clocks go back: which one is meant must be said."""


def vocabulary(home_page: str) -> str:
    """The platform's own xAPI vocabulary, for what ADL's has no word for (see the README)."""
    return f"{home_page}xapi-vocabulary/"


def absent_verb(home_page: str) -> str:
    """The verb of a learner who did not attend a session: absent, or excused as the status extension says.

    ``attended`` with ``result.success`` false would still be counted as attendance by any reader that
    filters on the verb, so not attending gets a verb of its own: a reader asking who attended
    (verb ``attended``) gets exactly the present and the late, and the status extension tells
    ``absent`` from ``excused``.
    """
    return f"{vocabulary(home_page)}verbs/absent"


def status_extension(home_page: str) -> str:
    """``result.extensions`` key of the attendance status: present, late, excused or absent."""
    return f"{vocabulary(home_page)}extensions/attendance-status"


def remark_extension(home_page: str) -> str:
    return f"{vocabulary(home_page)}extensions/attendance-remark"


def marked_by_extension(home_page: str) -> str:
    """``context.extensions`` key of the account of the trainer who made the mark."""
    return f"{vocabulary(home_page)}extensions/marked-by"


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone called ``name``; raise :class:`SessionError` if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SessionError(N_("“%(zone)s” is not a time zone."), zone=name) from None


def to_utc(local: dt.datetime, zone_name: str, fold: int | None = None) -> dt.datetime:
    """Read a wall time of ``zone_name`` as UTC, refusing one that does not exist or that happens twice.

    A wall time in a daylight-saving gap (clocks jump over it) does not exist; one in an overlap
    (clocks go back over it) happens twice and needs ``fold``: 0 for the first, 1 for the second.
    Both are found by reading the time with fold 0 and 1: they differ only in a gap or an overlap.
    """
    tz = zone(zone_name)
    local = local.replace(tzinfo=None)
    first, second = (local.replace(tzinfo=tz, fold=f).astimezone(dt.timezone.utc) for f in (0, 1))
    if first == second:
        return first
    if first.astimezone(tz).replace(tzinfo=None) != local:
        raise SessionError(N_("%(time)s does not exist in %(zone)s: the clocks skip it when daylight-saving time "
                              "changes. Choose another time."), time=f"{local:%Y-%m-%d %H:%M}", zone=zone_name)
    if fold not in (0, 1):
        offsets = [local.replace(tzinfo=tz, fold=f).strftime("UTC%z") for f in (0, 1)]
        raise AmbiguousTime(N_("%(time)s happens twice in %(zone)s, as the clocks go back: say whether it is the "
                              "first (%(first)s) or the second (%(second)s)."), time=f"{local:%Y-%m-%d %H:%M}",
                           zone=zone_name, first=offsets[0], second=offsets[1])
    return second if fold else first


def edition_for(cohort: Cohort) -> model.Course:
    """The cohort's course in the cohort's language, where it is translated."""
    return catalog.edition(cohort.course.current, cohort.language)


def live_modules(cohort: Cohort) -> list[model.Module]:
    """The live modules of the cohort's course, in course order."""
    return [m for m in edition_for(cohort).modules if m.type == model.LIVE]


def schedule(session: Session, cohort: Cohort, module_slug: str, local_start: dt.datetime,
             duration: int | None = None, place: str = "", meeting_url: str = "",
             facilitators: Iterable[User] = (), fold: int | None = None) -> LiveSession:
    """Schedule a session of a live module for a cohort, starting at a wall time of the cohort's zone.

    ``duration`` (minutes) defaults to the module's; a session needs a place, an online-meeting link
    (http or https) or both; facilitators are trainers of the cohort or admins.
    """
    module = edition_for(cohort).module(module_slug)
    if module is None:
        raise SessionError(N_("The course has no module called “%(slug)s”."), slug=module_slug)
    if module.type != model.LIVE:
        raise SessionError(N_("“%(title)s” is a self-paced module: only live modules have sessions."),
                           title=module.title)
    starts_at = to_utc(local_start, cohort.timezone, fold)
    duration = module.duration if duration is None else duration
    if not 1 <= duration <= MAX_DURATION:
        raise SessionError(N_("A session lasts from 1 to %(most)s minutes."), most=MAX_DURATION)
    local_end = (starts_at + dt.timedelta(minutes=duration)).astimezone(zone(cohort.timezone))
    if local_start.date() < cohort.starts_on or local_end.date() > cohort.ends_on:
        raise SessionError(N_("The session must take place within the cohort's dates, from %(start)s to %(end)s "
                              "(%(zone)s)."), start=str(cohort.starts_on), end=str(cohort.ends_on),
                           zone=cohort.timezone)
    place, meeting_url = place.strip(), meeting_url.strip()
    if not place and not meeting_url:
        raise SessionError(N_("Give a place, an online-meeting link, or both."))
    if len(place) > 300:
        raise SessionError(N_("A place is at most 300 characters long."))
    if meeting_url:
        parts = urlsplit(meeting_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(meeting_url) > 1024:
            raise SessionError(N_("The online-meeting link must be an address starting with https:// or http://."))
    facilitators = list(dict.fromkeys(facilitators))
    for person in facilitators:
        if not cohorts.is_trainer(cohort, person):
            raise SessionError(N_("%(name)s is not a trainer of this cohort."), name=person.display_name)
    live = LiveSession(cohort=cohort, module=module.slug, starts_at=starts_at, duration=duration, place=place,
                       meeting_url=meeting_url, facilitators=facilitators)
    session.add(live)
    session.flush()
    return live


def get_session(session: Session, session_id: int) -> LiveSession:
    """Return the live session ``session_id``; raise :class:`NotFound` if there is none."""
    live = by_id(session, LiveSession, session_id)
    if live is None:
        raise NotFound(f"no live session {session_id}")
    return live


def session_iri(home_page: str, live: LiveSession) -> str:
    """The session's activity id: the object of its attendance statements."""
    return f"{home_page}sessions/{live.uuid}"


def ends_at(live: LiveSession) -> dt.datetime:
    return utc(live.starts_at) + dt.timedelta(minutes=live.duration)


def sessions_for_learner(session: Session, user: User) -> list[LiveSession]:
    """The sessions of the cohorts the user is enrolled in, soonest first."""
    return list(session.scalars(
        select(LiveSession).join(Enrolment, Enrolment.cohort_id == LiveSession.cohort_id)
        .where(Enrolment.user_id == user.id).order_by(LiveSession.starts_at, LiveSession.id)))


def sessions_for_calendar(session: Session, user: User) -> list[LiveSession]:
    """What a person's calendar holds: the sessions of their cohorts and those they facilitate."""
    facilitated = session.scalars(select(LiveSession).join(session_facilitator)
                                  .where(session_facilitator.c.user_id == user.id))
    return sorted({*sessions_for_learner(session, user), *facilitated}, key=lambda s: (utc(s.starts_at), s.id))


def may_see(session: Session, live: LiveSession, user: User) -> bool:
    """Whether ``user`` takes part in the session: a learner of its cohort, or one who can run it."""
    if cohorts.is_trainer(live.cohort, user):
        return True
    return session.scalar(select(Enrolment.id).where(Enrolment.user_id == user.id,
                                                     Enrolment.cohort_id == live.cohort_id)) is not None


# -- calendars ---------------------------------------------------------------

def feed_token(secret_key: str, user: User) -> str:
    """The secret of a person's calendar feed URL: their actor id, signed, so a calendar app needs no log-in."""
    return URLSafeSerializer(secret_key, salt=FEED_SALT).dumps(user.actor_id)


def user_for_feed(session: Session, secret_key: str, token: str) -> User:
    """Return the person a feed token was made for; raise :class:`NotFound` for a token not ours."""
    try:
        actor_id = URLSafeSerializer(secret_key, salt=FEED_SALT).loads(token)
    except BadSignature:
        raise NotFound("no calendar feed with this address") from None
    user = session.scalar(select(User).where(User.actor_id == str(actor_id)))
    if user is None or not user.is_active:
        raise NotFound("no calendar feed with this address")
    return user


def calendar(sessions: Iterable[LiveSession], home_page: str, link: Callable[[LiveSession], str],
             name: str = "Passerelle") -> bytes:
    """Return an iCalendar file (RFC 5545) of sessions: UID the session's uuid, times in UTC.

    ``link`` gives the address of a session's live module in the LMS, where its agenda is.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Passerelle//Live sessions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    stamp = utcnow().replace(microsecond=0)
    for live in sessions:
        edition = edition_for(live.cohort)
        module = edition.module(live.module)
        title = module.title if module else live.module
        event = icalendar.Event()
        event.add("uid", live.uuid)
        event.add("dtstamp", stamp)
        event.add("dtstart", utc(live.starts_at))
        event.add("dtend", ends_at(live))
        event.add("summary", f"{title} — {live.cohort.name}")
        if live.place:
            event.add("location", live.place)
        event.add("url", live.meeting_url or link(live))
        lines = [edition.title, live.cohort.name]
        if live.meeting_url:
            lines.append(live.meeting_url)
        lines.append(link(live))
        if live.facilitators:
            lines.append(", ".join(p.display_name for p in live.facilitators))
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    return cal.to_ical()


# -- attendance --------------------------------------------------------------

@dataclass
class SheetRow:
    """A learner of the cohort and their attendance as last marked (None: not marked yet)."""

    learner: User
    mark: Attendance | None


def sheet(session: Session, live: LiveSession) -> list[SheetRow]:
    """The attendance sheet of a session: every learner of the cohort, with their mark if any."""
    marks = {a.user_id: a for a in live.marks}
    return [SheetRow(user, marks.get(user.id)) for user in cohorts.learners(session, live.cohort)]


def mark(session: Session, live: LiveSession, marker: User, marks: dict[int, tuple[str, str]],
         home_page: str) -> list[Attendance]:
    """Record attendance marks ``{learner id: (status, remark)}`` by ``marker``; return the rows that changed.

    A mark equal to the one stored is left as it is (no statement).  Each other one becomes a
    statement under the LMS's authority, and replaces the learner's row, which then names the
    marker; a mark the course's ``live_completion`` names (present or late by default) completes
    the live module the first time, then the course when its rules are met.
    """
    if not cohorts.is_trainer(live.cohort, marker):
        raise SessionError(N_("Only a trainer of this cohort marks its attendance."))
    learners = {user.id: user for user in cohorts.learners(session, live.cohort)}
    current = {a.user_id: a for a in live.marks}
    now = utcnow()
    edition = edition_for(live.cohort)
    changed, statements, completing = [], [], []
    for user_id, (status, remark) in marks.items():
        remark = remark.strip()
        if user_id not in learners:
            raise SessionError(N_("One of the marks is for someone who is not a learner of this cohort."))
        if status not in ATTENDANCE:
            raise SessionError(N_("“%(status)s” is not an attendance status."), status=status[:20])
        if len(remark) > MAX_REMARK:
            raise SessionError(N_("A remark is at most %(most)s characters long."), most=MAX_REMARK)
        row = current.get(user_id)
        if row is not None and (row.status, row.remark) == (status, remark):
            continue
        learner = _learner(session, live, learners[user_id], home_page)
        statement = attendance_statement(live, learner, marker, status, remark)
        statements.append(statement)
        if row is None:
            row = Attendance(session=live, user=learners[user_id])
            session.add(row)
        row.status, row.remark, row.marked_by, row.marked_at = status, remark, marker, now
        row.statement_id = statement["id"]
        changed.append(row)
        if status in edition.live_completion:  # the course's choice: present and late unless it says otherwise
            completing.append(learner)
    if statements:
        store_statements(session, statements, learning.authority(home_page))
    module = edition.module(live.module)
    for learner in completing:
        if module is not None:
            learning.record_live_completion(session, learner, edition, module)
    session.flush()
    return changed


def _learner(session: Session, live: LiveSession, user: User, home_page: str) -> learning.Learner:
    """The user as a learner of the session's cohort: their registration, in the cohort's language."""
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                       Enrolment.cohort_id == live.cohort_id))
    return learning.enrolled_learner(enrolment, edition_for(live.cohort).text_language, home_page)


def attendance_statement(live: LiveSession, learner: learning.Learner, marker: User, status: str,
                         remark: str = "") -> dict:
    """The statement of a learner's attendance at a session.

    Present and late are ``attended`` with the session's duration; absent and excused are the
    platform's ``absent`` verb (:func:`absent_verb`).  The status (and any remark) is in
    ``result.extensions``; the facilitators are the instructor; the module is the parent; the
    course and the cohort group it; the trainer who marked it is in ``context.extensions``.
    """
    home_page = learner.home_page
    edition = edition_for(live.cohort)
    module = edition.module(live.module)
    language = edition.text_language
    module_title = module.title if module else live.module
    attended = status in ATTENDED
    result = {"extensions": {status_extension(home_page): status}}
    if remark:
        result["extensions"][remark_extension(home_page)] = remark
    if attended:
        result["duration"] = iso_duration(live.duration)
        result["completion"] = True
    context = {
        "registration": learner.registration,
        "language": language,
        "contextActivities": {
            "parent": [_activity(module.iri if module else f"{edition.iri}/{live.module}",
                                 "http://adlnet.gov/expapi/activities/module", module_title, language)],
            "grouping": [_activity(edition.iri, "http://adlnet.gov/expapi/activities/course", edition.title,
                                   language),
                         _activity(cohorts.cohort_iri(home_page, live.cohort), learning.cohort_type(home_page),
                                   live.cohort.name, language)],
        },
        "extensions": {marked_by_extension(home_page): _agent(home_page, marker)},
    }
    instructor = _instructor(home_page, live.facilitators)
    if instructor:
        context["instructor"] = instructor
    verb = ({"id": ATTENDED_VERB, "display": {"en-US": "attended"}} if attended
            else {"id": absent_verb(home_page), "display": {"en-US": "was absent from"}})
    return {
        "id": str(uuid.uuid4()),
        "actor": _agent(home_page, learner.actor_id),
        "verb": verb,
        "object": _activity(session_iri(home_page, live), MEETING, f"{module_title} — {live.cohort.name}", language),
        "result": result,
        "context": context,
        "timestamp": utc(live.starts_at).isoformat().replace("+00:00", "Z"),
    }


def iso_duration(minutes: int) -> str:
    """Return a number of minutes as an ISO 8601 duration: ``PT1H30M``."""
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes or not hours else "")


def _agent(home_page: str, who: User | str) -> dict:
    name = who if isinstance(who, str) else who.actor_id
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": name}}


def _instructor(home_page: str, facilitators: list[User]) -> dict | None:
    """One facilitator as an Agent, several as an anonymous Group of them."""
    if not facilitators:
        return None
    if len(facilitators) == 1:
        return _agent(home_page, facilitators[0])
    return {"objectType": "Group", "member": [_agent(home_page, person) for person in facilitators]}


def _activity(iri: str, kind: str, name: str, language: str) -> dict:
    return {"objectType": "Activity", "id": iri, "definition": {"type": kind, "name": {language: name}}}


# -- what learners and trainers see ------------------------------------------

@dataclass
class LiveStatus:
    """Where a learner stands with a live module: attended, missed, a next session, or none scheduled."""

    state: str  # "attended", "missed", "scheduled" or "unscheduled"
    sessions: list[LiveSession] = field(default_factory=list)
    next: LiveSession | None = None
    marks: dict[int, Attendance] = field(default_factory=dict)  # by session id


def live_status(session: Session, user: User, course_id: int, module_slug: str,
                now: dt.datetime | None = None) -> LiveStatus:
    """Tell a learner whether they attended a live module, missed it, or when its next session is."""
    now = now or utcnow()
    enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                       Enrolment.course_id == course_id))
    if enrolment is None or enrolment.cohort_id is None:
        return LiveStatus("unscheduled")
    sessions = list(session.scalars(select(LiveSession).where(
        LiveSession.cohort_id == enrolment.cohort_id, LiveSession.module == module_slug)
        .order_by(LiveSession.starts_at)))
    marks = {a.session_id: a for a in session.scalars(select(Attendance).where(
        Attendance.user_id == user.id, Attendance.session_id.in_([s.id for s in sessions])))}
    upcoming = next((s for s in sessions if ends_at(s) > now), None)
    if any(m.status in ATTENDED for m in marks.values()):
        state = "attended"
    elif upcoming is not None:
        state = "scheduled"
    elif sessions:
        state = "missed"
    else:
        state = "unscheduled"
    return LiveStatus(state, sessions, upcoming, marks)


@dataclass
class Delivered:
    """The sessions a trainer facilitated, and how many distinct learners attended them."""

    sessions: list[LiveSession]
    participants: int
    attended: dict[int, int]  # session id -> learners present or late


def delivered(session: Session, user: User, now: dt.datetime | None = None) -> Delivered:
    """The sessions ``user`` facilitated that have started, with the learners they trained (present or late)."""
    now = now or utcnow()
    sessions = list(session.scalars(
        select(LiveSession).join(session_facilitator).where(session_facilitator.c.user_id == user.id,
                                                            LiveSession.starts_at <= now)
        .order_by(LiveSession.starts_at.desc())))
    ids = [s.id for s in sessions]
    attended = dict(session.execute(
        select(Attendance.session_id, func.count()).where(Attendance.session_id.in_(ids),
                                                          Attendance.status.in_(ATTENDED))
        .group_by(Attendance.session_id)).all())
    participants = session.scalar(select(func.count(func.distinct(Attendance.user_id))).where(
        Attendance.session_id.in_(ids), Attendance.status.in_(ATTENDED))) or 0
    return Delivered(sessions, participants, attended)
