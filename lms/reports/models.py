"""Projections: small tables of where each learner stands, kept up to date in the transaction that stores the
statements changing them, and rebuilt from the store on demand (``passerelle reports rebuild``).

Each is keyed by enrolment (a learner in a course, in a cohort); the people's profile facets (sex, country,
institution, language) and the cohort are joined from the LMS's own tables when a report is read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base


class ModuleProgress(Base):
    """A learner's progress in one module, as :func:`lms.services.learning.progress` reads it from the store."""

    __tablename__ = "lms_module_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "module"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolment.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    started: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    best_score: Mapped[float | None] = mapped_column(Float)
    first_score: Mapped[float | None] = mapped_column(Float)
    later_score: Mapped[float | None] = mapped_column(Float)  # best after the first: a same-quiz post-test
    surveyed: Mapped[bool] = mapped_column(Boolean, default=False)


class CourseProgress(Base):
    """A learner's course: when they were first trained (a module completed or a live session attended) and
    when the LMS recorded the course's completion."""

    __tablename__ = "lms_course_progress"

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolment.id", ondelete="CASCADE"), primary_key=True)
    trained: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SurveyAnswer(Base):
    """A learner's latest answer to a survey item: a scale point (1 = the first) or a text.

    ``follow_up`` answers are those given to the course's follow-up survey once it was due (``follow_up`` in
    course.yaml): the same item answered at the end of the module and months later counts once in each.
    """

    __tablename__ = "lms_survey_answer"
    __table_args__ = (UniqueConstraint("enrolment_id", "module", "item", "follow_up"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolment.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    item: Mapped[str] = mapped_column(String(100))
    value: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    answered: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class QuestionAnswer(Base):
    """A learner's first answer to a quiz question, graded by the server against the key: item analysis."""

    __tablename__ = "lms_question_answer"
    __table_args__ = (UniqueConstraint("enrolment_id", "module", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("lms_enrolment.id", ondelete="CASCADE"), index=True)
    module: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(String(100))
    response: Mapped[str] = mapped_column(String(1000), default="")
    correct: Mapped[bool] = mapped_column(Boolean, default=False)
    answered: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ErasedReach(Base):
    """What erased learners had reached, kept without them: how many people of a course (and cohort) enrolled,
    were trained and completed it, on which days (UTC midnight).  Erasure folds a learner's course progress in
    here before deleting it, so that a programme's headline figures do not shrink when someone asks to be
    forgotten; nothing about the person (account, profile, answers) is kept."""

    __tablename__ = "lms_erased_reach"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("lms_cohort.id", ondelete="SET NULL"), index=True)
    enrolled: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    trained: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    people: Mapped[int] = mapped_column(Integer, default=0)


class ReportExport(Base):
    """A per-learner export asked for on the web and written in the background: too large to write while the
    reader waits.  It keeps who asked, what (course, filters, language, format, identified or not) and, once
    ready, the file itself, so any app server can hand it over."""

    __tablename__ = "lms_report_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    identified: Mapped[bool] = mapped_column(Boolean, default=False)
    extension: Mapped[str] = mapped_column(String(4))
    filters: Mapped[str] = mapped_column(Text, default="")  # the report's filters, as a query string
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued, running, ready or failed
    requested: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    started: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    filename: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(Text, default="")
