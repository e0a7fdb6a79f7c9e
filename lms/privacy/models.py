"""The erasure log: the only trace an erased account leaves."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base, utcnow


class Erasure(Base):
    """Who erased which account number, and when; nothing about the person erased."""

    __tablename__ = "lms_erasure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[int] = mapped_column(Integer)  # the erased account's former number, which names no one
    erased_by: Mapped[str] = mapped_column(String(80))  # the admin's username at the time
    erased: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
