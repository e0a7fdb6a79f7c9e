"""The record store's side of a person's records (xapi.agent_records): which statements are about an agent, and
erasing them with what only they needed, whatever else the store holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

from sqlalchemy import func, select

from xapi import agent_records, credentials, documents
from xapi.forwarding import enqueue
from xapi.models import Attachment, Credential, Document, OutboxEntry, StatementActivity, StatementAgent, \
    StatementRecord
from xapi.store import AttachmentPart, agent_key, store_statements

HOME = "https://lms.example.test/"
ERASED = {"objectType": "Agent", "account": {"homePage": HOME, "name": "erased-one"}}
OTHER = {"objectType": "Agent", "account": {"homePage": HOME, "name": "other-one"}}
THIRD = {"objectType": "Agent", "mbox": "mailto:third@example.org"}
AUTHORITY = {"objectType": "Agent", "account": {"homePage": HOME, "name": "lms"}}
OWN = b"only the erased one's essay"
SHARED = b"a handout both attached"


def say(actor, obj=None, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "actor": actor, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": obj or {"objectType": "Activity", "id": "https://academy.example.org/a"}, **extra}


def attached(content: bytes) -> dict:
    return {"usageType": "https://academy.example.org/essay", "display": {"en-US": "Essay"},
            "contentType": "text/plain", "length": len(content), "sha2": hashlib.sha256(content).hexdigest()}


def part(content: bytes) -> AttachmentPart:
    return AttachmentPart(hashlib.sha256(content).hexdigest(), "text/plain", content)


def store(db, statements, authority=AUTHORITY, parts=()) -> list[str]:
    return store_statements(db, statements, authority, list(parts))


def seqs_of(db, ids) -> list[int]:
    return sorted(db.scalars(select(StatementRecord.seq).where(StatementRecord.id.in_(ids))))


def test_statements_about_an_agent_are_found_wherever_the_agent_appears(db):
    about = {
        "actor": say(ERASED),
        "object": say(OTHER, dict(ERASED)),
        "instructor": say(OTHER, context={"instructor": ERASED}),
        "team member": say(OTHER, context={"team": {"objectType": "Group", "member": [THIRD, ERASED]}}),
        "in a sub-statement": say(OTHER, {"objectType": "SubStatement", "actor": ERASED,
                                          "verb": {"id": "http://adlnet.gov/expapi/verbs/mentored"},
                                          "object": {"objectType": "Activity", "id": "https://academy.example.org/b"}}),
    }
    ids = {name: store(db, [statement])[0] for name, statement in about.items()}
    ids["sent as them"] = store(db, [say(OTHER)], authority=ERASED)[0]
    # A statement about another one refers to the first; a third refers to that one: both are about the agent too.
    ids["voiding"] = store(db, [say(THIRD, {"objectType": "StatementRef", "id": ids["actor"]},
                                    verb={"id": "http://adlnet.gov/expapi/verbs/voided"})])[0]
    ids["referring to the voiding"] = store(db, [say(THIRD, {"objectType": "StatementRef", "id": ids["voiding"]})])[0]
    unrelated = store(db, [say(OTHER), say(THIRD, dict(OTHER))])
    found = agent_records.statements_about(db, ERASED)
    assert found == seqs_of(db, ids.values())
    assert not set(found) & set(seqs_of(db, unrelated))
    texts = [json.loads(text) for text in agent_records.statement_texts(db, found)]
    assert [s["id"] for s in texts] == [ids[name] for name in ids]  # in the order stored, voided one included
    assert texts[0]["authority"] == AUTHORITY and "stored" in texts[0]


def test_erasing_an_agent_deletes_their_statements_documents_keys_and_only_their_attachments(db):
    mine = store(db, [say(ERASED, attachments=[attached(OWN), attached(SHARED)]), say(ERASED)],
                 parts=[part(OWN), part(SHARED)])
    theirs = store(db, [say(OTHER, attachments=[attached(SHARED)]), say(OTHER, context={"instructor": THIRD})])
    enqueue(db, seqs_of(db, mine + theirs))
    key = agent_key(ERASED)
    for kind, document_id in (("state", "bookmark"), ("agent_profile", "nickname")):
        documents.put(db, documents.DocumentKey(kind, "https://academy.example.org/a" if kind == "state" else "",
                                                key, "", document_id), b'{"name": "Erased One"}', "application/json")
    documents.put(db, documents.DocumentKey("state", "https://academy.example.org/a", agent_key(OTHER), "", "bookmark"),
                  b"{}", "application/json")
    credentials.create_credential(db, "Launch 1", ["state"], agent=ERASED)
    credentials.create_credential(db, "Launch 2", ["state"], agent=OTHER)
    credentials.create_credential(db, "Dashboard", ["all/read"])
    db.flush()

    erased = agent_records.erase_agent(db, ERASED)
    counts = (erased.statements, erased.documents, erased.attachments, erased.outbox, erased.credentials)
    assert counts == (2, 2, 1, 2, 1)
    db.expire_all()
    assert sorted(db.scalars(select(StatementRecord.id))) == sorted(theirs)
    assert db.scalar(select(func.count(OutboxEntry.id))) == 2
    assert set(db.scalars(select(Attachment.sha2))) == {hashlib.sha256(SHARED).hexdigest()}
    assert [d.agent_key for d in db.scalars(select(Document))] == [agent_key(OTHER)]
    assert sorted(db.scalars(select(Credential.name))) == ["Dashboard", "Launch 2"]
    indexed = set(db.scalars(select(StatementAgent.statement_seq))) | set(db.scalars(
        select(StatementActivity.statement_seq)))
    assert indexed == set(seqs_of(db, theirs))
    # Erasing again finds nothing more.
    again = agent_records.erase_agent(db, ERASED)
    assert (again.statements, again.documents, again.attachments, again.credentials) == (0, 0, 0, 0)


def test_an_attachment_declared_in_capitals_elsewhere_is_still_carried(db):
    upper = dict(attached(SHARED), sha2=hashlib.sha256(SHARED).hexdigest().upper())
    store(db, [say(ERASED, attachments=[attached(SHARED)])], parts=[part(SHARED)])
    store(db, [say(OTHER, attachments=[upper])])
    assert agent_records.erase_agent(db, ERASED).attachments == 0
    assert db.scalar(select(func.count()).select_from(Attachment)) == 1


def test_attachment_bytes_come_in_slices_that_join_into_the_whole(db):
    content = bytes(range(256)) * 41 + b"end"
    [sid] = store(db, [say(ERASED, attachments=[attached(content)])], parts=[part(content)])
    [stored] = agent_records.attachments_carried(db, seqs_of(db, [sid]))
    assert (stored.length, stored.content_type) == (len(content), "text/plain")
    slices = list(agent_records.attachment_bytes(db, stored.sha2, size=999))
    assert len(slices) == len(content) // 999 + 1 and b"".join(slices) == content


def test_keys_acting_as_someone_else_with_a_similar_name_stay(db):
    credentials.create_credential(db, "Launch 1", ["state"], agent=ERASED, expires=dt.datetime(2030, 1, 1))
    lookalike = {"objectType": "Agent", "account": {"homePage": "https://elsewhere.example/", "name": "erased-one"}}
    credentials.create_credential(db, "Launch 2", ["state"], agent=lookalike)
    credentials.create_credential(db, "Launch 3", ["state"], agent={"objectType": "Agent", "account": {
        "homePage": HOME, "name": "erased-one-too"}})
    assert [c.name for c in agent_records.credentials_acting_as(db, ERASED)] == ["Launch 1"]
