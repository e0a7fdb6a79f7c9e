"""Tables of the record store: statements and what indexes them, attachments,
documents (state, activity and agent profiles), activities' canonical
definitions, the forwarding outbox and the credentials of LRS clients."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the ``xapi`` tables (kept apart from the LMS's)."""


class StatementRecord(Base):
    """One stored statement: its JSON as stored and the columns queries filter on."""

    __tablename__ = "xapi_statement"
    __table_args__ = (
        Index("ix_xapi_statement_actor_seq", "actor_key", "seq"),
        Index("ix_xapi_statement_verb_seq", "verb_id", "seq"),
        Index("ix_xapi_statement_object_seq", "object_id", "seq"),
        Index("ix_xapi_statement_registration_seq", "registration", "seq"),
        # Few statements refer to another one: a partial index keeps finding them cheap on any store size.
        Index("ix_xapi_statement_target", "target_id", "seq", postgresql_where=text("target_id IS NOT NULL"),
              sqlite_where=text("target_id IS NOT NULL")),
    )

    # ``seq`` orders statements as they were stored and is the paging cursor.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    actor_key: Mapped[str] = mapped_column(String(1024))
    verb_id: Mapped[str] = mapped_column(String(1024))
    object_id: Mapped[str] = mapped_column(String(1024))
    # The statement a StatementRef object points at (voiding statements included).
    target_id: Mapped[str | None] = mapped_column(String(36))
    registration: Mapped[str | None] = mapped_column(String(36))
    authority_key: Mapped[str] = mapped_column(String(1024), index=True)
    stored: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str] = mapped_column(Text)


#: What SQLite's query planner is told of ``xapi_statement`` until ANALYZE measures it: in a store of a million
#: statements, about a hundred share an actor or a registration, a few hundred an object, tens of thousands a
#: verb and most of them an authority (the LMS's).  Without statistics SQLite rates every one-column index alike
#: and takes whichever the schema happened to create last, so a learner's statements could be read through the
#: authority's index, which holds most of the store.  (This is SQLite's documented way of steering its planner,
#: "Manual Control Of Query Plans Using SQLITE_STAT Tables"; PostgreSQL gathers its own statistics.)
SQLITE_STATISTICS = {
    None: "1000000",
    "ix_xapi_statement_actor_seq": "1000000 100 1",
    "ix_xapi_statement_registration_seq": "1000000 100 1",
    "ix_xapi_statement_object_seq": "1000000 300 1",
    "ix_xapi_statement_verb_seq": "1000000 50000 1",
    "ix_xapi_statement_authority_key": "1000000 500000",
    "ix_xapi_statement_stored": "1000000 2",
    "ix_xapi_statement_target": "1000 1 1",
}


def steer_sqlite_planner(connection) -> bool:
    """Give SQLite's planner :data:`SQLITE_STATISTICS` for the statements' table, unless it has measured
    statistics of its own (ANALYZE was run); return whether it was given them."""
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # creates sqlite_stat1 if there is none yet
    measured = connection.exec_driver_sql(
        "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'xapi_statement' AND stat NOT LIKE '0%'").scalar()
    if measured:
        return False
    connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'xapi_statement'")
    for index, stat in SQLITE_STATISTICS.items():
        connection.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('xapi_statement', ?, ?)",
                                   (index, stat))
    connection.exec_driver_sql("ANALYZE sqlite_schema")  # this connection reads them again; new ones read them
    return True


class StatementAgent(Base):
    """An agent a statement is about: as actor or object, or (``related``) anywhere else in it."""

    __tablename__ = "xapi_statement_agent"
    __table_args__ = (Index("ix_xapi_statement_agent_key", "agent_key", "related", "statement_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), index=True)
    agent_key: Mapped[str] = mapped_column(String(1024))
    related: Mapped[bool] = mapped_column(Boolean)


class StatementActivity(Base):
    """An activity a statement is about: as object, or (``related``) in its context or sub-statement."""

    __tablename__ = "xapi_statement_activity"
    __table_args__ = (Index("ix_xapi_statement_activity_iri", "activity_id", "related", "statement_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), index=True)
    activity_id: Mapped[str] = mapped_column(String(1024))
    related: Mapped[bool] = mapped_column(Boolean)


class Attachment(Base):
    """The bytes of an attachment, stored once per SHA-256 whatever the number of statements carrying it."""

    __tablename__ = "xapi_attachment"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ActivityRecord(Base):
    """The canonical definition of an activity, merged from the statements that define it."""

    __tablename__ = "xapi_activity"

    id: Mapped[str] = mapped_column(String(1024), primary_key=True)
    definition: Mapped[str] = mapped_column(Text)


class Document(Base):
    """A state, activity profile or agent profile document (keys that do not apply are empty strings)."""

    __tablename__ = "xapi_document"
    __table_args__ = (Index("ix_xapi_document_owner", "kind", "activity_id", "agent_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the kind and every key: one document per key, whatever the keys' lengths.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # state | activity_profile | agent_profile
    activity_id: Mapped[str] = mapped_column(String(1024))
    agent_key: Mapped[str] = mapped_column(String(1024))
    registration: Mapped[str] = mapped_column(String(36))
    document_id: Mapped[str] = mapped_column(String(1024))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(40))
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OutboxEntry(Base):
    """A statement waiting to be forwarded to the external LRS."""

    __tablename__ = "xapi_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement_seq: Mapped[int] = mapped_column(ForeignKey("xapi_statement.seq", ondelete="CASCADE"), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")


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
    # A key made for one learner (a launched module's session): it acts only as this agent, until it expires.
    agent: Mapped[str | None] = mapped_column(Text)
    expires: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
