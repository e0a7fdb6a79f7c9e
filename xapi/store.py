"""Store and query statements, and manage LRS credentials.

Services take a SQLAlchemy session, flush but leave the commit to the
caller, and raise domain exceptions; they know nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import VERSION
from .models import Credential, StatementRecord
from .validation import StatementError, check_uuid, validate_agent, validate_statement

SCOPES = ("all", "all/read", "statements/write", "statements/read", "statements/read/mine")
MAX_LIMIT = 500


class ConflictError(Exception):
    """A statement id is already stored with different content."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def timestamp(value: dt.datetime) -> str:
    """Format a time the way statements carry it (UTC, milliseconds)."""
    return value.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_key(agent: dict) -> str:
    """Return one string that identifies an agent, for indexing and matching."""
    if "account" in agent:
        account = agent["account"]
        return f"account:{account.get('homePage')}|{account.get('name')}"
    for ifi in ("mbox", "mbox_sha1sum", "openid"):
        if ifi in agent:
            return f"{ifi}:{agent[ifi]}"
    return "group:" + hashlib.sha256(json.dumps(agent, sort_keys=True).encode()).hexdigest()


def store_statements(session: Session, statements: list[dict], authority: dict) -> list[str]:
    """Validate and store statements (all or none); return their ids.

    A statement whose id is already stored with the same content is accepted
    again without a copy, so a client may safely resend a batch.
    """
    for statement in statements:
        validate_statement(statement)
    ids = [check_uuid(s["id"], "id") if "id" in s else None for s in statements]
    given = [i for i in ids if i]
    if len(given) != len(set(given)):
        raise StatementError("the batch holds two statements with the same id")
    existing = {}
    if given:
        rows = session.scalars(select(StatementRecord).where(StatementRecord.id.in_(given)))
        existing = {row.id: row for row in rows}
    stored_at = now()
    out = []
    for statement, sid in zip(statements, ids, strict=True):
        if sid in existing:
            if not _same_statement(json.loads(existing[sid].data), statement):
                raise ConflictError(f"statement {sid} is already stored with different content")
            out.append(sid)
            continue
        sid = sid or str(uuid.uuid4())
        record = dict(statement, id=sid, authority=authority, stored=timestamp(stored_at), version=VERSION)
        record.setdefault("timestamp", record["stored"])
        context = record.get("context") or {}
        session.add(StatementRecord(
            id=sid,
            actor_key=agent_key(record["actor"]),
            verb_id=record["verb"]["id"],
            object_id=record["object"].get("id", ""),
            registration=context.get("registration"),
            stored=stored_at,
            data=json.dumps(record, ensure_ascii=False, separators=(",", ":")),
        ))
        out.append(sid)
    session.flush()
    return out


@dataclass
class StatementQuery:
    """Filters of ``GET /statements``; every one is optional."""

    agent: dict | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100
    ascending: bool = False
    after: int | None = None  # paging cursor: the ``seq`` of the last statement returned
    activity_prefix: bool = False  # match the activity and every activity under it


def get_statement(session: Session, statement_id: str) -> dict | None:
    """Return a stored statement by id, or None."""
    row = session.scalar(select(StatementRecord).where(StatementRecord.id == check_uuid(statement_id, "statementId")))
    return json.loads(row.data) if row else None


def query_statements(session: Session, query: StatementQuery) -> tuple[list[dict], int | None]:
    """Return matching statements (newest first unless ascending) and the cursor of the next page."""
    stmt = select(StatementRecord).where(StatementRecord.voided.is_(False))
    if query.agent is not None:
        validate_agent(query.agent, "agent")
        stmt = stmt.where(StatementRecord.actor_key == agent_key(query.agent))
    if query.verb:
        stmt = stmt.where(StatementRecord.verb_id == query.verb)
    if query.activity:
        stmt = stmt.where(about_activity(query.activity, query.activity_prefix))
    if query.registration:
        stmt = stmt.where(StatementRecord.registration == check_uuid(query.registration, "registration"))
    if query.since:
        stmt = stmt.where(StatementRecord.stored > query.since)
    if query.until:
        stmt = stmt.where(StatementRecord.stored <= query.until)
    if query.after is not None:
        stmt = stmt.where(StatementRecord.seq > query.after if query.ascending else StatementRecord.seq < query.after)
    order = StatementRecord.seq.asc() if query.ascending else StatementRecord.seq.desc()
    limit = MAX_LIMIT if query.limit <= 0 else min(query.limit, MAX_LIMIT)
    rows = list(session.scalars(stmt.order_by(order).limit(limit + 1)))
    more = rows[limit - 1].seq if len(rows) > limit else None
    return [json.loads(row.data) for row in rows[:limit]], more


def about_activity(iri: str, include_children: bool = True):
    """SQL condition: the statement's object is ``iri`` or, optionally, an activity under ``iri/``."""
    exact = StatementRecord.object_id == iri
    if not include_children:
        return exact
    prefix = iri.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return exact | StatementRecord.object_id.like(prefix + "/%", escape="\\")


def _same_statement(stored: dict, incoming: dict) -> bool:
    """Compare two versions of a statement, ignoring what the LRS adds."""
    ignore = ("authority", "stored", "version", "timestamp")
    a = {k: v for k, v in stored.items() if k not in ignore}
    b = {k: v for k, v in incoming.items() if k not in ignore}
    return a == b


# -- credentials ------------------------------------------------------------

def create_credential(session: Session, name: str, scopes: list[str]) -> tuple[Credential, str]:
    """Create a credential; return it and its secret, which is not stored."""
    for scope in scopes:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
    secret = secrets.token_urlsafe(32)
    credential = Credential(name=name, key=secrets.token_hex(10), secret_hash=_hash(secret),
                            scopes=" ".join(scopes), created=now())
    session.add(credential)
    session.flush()
    return credential, secret


def authenticate(session: Session, key: str, secret: str) -> Credential | None:
    """Return the live credential with this key and secret, or None."""
    credential = session.scalar(select(Credential).where(Credential.key == key, Credential.revoked.is_(None)))
    if credential is None or not hmac.compare_digest(credential.secret_hash, _hash(secret)):
        return None
    return credential


def list_credentials(session: Session) -> list[Credential]:
    return list(session.scalars(select(Credential).order_by(Credential.id)))


def revoke_credential(session: Session, key: str) -> bool:
    """Revoke a credential; return False if no live credential has this key."""
    credential = session.scalar(select(Credential).where(Credential.key == key, Credential.revoked.is_(None)))
    if credential is None:
        return False
    credential.revoked = now()
    session.flush()
    return True


def credential_authority(credential: Credential, home_page: str) -> dict:
    """Return the authority agent recorded on statements sent with a credential."""
    return {"objectType": "Agent", "name": credential.name,
            "account": {"homePage": home_page, "name": credential.key}}


def _hash(secret: str) -> str:
    # Secrets are 256 random bits, so a fast hash is enough and keeps every request cheap.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
