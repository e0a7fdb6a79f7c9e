"""Everything the record store holds about one person: to hand it to them, or to erase it.

Statements are immutable to the LRS's clients, not to the data controller:
when an account is erased, the platform deletes every statement about the
person, and what only those statements needed (index rows, the forwarding
outbox, attachments no other statement carries), with their documents and the
LRS keys that act as them.  Nothing here commits: the caller erases the
account in the same transaction.

Statements are read and deleted by ``seq`` in chunks, so that a long history
is never held in memory at once nor sent to the database as one huge list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import Attachment, Credential, Document, OutboxEntry, StatementActivity, StatementAgent, StatementRecord
from .store import _strict, agent_key, attachments_of, load_stored

#: Statements read or deleted per query: small enough for any database's limit on parameters.
CHUNK = 500
#: Bytes of an attachment read per query (a multiple of 3, so that base64 pieces join into one).
BYTES_CHUNK = 3 * 2**18
#: The JSON text of a statement that carries attachments always holds this key.
_CARRIES_ATTACHMENTS = '%"attachments"%'


@dataclass
class Erased:
    """How many rows of each kind erasing an agent deleted."""

    statements: int = 0
    documents: int = 0
    attachments: int = 0
    outbox: int = 0
    credentials: int = 0


@dataclass(frozen=True)
class StoredAttachment:
    sha2: str
    content_type: str
    length: int


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def statements_about(session: Session, agent: dict) -> list[int]:
    """Return the ``seq`` of every statement about ``agent``, in the order stored, voided ones included.

    A statement is about the agent where it is the actor or the object, in the context (instructor,
    team), in a sub-statement, the authority, or a member of a group in any of these places (the
    index tables of :mod:`xapi.store` say so); a statement that refers to one of those (a voiding
    statement, any StatementRef), however indirectly, is about them too.
    """
    found = set(session.scalars(select(StatementAgent.statement_seq)
                                .where(StatementAgent.agent_key == agent_key(agent)).distinct()))
    frontier = found
    while frontier:
        referring = set()
        for chunk in _chunks(sorted(frontier)):
            targets = select(StatementRecord.id).where(StatementRecord.seq.in_(chunk))
            referring.update(session.scalars(select(StatementRecord.seq).where(
                StatementRecord.target_id.is_not(None), StatementRecord.target_id.in_(targets))))
        frontier = referring - found
        found |= frontier
    return sorted(found)


def statement_texts(session: Session, seqs: list[int]) -> Iterator[str]:
    """Yield the JSON text of these statements as the LRS returns them, a chunk read at a time."""
    for chunk in _chunks(seqs):
        for data in session.scalars(select(StatementRecord.data).where(StatementRecord.seq.in_(chunk))
                                    .order_by(StatementRecord.seq)):
            yield _strict(data)


def attachments_carried(session: Session, seqs: list[int]) -> list[StoredAttachment]:
    """The stored attachments these statements carry (those sent with a ``fileUrl`` only have no bytes here)."""
    wanted = _attachment_hashes(session, seqs)
    if not wanted:
        return []
    rows = session.execute(select(Attachment.sha2, Attachment.content_type, func.length(Attachment.content))
                           .where(Attachment.sha2.in_(sorted(wanted))).order_by(Attachment.sha2))
    return [StoredAttachment(sha2, content_type, length) for sha2, content_type, length in rows]


def attachment_bytes(session: Session, sha2: str, size: int = BYTES_CHUNK) -> Iterator[bytes]:
    """Yield the bytes of a stored attachment ``size`` at a time, never the whole of a large one at once."""
    length = session.scalar(select(func.length(Attachment.content)).where(Attachment.sha2 == sha2)) or 0
    for start in range(1, length + 1, size):
        yield bytes(session.scalar(select(func.substr(Attachment.content, start, size))
                                   .where(Attachment.sha2 == sha2)))


def documents_about(session: Session, agent: dict) -> Iterator[Document]:
    """Yield the state and agent-profile documents kept for ``agent``, one loaded at a time."""
    ids = list(session.scalars(select(Document.id).where(Document.agent_key == agent_key(agent))
                               .order_by(Document.kind, Document.activity_id, Document.document_id, Document.id)))
    for document_id in ids:
        document = session.get(Document, document_id)
        yield document
        session.expunge(document)  # its content is not kept in the session's identity map


def credentials_acting_as(session: Session, agent: dict) -> list[Credential]:
    """The LRS keys made to act only as ``agent`` (a launched module's key), revoked or not."""
    key = agent_key(agent)
    value = _identifier(agent)
    stmt = select(Credential).where(Credential.agent.is_not(None))
    if value:  # the key's agent is kept as JSON: look only at those that name this identifier
        needle = json.dumps(value)[1:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Credential.agent.like(f"%{needle}%", escape="\\"))
    return [credential for credential in session.scalars(stmt.order_by(Credential.id))
            if _agent_key_of(credential.agent) == key]


def erase_agent(session: Session, agent: dict) -> Erased:
    """Delete everything the store holds about ``agent``; return how many rows of each kind went.

    That is every statement of :func:`statements_about` with its index rows and
    outbox rows, the attachments that only those statements carried (an attachment
    is kept once per hash: one another statement carries stays), the agent's state
    and agent-profile documents, and the LRS keys that act as them.  Statements
    already forwarded to another LRS are not reached from here.
    """
    erased = Erased()
    seqs = statements_about(session, agent)
    carried = _attachment_hashes(session, seqs)
    for chunk in _chunks(seqs):
        erased.outbox += session.execute(delete(OutboxEntry).where(OutboxEntry.statement_seq.in_(chunk))).rowcount
        session.execute(delete(StatementAgent).where(StatementAgent.statement_seq.in_(chunk)))
        session.execute(delete(StatementActivity).where(StatementActivity.statement_seq.in_(chunk)))
        erased.statements += session.execute(delete(StatementRecord).where(StatementRecord.seq.in_(chunk))
                                             .execution_options(synchronize_session=False)).rowcount
    if carried:
        unused = sorted(carried - _hashes_still_carried(session, carried))
        for chunk in _chunks(unused):
            erased.attachments += session.execute(delete(Attachment).where(Attachment.sha2.in_(chunk))).rowcount
    erased.documents = session.execute(delete(Document).where(Document.agent_key == agent_key(agent))
                                       .execution_options(synchronize_session=False)).rowcount
    for credential in credentials_acting_as(session, agent):
        session.delete(credential)
        erased.credentials += 1
    session.flush()
    return erased


def _attachment_hashes(session: Session, seqs: Iterable[int]) -> set[str]:
    """The SHA-2 (lower case) of every attachment these statements declare."""
    found = set()
    for chunk in _chunks(sorted(seqs)):
        for data in session.scalars(select(StatementRecord.data).where(
                StatementRecord.seq.in_(chunk), StatementRecord.data.like(_CARRIES_ATTACHMENTS))):
            found.update(_declared(data))
    return found


def _hashes_still_carried(session: Session, hashes: set[str]) -> set[str]:
    """Those of ``hashes`` that a statement still stored declares (read a chunk of statements at a time)."""
    carried, after = set(), 0
    while True:
        rows = session.execute(select(StatementRecord.seq, StatementRecord.data).where(
            StatementRecord.seq > after, StatementRecord.data.like(_CARRIES_ATTACHMENTS))
            .order_by(StatementRecord.seq).limit(CHUNK)).all()
        if not rows:
            return carried
        for _, data in rows:
            carried.update(_declared(data) & hashes)
        after = rows[-1][0]


def _declared(data: str) -> set[str]:
    statement = load_stored(data)
    return {a["sha2"].lower() for a in attachments_of(statement)
            if isinstance(a, dict) and isinstance(a.get("sha2"), str)}


def _identifier(agent: dict) -> str:
    """The value that identifies an agent: its account's name, its mailbox, its OpenID ("" for a group)."""
    if isinstance(agent.get("account"), dict):
        return str(agent["account"].get("name") or "")
    for ifi in ("mbox", "mbox_sha1sum", "openid"):
        if ifi in agent:
            return str(agent[ifi])
    return ""


def _agent_key_of(text: str) -> str | None:
    try:
        agent = json.loads(text)
    except ValueError:
        return None
    return agent_key(agent) if isinstance(agent, dict) else None
