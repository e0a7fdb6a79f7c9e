"""Forwarding: every stored statement is also sent to an external LRS, through a durable outbox.

Storing a statement adds an outbox row in the same transaction, so nothing
stored can be forgotten.  ``deliver`` sends due rows in batches; a row leaves
the outbox only when the remote LRS has the statement (2xx, or 409 for an id
it already holds).  Network errors, 5xx and 429 keep the row and back off
exponentially.  Several workers may run at once on PostgreSQL (rows are
claimed with ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from . import VERSION
from .models import OutboxEntry, StatementRecord
from .times import now

BATCH = 50
FIRST_DELAY = 5  # seconds before the first retry; doubled on each failure
MAX_DELAY = 3600
TIMEOUT = 30


@dataclass(frozen=True)
class Remote:
    """Where statements are forwarded: the remote LRS's base URL and its HTTP Basic key."""

    url: str
    username: str = ""
    password: str = ""

    @classmethod
    def from_config(cls, config: dict) -> Remote | None:
        url = config.get("XAPI_FORWARD_URL")
        if not url:
            return None
        return cls(url.rstrip("/") + "/", config.get("XAPI_FORWARD_USERNAME") or "",
                   config.get("XAPI_FORWARD_PASSWORD") or "")


def forwarding_enabled(config: dict) -> bool:
    return bool(config.get("XAPI_FORWARD_URL"))


def enqueue(session: Session, statement_seqs: list[int]) -> None:
    """Queue stored statements for forwarding (in the caller's transaction)."""
    due = now()
    session.execute(insert(OutboxEntry.__table__), [{"statement_seq": seq, "next_attempt": due, "attempts": 0,
                                           "last_error": ""} for seq in statement_seqs])


@dataclass
class Report:
    delivered: int = 0
    failed: int = 0  # rows kept for a later attempt


def deliver(session: Session, remote: Remote, batch: int = BATCH, max_batches: int | None = None) -> Report:
    """Send due statements to ``remote``, committing after each batch; return what happened."""
    report = Report()
    batches = 0
    while max_batches is None or batches < max_batches:
        stmt = (select(OutboxEntry, StatementRecord.id, StatementRecord.data)
                .join(StatementRecord, StatementRecord.seq == OutboxEntry.statement_seq)
                .where(OutboxEntry.next_attempt <= now()).order_by(OutboxEntry.id).limit(batch))
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=OutboxEntry)
        rows = [tuple(row) for row in session.execute(stmt)]
        if not rows:
            break
        batches += 1
        error = _send_batch(remote, [json.loads(data) for _, _, data in rows])
        if error == "conflict":  # the remote holds one of these ids already: send them one by one
            for entry, statement_id, data in rows:
                _settle(session, entry, _send_one(remote, statement_id, json.loads(data)), report)
        else:
            for entry, _, _ in rows:
                _settle(session, entry, error, report)
        session.commit()
        if error not in (None, "conflict"):
            break  # the remote is unwell: leave the rest for later
    return report


def _settle(session: Session, entry: OutboxEntry, error: str | None, report: Report) -> None:
    if error is None:
        session.delete(entry)
        report.delivered += 1
        return
    entry.attempts += 1
    entry.last_error = error[:500]
    entry.next_attempt = now() + dt.timedelta(seconds=min(FIRST_DELAY * 2 ** (entry.attempts - 1), MAX_DELAY))
    report.failed += 1


def _send_batch(remote: Remote, statements: list[dict]) -> str | None:
    status, reason = _request(remote, "POST", "statements", statements)
    if 200 <= status < 300:
        return None
    if status == 409:
        return "conflict"
    return reason


def _send_one(remote: Remote, statement_id: str, statement: dict) -> str | None:
    query = urllib.parse.urlencode({"statementId": statement_id})
    status, reason = _request(remote, "PUT", f"statements?{query}", statement)
    return None if 200 <= status < 300 or status == 409 else reason


def _request(remote: Remote, method: str, path: str, body) -> tuple[int, str]:
    """Return the HTTP status (0 for a network error) and a reason to record."""
    headers = {"Content-Type": "application/json", "X-Experience-API-Version": VERSION}
    if remote.username:
        token = base64.b64encode(f"{remote.username}:{remote.password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(remote.url + path, data=json.dumps(body).encode("utf-8"),
                                     headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", errors="replace")
        return exc.code, f"HTTP {exc.code} from the remote LRS: {detail}"
    except (urllib.error.URLError, OSError) as exc:
        return 0, f"cannot reach the remote LRS: {getattr(exc, 'reason', exc)}"


@dataclass
class Status:
    pending: int
    retrying: int
    oldest: dt.datetime | None
    next_attempt: dt.datetime | None
    last_error: str


def status(session: Session) -> Status:
    pending, retrying, oldest, upcoming = session.execute(select(
        func.count(OutboxEntry.id), func.count(OutboxEntry.id).filter(OutboxEntry.attempts > 0),
        func.min(StatementRecord.stored), func.min(OutboxEntry.next_attempt),
    ).join(StatementRecord, StatementRecord.seq == OutboxEntry.statement_seq)).one()
    last = session.scalar(select(OutboxEntry.last_error).where(OutboxEntry.attempts > 0)
                          .order_by(OutboxEntry.next_attempt.desc()).limit(1))
    return Status(pending, retrying, oldest, upcoming, last or "")
