"""The table of certificates: what each one states, frozen when it is issued, and whether it was revoked."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base, Course, User, utcnow
from .details import Details


class Certificate(Base):
    """A learner's certificate of completion of a course: one per learner and course.

    ``details`` is what the certificate states (name, course, hours, cohort, institution, academy),
    as JSON frozen at issue: renaming the course or the learner later does not change a document
    already handed to an employer.  ``code`` is printed on it and is the key of its public
    verification page; it cannot be guessed (see :func:`lms.certificates.services.new_code`).
    """

    __tablename__ = "lms_certificate"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id"))
    registration: Mapped[str] = mapped_column(String(36))
    language: Mapped[str] = mapped_column(String(10))
    details_json: Mapped[str] = mapped_column("details", Text)
    issued: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str] = mapped_column(String(500), default="")
    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    @property
    def details(self) -> Details:
        """What the certificate states."""
        data = json.loads(self.details_json)
        for name in ("cohort_start", "cohort_end", "completed"):
            data[name] = dt.date.fromisoformat(data[name]) if data.get(name) else None
        return Details(**data)

    @details.setter
    def details(self, details: Details) -> None:
        data = {name: getattr(details, name) for name in Details.__dataclass_fields__}
        for name in ("cohort_start", "cohort_end", "completed"):
            data[name] = data[name].isoformat() if data[name] else None
        self.details_json = json.dumps(data, ensure_ascii=False, sort_keys=True)

