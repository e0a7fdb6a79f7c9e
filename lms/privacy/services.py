"""A person's records: everything the platform holds about an account, to hand it to them, and its erasure.

What is held about a person is their account's profile, their enrolments and
launches, their attendance marks, their certificates, the cohorts and sessions
they train, the LRS keys that act as them, and in the record store every
statement about them with its attachments, and their state and agent-profile
documents (:mod:`xapi.agent_records` finds those).

Erasing an account deletes all of it in the caller's transaction and leaves
one :class:`~lms.privacy.models.Erasure` row: the former account number, who
erased it and when.  What the person had reached in each course is first
folded into the reports' anonymous counts (:mod:`lms.reports.erased`: how
many people of a course and cohort enrolled, were trained and completed it,
on which days), so that the programme's figures do not shrink; nothing about
the person is kept there.  Messages of :class:`ErasureRefused` are marked for
translation and formatted with their parameters, as the accounts service's are.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import delete, func, inspect, or_, select
from sqlalchemy.orm import Session

from authoring.locales import N_
from xapi import agent_records
from xapi.models import Document, StatementAgent, StatementRecord
from xapi.store import agent_key, load_stored, pick_language

from ..certificates.models import Certificate
from ..cohorts.models import Attendance, Cohort, LiveSession, cohort_trainer, session_facilitator
from ..models import Enrolment, Launch, User, utcnow
from ..reports import erased as erased_reach
from ..services.learning import authority
from .models import Erasure

#: The columns of an account that are secrets of the platform, not facts about the person.
SECRET_COLUMNS = frozenset({"password_hash", "session_token"})
#: The version of the download's layout, for whoever reads it with a program.
EXPORT_FORMAT = "passerelle-personal-data/1"
#: Longest answer shown in the readable summary (the JSON download has all of it).
MAX_ANSWER = 200
#: Erasures listed at once on the log page, newest first.
LOG_LENGTH = 500


class ErasureRefused(Exception):
    """An account cannot be erased as asked: ``message`` (marked for translation) % ``params`` says why."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)


def agent_of(user: User, home_page: str) -> dict:
    """The account's agent in statements: an account on the platform, named by its opaque actor id."""
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": user.actor_id}}


# -- what is held -------------------------------------------------------------

@dataclass
class Holdings:
    """How much the platform holds about a person, by kind: what the data page and the erasure page show."""

    enrolments: int
    launches: int
    attendance: int
    certificates: int
    cohorts_trained: int
    sessions_facilitated: int
    statements: int
    documents: int
    lrs_keys: int


def holdings(session: Session, user: User, home_page: str) -> Holdings:
    """Count what the platform holds about ``user``."""
    agent = agent_of(user, home_page)

    def count(stmt) -> int:
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return Holdings(
        enrolments=count(select(Enrolment.id).where(Enrolment.user_id == user.id)),
        launches=count(select(Launch.id).join(Enrolment).where(Enrolment.user_id == user.id)),
        attendance=count(select(Attendance.id).where(Attendance.user_id == user.id)),
        certificates=count(select(Certificate.id).where(Certificate.user_id == user.id)),
        cohorts_trained=count(select(cohort_trainer.c.cohort_id).where(cohort_trainer.c.user_id == user.id)),
        sessions_facilitated=count(select(session_facilitator.c.session_id)
                                   .where(session_facilitator.c.user_id == user.id)),
        statements=len(agent_records.statements_about(session, agent)),
        documents=count(select(Document.id).where(Document.agent_key == agent_key(agent))),
        lrs_keys=len(agent_records.credentials_acting_as(session, agent)),
    )


