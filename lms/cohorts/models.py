"""The tables of a programme: cohorts, their trainers, live sessions, facilitators and attendance.

A cohort is one run of a course; enrolments (``lms.models.Enrolment``) belong
to one.  Times are kept in UTC; a cohort's time zone says how they are shown
and how the times a trainer types are read.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from authoring.model import ATTENDANCE_MARKS

from ..models import Base, Course, User, utcnow

#: How a learner's attendance at a live session is marked (the names courses use too); present and late count
#: as attended, and complete a live module unless the course's ``live_completion`` says otherwise.
ATTENDANCE = ATTENDANCE_MARKS
ATTENDED = ("present", "late")

cohort_trainer = Table(
    "lms_cohort_trainer", Base.metadata,
    Column("cohort_id", ForeignKey("lms_cohort.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("lms_user.id"), primary_key=True),
)

session_facilitator = Table(
    "lms_session_facilitator", Base.metadata,
    Column("session_id", ForeignKey("lms_live_session.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("lms_user.id"), primary_key=True),
)


class Cohort(Base):
    """One run of a course: its dates, time zone and language, its trainers and learners.

    ``uuid`` makes the cohort's stable IRI, the grouping activity its statements carry.
    """

    __tablename__ = "lms_cohort"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(10), default="en")
    self_enrol: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    course: Mapped[Course] = relationship()
    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainer, order_by="User.display_name")
    sessions: Mapped[list[LiveSession]] = relationship(back_populates="cohort", order_by="LiveSession.starts_at",
                                                       cascade="all, delete-orphan")


class LiveSession(Base):
    """A scheduled meeting of a cohort for one live module: when, how long, where, who facilitates.

    ``starts_at`` is in UTC; ``uuid`` makes the session's IRI, the object of attendance statements.
    """

    __tablename__ = "lms_live_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("lms_cohort.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))  # the live module's slug
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    duration: Mapped[int] = mapped_column(Integer)  # minutes
    place: Mapped[str] = mapped_column(String(300), default="")
    meeting_url: Mapped[str] = mapped_column(String(1024), default="")
    cohort: Mapped[Cohort] = relationship(back_populates="sessions")
    facilitators: Mapped[list[User]] = relationship(secondary=session_facilitator, order_by="User.display_name")
    marks: Mapped[list[Attendance]] = relationship(back_populates="session", cascade="all, delete-orphan")


class Attendance(Base):
    """A learner's attendance at a session as last marked: the status, a remark, who marked it and when.

    Every mark is also a statement in the LRS; this row is its projection, so
    a later mark by another trainer replaces it and says who made it.
    """

    __tablename__ = "lms_attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lms_live_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    status: Mapped[str] = mapped_column(String(10))
    remark: Mapped[str] = mapped_column(Text, default="")
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id"))
    marked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    statement_id: Mapped[str] = mapped_column(String(36))
    session: Mapped[LiveSession] = relationship(back_populates="marks")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    marked_by: Mapped[User] = relationship(foreign_keys=[marked_by_id])
