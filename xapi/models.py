"""Tables of the record store: statements and the credentials of LRS clients."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the ``xapi`` tables (kept apart from the LMS's)."""


class StatementRecord(Base):
    """One stored statement: its full JSON and the columns queries filter on."""

    __tablename__ = "xapi_statement"

    # ``seq`` orders statements as they were stored and is the paging cursor.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    actor_key: Mapped[str] = mapped_column(String(1024), index=True)
    verb_id: Mapped[str] = mapped_column(String(1024), index=True)
    object_id: Mapped[str] = mapped_column(String(1024), index=True)
    registration: Mapped[str | None] = mapped_column(String(36), index=True)
    stored: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str] = mapped_column(Text)


class Credential(Base):
    """An LRS client's HTTP Basic key; only a hash of the secret is kept."""

    __tablename__ = "xapi_credential"
    __table_args__ = (Index("ix_xapi_credential_key", "key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(200))
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
