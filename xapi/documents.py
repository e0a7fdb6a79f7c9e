"""Documents kept for activity providers: state, activity profiles and agent profiles.

A document is identified by its kind and keys (activity, agent, registration,
document id).  Writes follow xAPI's concurrency rules: an ETag is the quoted
SHA-1 of the content, and a caller's ``If-Match`` / ``If-None-Match`` are
checked before anything changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import Document
from .times import now
from .validation import StatementError, parse_json

KINDS = ("state", "activity_profile", "agent_profile")


class DocumentError(ValueError):
    """The request is malformed (HTTP 400)."""


class PreconditionFailed(Exception):
    """``If-Match`` or ``If-None-Match`` does not hold (HTTP 412)."""


class ConcurrencyConflict(Exception):
    """The document exists and the caller gave no precondition (HTTP 409)."""


@dataclass(frozen=True)
class DocumentKey:
    kind: str
    activity_id: str = ""
    agent_key: str = ""
    registration: str = ""
    document_id: str = ""

    @property
    def hash(self) -> str:
        parts = (self.kind, self.activity_id, self.agent_key, self.registration, self.document_id)
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Preconditions:
    """The caller's ``If-Match`` ETags and ``If-None-Match`` ETags (or ``*``)."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None
    required: bool = False  # a PUT to a profile must state one when the document exists

    def check(self, existing: Document | None) -> None:
        """Raise unless the write may go ahead on the document as it stands (``None``: there is none).

        Without either header, a profile PUT creates a new document (as xAPI clients such as
        TinCanPython's do) but never replaces one: 409, since the caller cannot know what it overwrites.
        """
        etag = existing.etag if existing else None
        if self.if_match is not None and (etag is None or ("*" not in self.if_match and etag not in self.if_match)):
            raise PreconditionFailed("If-Match does not match the document's current ETag")
        if self.if_none_match is not None and etag is not None and (
                "*" in self.if_none_match or etag in self.if_none_match):
            raise PreconditionFailed("If-None-Match: the document already exists")
        if self.required and self.if_match is None and self.if_none_match is None and existing is not None:
            raise ConcurrencyConflict("the document exists: send If-Match with its ETag to replace it")


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()


def get(session: Session, key: DocumentKey) -> Document | None:
    return session.scalar(select(Document).where(Document.key == key.hash))


def put(session: Session, key: DocumentKey, content: bytes, content_type: str,
        preconditions: Preconditions = Preconditions()) -> Document:
    """Create or replace a document."""
    existing = get(session, key)
    preconditions.check(existing)
    return _write(session, key, existing, content, content_type)


def post(session: Session, key: DocumentKey, content: bytes, content_type: str,
         preconditions: Preconditions = Preconditions()) -> Document:
    """Create a document, or merge a JSON object into the stored JSON object."""
    existing = get(session, key)
    preconditions.check(existing)
    if existing is not None:
        old = _json_object(existing.content, existing.content_type, "the stored document")
        new = _json_object(content, content_type, "the posted document")
        content = json.dumps({**old, **new}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        content_type = "application/json"
    elif _is_json(content_type):
        _json_object(content, content_type, "the posted document")
    return _write(session, key, existing, content, content_type)


def delete_one(session: Session, key: DocumentKey, preconditions: Preconditions = Preconditions()) -> None:
    existing = get(session, key)
    preconditions.check(existing)
    if existing is not None:
        session.delete(existing)
        session.flush()


def delete_all(session: Session, key: DocumentKey) -> None:
    """Delete every document of a kind for the key's activity, agent and registration (State API)."""
    session.execute(delete(Document).where(*_owner(key), Document.registration == key.registration))
    session.flush()


def ids(session: Session, key: DocumentKey, since: dt.datetime | None = None) -> list[str]:
    """Return the ids of the documents stored for the key's owner (and registration, for state)."""
    stmt = select(Document.document_id).where(*_owner(key))
    if key.kind == "state":
        stmt = stmt.where(Document.registration == key.registration)
    if since is not None:
        stmt = stmt.where(Document.updated > since)
    return list(session.scalars(stmt.order_by(Document.document_id)))


def _owner(key: DocumentKey):
    return (Document.kind == key.kind, Document.activity_id == key.activity_id, Document.agent_key == key.agent_key)


def _write(session: Session, key: DocumentKey, existing: Document | None, content: bytes,
           content_type: str) -> Document:
    document = existing or Document(key=key.hash, kind=key.kind, activity_id=key.activity_id,
                                    agent_key=key.agent_key, registration=key.registration,
                                    document_id=key.document_id)
    document.content = content
    document.content_type = content_type or "application/octet-stream"
    document.etag = etag_of(content)
    document.updated = now()
    if existing is None:
        session.add(document)
    session.flush()
    return document


def _is_json(content_type: str) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "application/json"


def _json_object(content: bytes, content_type: str, what: str) -> dict:
    if not _is_json(content_type):
        raise DocumentError(f"{what} is not JSON (Content-Type {content_type or 'missing'}); "
                            "POST merges JSON objects only, use PUT to replace")
    try:
        value = parse_json(content or b"null", what)
    except StatementError as exc:
        raise DocumentError(str(exc)) from None
    if not isinstance(value, dict):
        raise DocumentError(f"{what} must be a JSON object to be merged")
    return value
