"""Issue, find and revoke certificates of completion; record each award and revocation in the LRS."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from authoring import model
from authoring.locales import INTERFACE_LANGUAGES, N_
from xapi import statements as xs
from xapi.store import store_statements

from ..models import Course, Enrolment, User, utcnow
from ..services import learning
from ..services.catalog import edition
from ..sessions.services import vocabulary
from .details import Details
from .models import Certificate

#: Crockford's base 32: no I, L, O or U, so a code read aloud or typed from paper is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 25 characters of 5 bits: 125 bits of randomness, far past guessing (a code is the key of a public page).
CODE_LENGTH = 25
#: The TinCan registry's verb for earning an award, which LRS readers know.
EARNED = "http://id.tincanapi.com/verb/earned"


class CertificateError(Exception):
    """A certificate cannot be given or changed as asked: ``message`` (marked for translation) says why."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)


def new_code() -> str:
    """A new random code, in groups of five: ``7KQ4M-2XD9T-PAVR3-EHC6W-0N5BZ``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 5] for i in range(0, CODE_LENGTH, 5))


def normal_code(text: str) -> str | None:
    """The code someone typed, as stored (case, spaces and dashes forgiven, O read as 0, I and L as 1), or None."""
    raw = re.sub(r"[\s-]", "", text[:100]).upper().translate(str.maketrans("OIL", "011"))
    if len(raw) != CODE_LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return "-".join(raw[i:i + 5] for i in range(0, CODE_LENGTH, 5))


def verify_url(home_page: str, code: str) -> str:
    """The public page that verifies a certificate; its QR code holds this address."""
    return f"{home_page}certificates/verify/{code}"


def certificate_iri(home_page: str, certificate: Certificate) -> str:
    """The certificate as an activity in statements; its id, not its code, which opens its public page."""
    return f"{home_page}certificates/{certificate.uuid}"


def course_hours(course: model.Course) -> float:
    """The course's hours: the sum of its modules' durations, in minutes, as hours."""
    return round(sum(module.duration for module in course.modules) / 60, 2)


def certificate_language(user: User, fallback: str) -> str:
    """The language a learner's certificate is written in: their own, if the interface speaks it."""
    return user.language if user.language in INTERFACE_LANGUAGES else fallback


def issue(session: Session, learner: learning.Learner, course: model.Course, *, academy: str,
          timezone: str, completed: dt.datetime | None = None) -> Certificate | None:
    """Give the learner their certificate of the course they completed (just now, or at ``completed``), once,
    and record the award.

    What it states is frozen now, in the learner's language; ``timezone`` is the platform's, for a
    learner who chose none (the date of completion is the learner's date).
    """
    enrolment = session.scalar(select(Enrolment).where(Enrolment.registration == learner.registration))
    if enrolment is None:
        return None
    existing = certificate_for(session, enrolment.user, enrolment.course)
    if existing is not None:
        return existing
    user, cohort = enrolment.user, enrolment.cohort
    language = certificate_language(user, learner.language)
    now = utcnow()
    completed = completed or learning.course_completed_at(session, learner, course) or now
    code = new_code()
    written = edition(enrolment.course.current, language)
    certificate = Certificate(code=code, user=user, course=enrolment.course, registration=enrolment.registration,
                              language=language, issued=now)
    certificate.details = Details(
        code=code, learner=user.display_name, course=written.title, hours=course_hours(course),
        cohort=cohort.name if cohort else "", cohort_start=cohort.starts_on if cohort else None,
        cohort_end=cohort.ends_on if cohort else None, institution=user.institution, academy=academy,
        language=language, completed=completed.astimezone(ZoneInfo(user.timezone or timezone)).date(),
        verify_url=verify_url(learner.home_page, code))
    try:
        with session.begin_nested():
            session.add(certificate)
    except IntegrityError:  # the same completion recorded at once by another request: theirs stands
        return certificate_for(session, enrolment.user, enrolment.course)
    store_statements(session, [award_statement(certificate, learner, course)],
                     learning.authority(learner.home_page))
    return certificate