def _moment(value: dt.datetime | dt.date | None) -> str | None:
    """A stored time as ISO 8601 (UTC where the database gave it back without its zone)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat()


def _plain(value):
    return _moment(value) if isinstance(value, (dt.datetime, dt.date)) else value


def profile(user: User) -> dict:
    """Every column of the account but its secrets (password hash, session token)."""
    return {attr.key: _plain(getattr(user, attr.key)) for attr in inspect(User).column_attrs
            if attr.key not in SECRET_COLUMNS}


def enrolments(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled))
    return [{"course": {"slug": e.course.slug, "title": e.course.title, "iri": e.course.iri},
             "cohort": _cohort(e.cohort) if e.cohort else None,
             "enrolled": _moment(e.enrolled), "registration": e.registration} for e in rows]


def _cohort(cohort: Cohort) -> dict:
    return {"name": cohort.name, "course": cohort.course.title, "starts_on": _moment(cohort.starts_on),
            "ends_on": _moment(cohort.ends_on), "timezone": cohort.timezone, "language": cohort.language}


def launches(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Launch).join(Enrolment).where(Enrolment.user_id == user.id)
                           .order_by(Launch.created))
    return [{"course": launch.enrolment.course.title, "module": launch.module, "session": launch.id,
             "launched": _moment(launch.created), "fetched": _moment(launch.fetched)} for launch in rows]


def attendance(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Attendance).join(LiveSession).where(Attendance.user_id == user.id)
                           .order_by(LiveSession.starts_at))
    return [{"course": a.session.cohort.course.title, "cohort": a.session.cohort.name, "module": a.session.module,
             "session_starts": _moment(a.session.starts_at), "duration_minutes": a.session.duration,
             "status": a.status, "remark": a.remark, "marked_by": a.marked_by.display_name,
             "marked_at": _moment(a.marked_at)} for a in rows]


def certificates(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued))
    return [{"code": c.code, "course": c.course.title, "language": c.language, "registration": c.registration,
             "issued": _moment(c.issued), "revoked": _moment(c.revoked), "revoked_reason": c.revoked_reason,
             "details": json.loads(c.details_json)} for c in rows]


def cohorts_trained(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(Cohort).join(cohort_trainer).where(cohort_trainer.c.user_id == user.id)
                           .order_by(Cohort.starts_on))
    return [_cohort(cohort) for cohort in rows]


def sessions_facilitated(session: Session, user: User) -> list[dict]:
    rows = session.scalars(select(LiveSession).join(session_facilitator)
                           .where(session_facilitator.c.user_id == user.id).order_by(LiveSession.starts_at))
    return [{"course": live.cohort.course.title, "cohort": live.cohort.name, "module": live.module,
             "starts": _moment(live.starts_at), "duration_minutes": live.duration} for live in rows]


def lrs_keys(session: Session, user: User, home_page: str) -> list[dict]:
    """The LRS keys that act as the person (a launched module's); their secrets are not kept anywhere."""
    return [{"name": c.name, "key": c.key, "scopes": c.scope_list, "created": _moment(c.created),
             "expires": _moment(c.expires), "revoked": _moment(c.revoked)}
            for c in agent_records.credentials_acting_as(session, agent_of(user, home_page))]


def export_json(session: Session, user: User, home_page: str) -> Iterator[str]:
    """Yield, piece by piece, one JSON document of everything held about ``user``.

    The account's own rows come first (few); statements follow as the LRS
    returns them, read a chunk at a time; then documents, one at a time, as text
    when they are UTF-8 and base64 otherwise; then the bytes of the attachments
    their statements carry, in base64, read a slice at a time.  Memory stays
    bounded whatever the length of the history.
    """
    agent = agent_of(user, home_page)
    head = {"format": EXPORT_FORMAT, "exported": _moment(utcnow()), "agent": agent, "profile": profile(user),
            "enrolments": enrolments(session, user), "launches": launches(session, user),
            "attendance": attendance(session, user), "certificates": certificates(session, user),
            "cohorts_trained": cohorts_trained(session, user),
            "sessions_facilitated": sessions_facilitated(session, user),
            "lrs_keys": lrs_keys(session, user, home_page)}
    yield json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "statements": ['
    seqs = agent_records.statements_about(session, agent)
    for n, text in enumerate(agent_records.statement_texts(session, seqs)):
        yield ("," if n else "") + "\n  " + text
    yield '\n ],\n "documents": ['
    for n, document in enumerate(agent_records.documents_about(session, agent)):
        yield ("," if n else "") + "\n  " + json.dumps(_document(document), ensure_ascii=False)
    yield '\n ],\n "attachments": ['
    for n, attachment in enumerate(agent_records.attachments_carried(session, seqs)):
        described = {"sha2": attachment.sha2, "contentType": attachment.content_type, "length": attachment.length}
        yield ("," if n else "") + "\n  " + json.dumps(described, ensure_ascii=False)[:-1] + ', "contentBase64": "'
        for chunk in agent_records.attachment_bytes(session, attachment.sha2):
            yield base64.b64encode(chunk).decode("ascii")
        yield '"}'
    yield "\n ]\n}\n"


def _document(document) -> dict:
    kind_id = {"state": "stateId", "agent_profile": "profileId"}.get(document.kind, "documentId")
    out = {"kind": document.kind, "activityId": document.activity_id or None,
           "registration": document.registration or None, kind_id: document.document_id,
           "contentType": document.content_type, "updated": _moment(document.updated), "etag": document.etag}
    try:
        out["content"] = bytes(document.content).decode("utf-8")
    except UnicodeDecodeError:
        out["contentBase64"] = base64.b64encode(document.content).decode("ascii")
    return out


# -- the readable summary -----------------------------------------------------

@dataclass
class StatementLine:
    """A statement as the summary shows it: when, the verb, the object, a score and an answer if any."""

    when: str
    verb: str
    object: str
    score: float | None = None
    answer: str = ""
    voided: bool = False


@dataclass
class Summary:
    """What the readable summary shows; ``statements`` is read as the page is written."""

    user: User
    holdings: Holdings
    profile: dict
    enrolments: list[dict]
    attendance: list[dict]
    certificates: list[dict]
    cohorts_trained: list[dict]
    sessions_facilitated: list[dict]
    documents: list[dict]
    exported: str = ""  # when, in UTC, to the minute
    statements: Iterator[StatementLine] = field(default_factory=lambda: iter(()))


def summary(session: Session, user: User, home_page: str, languages: list[str] = ()) -> Summary:
    """What the readable summary of ``user``'s data shows, with labels in ``languages`` where statements have them."""
    agent = agent_of(user, home_page)
    documents = [{key: value for key, value in _document(d).items() if key not in ("content", "contentBase64")}
                 | {"size": len(d.content)} for d in agent_records.documents_about(session, agent)]
    seqs = agent_records.statements_about(session, agent)
    return Summary(user=user, holdings=holdings(session, user, home_page), profile=profile(user),
                   enrolments=enrolments(session, user), attendance=attendance(session, user),
                   certificates=certificates(session, user), cohorts_trained=cohorts_trained(session, user),
                   sessions_facilitated=sessions_facilitated(session, user), documents=documents,
                   exported=utcnow().strftime("%Y-%m-%d %H:%M"),
                   statements=(line(load_stored(text), languages)
                               for text in agent_records.statement_texts(session, seqs)))


def line(statement: dict, languages: list[str] = ()) -> StatementLine:
    """Summarise a stored statement in a line: when, verb, object, score, answer."""
    verb = statement.get("verb") or {}
    label = _label(verb.get("display"), languages) or verb.get("id", "").rstrip("/").rsplit("/", 1)[-1]
    obj = statement.get("object") or {}
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        what = _label((obj.get("definition") or {}).get("name"), languages) or obj.get("id", "")
    elif kind == "StatementRef":
        what = f"statement {obj.get('id', '')}"
    elif kind in ("Agent", "Group"):
        what = obj.get("name") or kind
    else:
        what = kind
    result = statement.get("result") or {}
    scaled = (result.get("score") or {}).get("scaled")
    answer = result.get("response")
    return StatementLine(when=_when(statement.get("timestamp", "")), verb=label, object=str(what),
                         score=scaled if isinstance(scaled, (int, float)) else None,
                         answer=str(answer)[:MAX_ANSWER] if answer is not None else "")


def _label(language_map, languages: list[str]) -> str:
    if not isinstance(language_map, dict) or not language_map:
        return ""
    return str(next(iter(pick_language(language_map, list(languages) + ["en", "en-US"]).values())))


def _when(timestamp: str) -> str:
    """A statement's timestamp in UTC, to the minute."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return str(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# -- erasure ------------------------------------------------------------------

def check_erasable(session: Session, user: User, by: User, home_page: str) -> None:
    """Raise :class:`ErasureRefused` unless ``by`` may erase ``user`` now.

    No one erases their own account, nor the last active administrator.  A
    trainer who ran or marked live sessions of other learners is refused too:
    those learners' attendance (the marks and the platform's statements of them)
    names the trainer, and erasing the trainer would erase or falsify their
    records; such an account is deactivated instead.
    """
    if not by.has_role("admin"):
        raise ErasureRefused(N_("Only an administrator erases accounts."))
    if user.id == by.id:
        raise ErasureRefused(N_("You cannot erase your own account."))
    if user.has_role("admin") and not session.scalar(select(func.count(User.id)).where(
            User.role == "admin", User.active.is_(True), User.id != user.id)):
        raise ErasureRefused(N_("%(name)s is the last active administrator: make another account an administrator "
                                "first."), name=user.display_name)
    if _records_of_others(session, user, home_page):
        raise ErasureRefused(N_("%(name)s ran or marked live sessions of other learners, whose attendance records "
                                "name them: erasing the account would erase those learners' records too. "
                                "Deactivate the account instead."), name=user.display_name)


def _records_of_others(session: Session, user: User, home_page: str) -> int:
    """How many of the platform's own records about other people name ``user`` (as marker or instructor)."""
    marks = session.scalar(select(func.count(Attendance.id)).where(Attendance.marked_by_id == user.id,
                                                                   Attendance.user_id != user.id)) or 0
    key = agent_key(agent_of(user, home_page))
    named = session.scalar(select(func.count(func.distinct(StatementRecord.seq))).join(
        StatementAgent, StatementAgent.statement_seq == StatementRecord.seq).where(
        StatementAgent.agent_key == key, StatementRecord.actor_key != key,
        StatementRecord.authority_key == agent_key(authority(home_page)))) or 0
    return marks + named


@dataclass
class Erased:
    """What erasing an account deleted, by kind (counts only: nothing about the person is kept)."""

    account: int
    enrolments: int
    launches: int
    attendance: int
    certificates: int
    records: agent_records.Erased


def erase(session: Session, user: User, by: User, home_page: str) -> Erased:
    """Erase ``user`` and everything about them, and log who did it (the caller commits, once).

    Raises :class:`ErasureRefused` (see :func:`check_erasable`) before anything changes.  The reports keep
    counting the person anonymously: their enrolments are folded into :mod:`lms.reports.erased` first.
    """
    session.flush()
    check_erasable(session, user, by, home_page)
    account = user.id
    erased_reach.fold(session, account)  # before the enrolments and their projections go
    records = agent_records.erase_agent(session, agent_of(user, home_page))
    enrolment_ids = select(Enrolment.id).where(Enrolment.user_id == account)
    launched = session.execute(delete(Launch).where(Launch.enrolment_id.in_(enrolment_ids))
                               .execution_options(synchronize_session=False)).rowcount
    marks = session.execute(delete(Attendance).where(or_(Attendance.user_id == account,
                                                         Attendance.marked_by_id == account))
                            .execution_options(synchronize_session=False)).rowcount
    awarded = session.execute(delete(Certificate).where(Certificate.user_id == account)
                              .execution_options(synchronize_session=False)).rowcount
    enrolled = session.execute(delete(Enrolment).where(Enrolment.user_id == account)
                               .execution_options(synchronize_session=False)).rowcount
    session.execute(delete(cohort_trainer).where(cohort_trainer.c.user_id == account))
    session.execute(delete(session_facilitator).where(session_facilitator.c.user_id == account))
    if not session.execute(delete(User).where(User.id == account)
                           .execution_options(synchronize_session=False)).rowcount:
        # Another admin erased it a moment ago: log the erasure once.
        raise ErasureRefused(N_("This account is already erased."))
    session.expunge(user)
    session.expire_all()  # cohorts' trainers, sessions' facilitators and marks loaded before are read again
    session.add(Erasure(account=account, erased_by=by.username))
    session.flush()
    return Erased(account, enrolled, launched, marks, awarded, records)


def erasure_log(session: Session, limit: int = LOG_LENGTH) -> list[Erasure]:
    """The latest erasures, newest first."""
    return list(session.scalars(select(Erasure).order_by(Erasure.erased.desc(), Erasure.id.desc()).limit(limit)))
