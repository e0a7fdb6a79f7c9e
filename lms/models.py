"""The LMS's tables: accounts, courses and their versions, enrolments.

Learning records themselves live in the ``xapi`` tables; these are the
people and the catalogue around them.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from authoring.model import Course as CourseModel

ROLES = ("admin", "trainer", "learner", "analyst")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Return ``moment`` as an aware UTC time (SQLite gives stored times back without their zone)."""
    return moment.astimezone(dt.timezone.utc) if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def new_session_token() -> str:
    return secrets.token_hex(16)


class Base(DeclarativeBase):
    """Declarative base of the LMS tables."""


class User(Base):
    """An account: an official who learns, a trainer, an analyst or an admin.

    ``actor_id`` is the opaque name used in xAPI statements; profile fields
    used for disaggregation (country, institution, gender) stay here.
    ``session_token`` is part of every session's user id: a new one ends them all.
    Accounts are deactivated (``active``), never deleted: their statements stay theirs.
    """

    __tablename__ = "lms_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: uuid.uuid4().hex)
    country: Mapped[str] = mapped_column(String(2), default="")
    institution: Mapped[str] = mapped_column(String(200), default="")
    gender: Mapped[str] = mapped_column(String(20), default="")
    language: Mapped[str] = mapped_column(String(10), default="en")
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    email: Mapped[str] = mapped_column(String(254), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="")  # IANA name; "" for the platform's
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    # What Flask-Login asks of a user, written out so models stay free of Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """A deactivated account cannot log in, and its sessions end."""
        return self.active

    def get_id(self) -> str:
        """The id kept in the session: the account's and its current session token."""
        return f"{self.id}:{self.session_token}"

    def holds_session(self, token: str) -> bool:
        """Whether a session with ``token`` is still one of this account's."""
        return hmac.compare_digest(self.session_token.encode(), token.encode())

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


class Course(Base):
    """A course in the catalogue, identified by the IRI from its ``course.yaml``."""

    __tablename__ = "lms_course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iri: Mapped[str] = mapped_column(String(1024), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    versions: Mapped[list[CourseVersion]] = relationship(back_populates="course", order_by="CourseVersion.id")

    @property
    def current(self) -> CourseVersion:
        """The version learners see: the one imported last."""
        return self.versions[-1]


class CourseVersion(Base):
    """One imported package of a course; its model is kept as JSON."""

    __tablename__ = "lms_course_version"
    __table_args__ = (UniqueConstraint("course_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"))
    version: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    package_path: Mapped[str] = mapped_column(String(1024))
    # Read only the first time a process meets the version (``model``): not with every list of a course's versions.
    content: Mapped[str] = mapped_column(Text, deferred=True)
    imported: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    course: Mapped[Course] = relationship(back_populates="versions")

    @property
    def model(self) -> CourseModel:
        """The course model of this version, parsed once per process (treat it as read-only)."""
        return _parsed_model(self.sha256, lambda: self.content)


def current_model(session: Session, course_id: int) -> CourseModel | None:
    """The model of the course's current version (:attr:`Course.current`), or None before any import: its JSON is
    read from the database only the first time this process meets the version."""
    version = session.execute(select(CourseVersion.id, CourseVersion.sha256).where(CourseVersion.course_id == course_id)
                              .order_by(CourseVersion.id.desc()).limit(1)).first()
    if version is None:
        return None
    return _parsed_model(version.sha256, lambda: session.scalar(select(CourseVersion.content)
                                                                .where(CourseVersion.id == version.id)))


_PARSED: OrderedDict[str, CourseModel] = OrderedDict()  # package hash -> its model, the 64 met last


def _parsed_model(sha256: str, content: Callable[[], str]) -> CourseModel:
    # Keyed by the package hash: a version's content never changes once imported.
    model = _PARSED.get(sha256)
    if model is not None:
        with suppress(KeyError):  # another thread may have just let it go
            _PARSED.move_to_end(sha256)
    else:
        model = _PARSED[sha256] = CourseModel.from_dict(json.loads(content()))
        while len(_PARSED) > 64:
            _PARSED.popitem(last=False)
    return model


class Enrolment(Base):
    """A learner enrolled in a course, in one of its cohorts; ``registration`` groups their statements."""

    __tablename__ = "lms_enrolment"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),
                      # The statements stored name their registration: the projections find the enrolment by it.
                      Index("ix_lms_enrolment_registration", "registration", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"))
    registration: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    enrolled: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("lms_cohort.id"), index=True)
    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort | None] = relationship()


class Launch(Base):
    """A self-paced module launched for a learner, the cmi5 way: one session, one fetch of its key.

    ``id`` is the session id that every statement of the session carries; the
    fetch URL holds a secret whose hash is kept; fetching it once gives the
    module an LRS key that acts only as the learner (``credential_key``).
    """

    __tablename__ = "lms_launch"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolment.id"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    fetch_hash: Mapped[str] = mapped_column(String(64))
    credential_key: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    fetched: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    enrolment: Mapped[Enrolment] = relationship()


# The domains' own tables share this metadata; importing them here keeps one registry of classes
# (``Enrolment.cohort``) whoever imports the models first.
from .cohorts.models import Cohort  # noqa: E402
from .certificates.models import Certificate  # noqa: E402
from .privacy.models import Erasure  # noqa: E402
from .reports.models import CourseProgress, ModuleProgress, QuestionAnswer, SurveyAnswer  # noqa: E402
# A module import: the identities import the accounts' services, which import this module.
from .integration import identities  # noqa: E402,F401  (ExternalIdentity)