def issue_missing(session: Session, home_page: str, *, academy: str, timezone: str) -> list[Certificate]:
    """Issue the certificates of courses completed without one (say, before certificates existed), each dated
    by its completion; return them."""
    issued = []
    enrolments = session.scalars(select(Enrolment).where(~select(Certificate.id).where(
        Certificate.user_id == Enrolment.user_id, Certificate.course_id == Enrolment.course_id).exists())
        .order_by(Enrolment.id))
    for enrolment in enrolments:
        if not enrolment.course.versions:
            continue
        course = enrolment.course.current.model
        learner = learning.enrolled_learner(enrolment, course.text_language, home_page)
        status = learning.course_status(session, learner, course)
        if status.completed is not None:
            made = issue(session, learner, course, academy=academy, timezone=timezone, completed=status.completed)
            if made is not None:
                issued.append(made)
    return issued


def award_statement(certificate: Certificate, learner: learning.Learner, course: model.Course) -> dict:
    """The learner ``earned`` the certificate: in the course's registration and cohort, the course its parent."""
    statement = learning.course_statement(learner, "completed", _activity(certificate, learner), course)
    statement["verb"] = {"id": EARNED, "display": {"en-US": "earned"}}
    return statement


def revocation_statement(certificate: Certificate, learner: learning.Learner, course: model.Course,
                         reason: str) -> dict:
    """The learner's certificate was revoked, with the reason in ``result.response``."""
    statement = learning.course_statement(learner, "completed", _activity(certificate, learner), course)
    statement["verb"] = {"id": revoked_verb(learner.home_page), "display": {"en-US": "had revoked"}}
    statement["result"] = {"response": reason} if reason else {}
    return statement


def revoked_verb(home_page: str) -> str:
    """The platform's verb for a certificate taken back: no common vocabulary has one."""
    return f"{vocabulary(home_page)}verbs/revoked"


def certificate_type(home_page: str) -> str:
    return f"{vocabulary(home_page)}activity-types/certificate"


def _activity(certificate: Certificate, learner: learning.Learner) -> xs.Activity:
    details = certificate.details
    return xs.Activity(id=certificate_iri(learner.home_page, certificate), definition=xs.ActivityDefinition(
        type=certificate_type(learner.home_page), name=xs.LanguageMap({certificate.language: details.course})))


def certificate_for(session: Session, user: User, course: Course) -> Certificate | None:
    """The user's certificate of the course, if they have one (revoked or not)."""
    return session.scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                    Certificate.course_id == course.id))


def certificates_of(session: Session, user: User) -> list[Certificate]:
    """A user's certificates, the newest first."""
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                .order_by(Certificate.issued.desc(), Certificate.id.desc())))


def by_code(session: Session, code: str) -> Certificate | None:
    """The certificate with this code, as typed or scanned, or None."""
    code = normal_code(code)
    return session.scalar(select(Certificate).where(Certificate.code == code)) if code else None


def revoke(session: Session, certificate: Certificate, reason: str, home_page: str) -> None:
    """Revoke a certificate (it stays verifiable, as revoked) and record it; a certificate is revoked once."""
    reason = reason.strip()
    if certificate.revoked is not None:
        raise CertificateError(N_("This certificate was already revoked."))
    if not reason or len(reason) > 500:
        raise CertificateError(N_("Give the reason for revoking, in at most 500 characters."))
    certificate.revoked, certificate.revoked_reason = utcnow(), reason
    enrolment = session.scalar(select(Enrolment).where(Enrolment.registration == certificate.registration))
    if enrolment is not None:
        course = edition(enrolment.course.current, certificate.language)
        learner = learning.enrolled_learner(enrolment, course.text_language, home_page)
        store_statements(session, [revocation_statement(certificate, learner, course, reason)],
                         learning.authority(home_page))
    session.flush()


def latest(session: Session, limit: int = 50) -> list[Certificate]:
    """The certificates issued last."""
    return list(session.scalars(select(Certificate).order_by(Certificate.issued.desc(), Certificate.id.desc())
                                .limit(limit)))


def search(session: Session, query: str, limit: int = 50) -> list[Certificate]:
    """Certificates whose code is ``query``, or whose holder's username or name contains it."""
    code = normal_code(query)
    if code:
        return list(session.scalars(select(Certificate).where(Certificate.code == code)))
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(session.scalars(
        select(Certificate).join(User, Certificate.user_id == User.id)
        .where(User.username.ilike(pattern, escape="\\") | User.display_name.ilike(pattern, escape="\\"))
        .order_by(Certificate.issued.desc(), Certificate.id.desc()).limit(limit)))


def revoked(session: Session) -> list[Certificate]:
    """Every revoked certificate, the first revoked first."""
    return list(session.scalars(select(Certificate).where(Certificate.revoked.is_not(None))
                                .order_by(Certificate.revoked, Certificate.id)))
