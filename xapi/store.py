"""Store and query statements.

Services take a SQLAlchemy session, flush but leave the commit to the
caller, and raise domain exceptions; they know nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from blinker import Namespace
from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from .models import ActivityRecord, Attachment, StatementActivity, StatementAgent, StatementRecord
from .times import now, timestamp
from .validation import StatementError, check_uuid, validate_agent, validate_statement

MAX_LIMIT = 500
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
IGNORED_IN_COMPARISON = ("authority", "stored", "version", "id")
ATTEMPTS = 5  # tries of a request's work that keeps losing races with others before it is given up
# What the database says when a transaction lost a race with another: PostgreSQL's serialization failure,
# deadlock detected and unique violation, and SQLite's unique and primary key constraints.
RACES = {"40001", "40P01", "23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}
T = TypeVar("T")


class ConflictError(Exception):
    """A statement id is already stored with different content."""


class StoreBusy(Exception):
    """Requests storing at the same moment kept getting in each other's way; nothing was stored."""


def agent_key(agent: dict) -> str:
    """Return one string that identifies an agent or identified group, for indexing and matching."""
    if "account" in agent:
        account = agent["account"]
        return f"account:{account.get('homePage')}|{account.get('name')}"
    for ifi in ("mbox", "mbox_sha1sum", "openid"):
        if ifi in agent:
            return f"{ifi}:{agent[ifi]}"
    members = sorted(agent_key(m) for m in agent.get("member", []))
    return "group:" + hashlib.sha256("\n".join(members).encode()).hexdigest()


def _agents_in(agent: dict) -> set[str]:
    """The keys an agent filter matches this agent or group by: itself and its members."""
    keys = {agent_key(agent)}
    keys.update(agent_key(member) for member in agent.get("member", []))
    return keys


def _context_activities(context: dict) -> list[dict]:
    found = []
    for value in (context.get("contextActivities") or {}).values():
        found.extend(value if isinstance(value, list) else [value])
    return found


def _index(statement: dict) -> tuple[set[tuple[str, bool]], set[tuple[str, bool]]]:
    """Return the (agent key, related) and (activity id, related) pairs a statement is found by."""
    agents: set[tuple[str, bool]] = set()
    activities: set[tuple[str, bool]] = set()
    obj = statement["object"]
    agents.update((key, False) for key in _agents_in(statement["actor"]))
    if obj.get("objectType") in ("Agent", "Group"):
        agents.update((key, False) for key in _agents_in(obj))
    elif obj.get("objectType", "Activity") == "Activity":
        activities.add((obj["id"], False))
    related_agents = [statement.get("authority")]
    parts = [statement]
    if obj.get("objectType") == "SubStatement":
        parts.append(obj)
        related_agents.append(obj["actor"])
        inner = obj["object"]
        if inner.get("objectType") in ("Agent", "Group"):
            related_agents.append(inner)
        elif inner.get("objectType", "Activity") == "Activity":
            activities.add((inner["id"], True))
    for part in parts:
        context = part.get("context") or {}
        related_agents += [context.get("instructor"), context.get("team")]
        activities.update((activity["id"], True) for activity in _context_activities(context))
    for agent in filter(None, related_agents):
        agents.update((key, True) for key in _agents_in(agent))
    # Whatever matches directly also matches with the related_* flags.
    agents.update((key, True) for key, related in list(agents) if not related)
    activities.update((iri, True) for iri, related in list(activities) if not related)
    return agents, activities


# --- storing --------------------------------------------------------------------------------------

@dataclass
class AttachmentPart:
    """Bytes received in a multipart request for an attachment with this SHA-2."""

    sha2: str
    content_type: str
    content: bytes


#: Sent in the storing transaction once new statements are stored, with the database's engine as sender:
#: ``send(engine, session=…, records=[stored statements], voided=[ids of the statements they voided]``.  What
#: keeps figures beside the store (the LMS's projections) updates them in the same transaction.
statements_stored = Namespace().signal("statements-stored")
#: Where :func:`gathered` keeps, in the session's ``info``, what was stored in its block: records and voided ids.
_GATHERED = "xapi.gathered"


@contextmanager
def gathered(session: Session) -> Iterator[None]:
    """Send :data:`statements_stored` once, at the end of the block, for every statement stored in it.

    A request that stores a client's statements, then those the LMS derives from them (the quiz it graded, the
    completions earned), lets what listens recompute once for the whole instead of after each store.  The signal
    is still sent in the transaction, before anything commits.  Nothing is sent when the block raises: its
    transaction is to be rolled back.  A block within another sends nothing of its own: the outer one sends all.
    """
    if _GATHERED in session.info:
        yield
        return
    held: tuple[list[dict], list[str]] = ([], [])
    session.info[_GATHERED] = held
    try:
        yield
    finally:
        del session.info[_GATHERED]
    if held[0]:
        statements_stored.send(session.get_bind(), session=session, records=held[0], voided=held[1])


def store_statements(session: Session, statements: list[dict], authority: dict,
                     attachments: list[AttachmentPart] = (), forward: bool = False,
                     json_checked: bool = False) -> list[str]:
    """Validate and store statements (all or none); return their ids.

    A statement whose id is already stored with the same content is accepted
    again without a copy, so a client may safely resend a batch.  Raises
    :class:`StatementError` or :class:`ConflictError`; the caller then rolls the
    transaction back, and nothing is kept.  ``json_checked``: the statements
    were read by :func:`~.validation.parse_json` (see
    :func:`~.validation.validate_statement`).
    """
    if not statements:
        raise StatementError("statement list is empty")
    for n, statement in enumerate(statements):
        try:
            validate_statement(statement, json_checked=json_checked)
        except StatementError as exc:
            raise StatementError(f"statement {n}: {exc}" if len(statements) > 1 else str(exc)) from None
    ids = [check_uuid(s["id"], "id") if "id" in s else None for s in statements]
    given = [i for i in ids if i]
    if len(given) != len(set(given)):
        raise StatementError("the batch holds two statements with the same id")
    _check_voiding(session, statements)
    stored_at = now()
    stored_at = stored_at.replace(microsecond=stored_at.microsecond // 1000 * 1000)  # as precise as the JSON
    stamp = timestamp(stored_at)
    authority_key = agent_key(authority)
    out, rows, records, sent = [], [], [], {}
    for statement, sid in zip(statements, ids, strict=True):
        sid = sid or str(uuid.uuid4())
        sent[sid] = statement
        record = _normalised(dict(statement, id=sid, authority=authority, stored=stamp))
        record.setdefault("version", "1.0.0")
        record.setdefault("timestamp", stamp)
        obj = record["object"]
        is_ref = obj.get("objectType") == "StatementRef"
        context = record.get("context") or {}
        rows.append({
            "id": sid,
            "actor_key": agent_key(record["actor"]),
            "verb_id": record["verb"]["id"],
            "object_id": obj.get("id", "") if obj.get("objectType", "Activity") == "Activity" else "",
            "target_id": check_uuid(obj["id"], "object.id") if is_ref else None,
            "registration": check_uuid(context["registration"], "registration") if "registration" in context
            else None,
            "authority_key": authority_key,
            "stored": stored_at,
            "voided": False,
            "data": json.dumps(record, ensure_ascii=False, separators=(",", ":")),
        })
        records.append(record)
        out.append(sid)
    seqs = _insert_statements(session, rows)
    if len(seqs) < len(rows):
        # Ids already stored, or stored by another request meanwhile (which the insert waited for): a
        # resend of the same statement is accepted without a copy, different content is a conflict.
        skipped = [sid for sid in sent if sid not in seqs]
        for sid, data in session.execute(select(StatementRecord.id, StatementRecord.data)
                                         .where(StatementRecord.id.in_(skipped))):
            _check_same(sid, data, sent[sid])
        records = [record for record in records if record["id"] in seqs]
        if not records:
            return out
    voids = [check_uuid(record["object"]["id"], "object.id") for record in records
             if record["verb"]["id"] == VOIDED and record["object"].get("objectType") == "StatementRef"]
    agent_rows, activity_rows = [], []
    for record in records:
        seq = seqs[record["id"]]
        agents, activities = _index(record)
        agent_rows += [(seq, key, related) for key, related in agents]
        activity_rows += [(seq, iri, related) for iri, related in activities]
    _insert_rows(session, StatementAgent.__table__, ("statement_seq", "agent_key", "related"), agent_rows)
    _insert_rows(session, StatementActivity.__table__, ("statement_seq", "activity_id", "related"), activity_rows)
    _learn_activities(session, records)
    if voids:
        session.execute(update(StatementRecord).where(StatementRecord.id.in_(voids))
                        .values(voided=True).execution_options(synchronize_session=False))
    _keep_attachments(session, records, attachments)
    if forward:
        from .forwarding import enqueue
        enqueue(session, [seqs[record["id"]] for record in records])
    if _GATHERED in session.info:
        session.info[_GATHERED][0].extend(records)
        session.info[_GATHERED][1].extend(voids)
    else:
        statements_stored.send(session.get_bind(), session=session, records=records, voided=voids)
    return out


def retrying(session: Session, work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``work`` in the session's transaction, again from the start when it loses a race with another one.

    The session is rolled back before each new try, so ``work`` must redo
    everything the transaction holds.  Raises :class:`StoreBusy` when every try
    lost; nothing is kept then.
    """
    attempt = 1
    while True:
        try:
            return work()
        except DBAPIError as exc:
            if not lost_race(exc):
                raise
            session.rollback()
            if attempt >= attempts:
                raise StoreBusy("other requests kept storing the same records at the same moment; "
                                "nothing was stored: send the request again") from exc
        time.sleep(random.uniform(0, 0.02 * attempt))  # so that the same requests do not meet again at once
        attempt += 1


def lost_race(exc: DBAPIError) -> bool:
    """Tell whether the database refused a transaction because another one stored or locked the same rows."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorname", None)
    return code in RACES


def _check_same(sid: str, stored: str, statement: dict) -> None:
    """Raise :class:`ConflictError` unless ``statement`` is the one stored (as JSON) under its id."""
    if not same_statement(json.loads(stored), statement):
        raise ConflictError(f"statement {sid} is already stored with different content")


def _insert_new(session: Session, table: Table):
    """``INSERT … ON CONFLICT DO NOTHING``: a row another request stored first is kept as it is.

    On PostgreSQL the insert waits for a request storing the same key to finish,
    so what was not inserted is there to be read afterwards.
    """
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    return dialect.insert(table).on_conflict_do_nothing()


def _insert_statements(session: Session, rows: list[dict]) -> dict[str, int]:
    """Insert statements' rows, but those whose id is stored already; return each inserted one's ``seq`` by id.

    On PostgreSQL one prepared ``INSERT … ON CONFLICT DO NOTHING`` for each row,
    sent together (a pipeline: one round of the protocol): the single bulk
    INSERT that SQLAlchemy renders, with a placeholder for each of a batch's
    500 values, took longer to render and convert than the database took to
    run it.  Elsewhere that bulk INSERT (the ORM's unit of work would cost more
    than either).
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return dict(session.execute(_insert_new(session, StatementRecord.__table__)
                                    .returning(StatementRecord.id, StatementRecord.seq), rows).all())
    columns = list(rows[0])
    sql = (f"INSERT INTO {StatementRecord.__tablename__} ({', '.join(columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING RETURNING id, seq")
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.executemany(sql, [tuple(row[column] for column in columns) for row in rows], returning=True)
        return {sid: seq for _ in cursor.results() for sid, seq in cursor.fetchall()}


def _insert_rows(session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows (in ``columns``' order) in the session's transaction.

    On PostgreSQL with ``COPY``: a batch's index rows (eight or so a
    statement) go as one stream, where an INSERT costs a round of the
    protocol and a plan for each row; elsewhere as one executemany of the
    rows as they are, which SQLite runs while this transaction alone may
    write: SQLAlchemy's own took longer to turn them into its parameters.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)


def _normalised(statement: dict) -> dict:
    """Store each context activity list as a list, even when it was sent as a single activity."""
    obj = statement["object"]
    for part in (statement, obj) if obj.get("objectType") == "SubStatement" else (statement,):
        activities = (part.get("context") or {}).get("contextActivities")
        for key, value in (activities or {}).items():
            if isinstance(value, dict):
                activities[key] = [value]
    return statement


def _check_voiding(session: Session, statements: list[dict]) -> None:
    targets = []
    for statement in statements:
        if statement["verb"]["id"] != VOIDED:
            continue
        obj = statement["object"]
        if obj.get("objectType") != "StatementRef":
            raise StatementError("a voiding statement's object must be a StatementRef to the statement it voids")
        targets.append(check_uuid(obj["id"], "object.id"))
    if not targets:
        return
    batch_voids = {check_uuid(s["id"], "id") for s in statements if "id" in s and s["verb"]["id"] == VOIDED}
    stored_voids = set(session.scalars(select(StatementRecord.id).where(
        StatementRecord.id.in_(targets), StatementRecord.verb_id == VOIDED)))
    for target in targets:
        if target in batch_voids or target in stored_voids:
            raise StatementError(f"statement {target} is itself a voiding statement and cannot be voided")


def _keep_attachments(session: Session, records: list[dict], parts: list[AttachmentPart]) -> None:
    if not parts:
        return
    declared = {a["sha2"] for record in records for a in attachments_of(record)}
    known = set(session.scalars(select(Attachment.sha2).where(Attachment.sha2.in_([p.sha2 for p in parts]))))
    new = {part.sha2: {"sha2": part.sha2, "content_type": part.content_type, "content": part.content}
           for part in parts if part.sha2 in declared and part.sha2 not in known}
    if new:  # the same bytes sent by two requests at once are kept once
        session.execute(_insert_new(session, Attachment.__table__), [new[sha2] for sha2 in sorted(new)])


def attachments_of(statement: dict) -> list[dict]:
    found = list(statement.get("attachments") or [])
    obj = statement.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        found += obj.get("attachments") or []
    return found


def _learn_activities(session: Session, records: list[dict]) -> None:
    """Merge the definitions these statements give into the activities' canonical definitions.

    Requests storing at the same moment may mention the same activities: new
    ones are inserted unless another request did first, then merged into its
    definition; rows are locked and changed in order of id, so that two
    requests never wait on each other in opposite orders.
    """
    mentions: dict[str, list[dict]] = {}  # activity id -> its mentions, in the order of the statements
    for statement in records:
        obj = statement["object"]
        found = [obj] + _context_activities(statement.get("context") or {})
        if obj.get("objectType") == "SubStatement":
            found += [obj["object"]] + _context_activities(obj.get("context") or {})
        for activity in found:
            if activity.get("objectType", "Activity") == "Activity":
                mentions.setdefault(activity["id"], []).append(activity.get("definition") or {})
    if not mentions:
        return
    for iri, definitions in mentions.items():
        mentions[iri] = _distinct(definitions)
    known = dict(session.execute(select(ActivityRecord.id, ActivityRecord.definition)
                                 .where(ActivityRecord.id.in_(mentions))).all())
    stale = [iri for iri in mentions if iri in known and _adds_to(json.loads(known[iri]), mentions[iri])]
    new = sorted(iri for iri in mentions if iri not in known)
    if new:
        inserted = set(session.execute(
            _insert_new(session, ActivityRecord.__table__).returning(ActivityRecord.id),
            [{"id": iri, "definition": json.dumps(_merged({}, mentions[iri]))} for iri in new]).scalars())
        raced = [iri for iri in new if iri not in inserted]
        if raced:  # stored by another request meanwhile: merge into its definition if this one adds to it
            theirs = dict(session.execute(select(ActivityRecord.id, ActivityRecord.definition)
                                          .where(ActivityRecord.id.in_(raced))).all())
            stale += [iri for iri in raced if _adds_to(json.loads(theirs[iri]), mentions[iri])]
    if not stale:
        return
    # Read again under lock: another request may have merged its own definitions since.
    locked = session.execute(select(ActivityRecord.id, ActivityRecord.definition)
                             .where(ActivityRecord.id.in_(stale)).order_by(ActivityRecord.id).with_for_update())
    for iri, definition in locked.all():
        base = json.loads(definition)
        merged = _merged(base, mentions[iri])
        if merged != base:
            session.execute(update(ActivityRecord).where(ActivityRecord.id == iri)
                            .values(definition=json.dumps(merged)))


#: How many of the definitions kept, the nearest, :func:`_distinct` compares each one with.
DISTINCT_WINDOW = 8


def _distinct(definitions: list[dict]) -> list[dict]:
    """The definitions an activity's mentions give, but one given again later, in their order.

    Merging a definition before merging it again changes nothing, whatever is merged between: a batch
    mentioning its course in each of its 50 statements merges the course's definition once.  Each is
    compared with the :data:`DISTINCT_WINDOW` nearest kept after it, so that a request mentioning one
    activity many times with ever other definitions costs no more than merging them all.
    """
    kept: list[dict] = []
    for definition in reversed(definitions):
        if definition not in kept[-DISTINCT_WINDOW:]:
            kept.append(definition)
    return kept[::-1]


def _adds_to(definition: dict, definitions: list[dict]) -> bool:
    """Whether merging these definitions changes an activity's canonical one."""
    return _merged(definition, definitions) != definition


#: The lists of an interaction's components, each component an id and a description in some languages.
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")


def _merged(definition: dict, definitions: list[dict]) -> dict:
    """An activity's definition with what these definitions given by mentions of it add, later ones winning.

    Language maps gather their languages: the name and description, and the
    descriptions of an interaction's components when a mention lists the same
    components (by id, in any order) in another language, as learners of a
    multilingual course each send theirs.  A mention listing other components
    replaces them.
    """
    merged = dict(definition)
    for given in definitions:
        for key, value in given.items():
            known = merged.get(key)
            if key in ("name", "description") and isinstance(known, dict):
                value = {**known, **value}
            elif key in COMPONENT_LISTS and _same_components(known, value):
                given = {component["id"]: component for component in value}
                value = [{**component, "description": {**(component.get("description") or {}),
                                                       **(given[component["id"]].get("description") or {})}}
                         if "description" in component or "description" in given[component["id"]] else component
                         for component in known]
            merged[key] = value
    return merged


def _same_components(known, given) -> bool:
    """Whether two lists of interaction components have the same ids (so differ only in their descriptions)."""
    def ids(components):
        return sorted(c["id"] for c in components) if isinstance(components, list) and all(
            isinstance(c, dict) and isinstance(c.get("id"), str) for c in components) else None
    return ids(known) is not None and ids(known) == ids(given)


def same_statement(stored: dict, incoming: dict) -> bool:
    """Compare two versions of a statement, ignoring what the LRS adds and the case of ids."""
    ignored = IGNORED_IN_COMPARISON + (() if "timestamp" in incoming else ("timestamp",))

    def normal(statement: dict) -> dict:
        return {k: v for k, v in statement.items() if k not in ignored}
    return normal(stored) == normal(incoming)


# --- reading --------------------------------------------------------------------------------------

@dataclass
class StatementQuery:
    """Filters of ``GET /statements``; every one is optional."""

    agent: dict | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 0
    ascending: bool = False
    authority: str | None = None  # only statements sent with this credential (statements/read/mine)
    after: int | None = None  # paging cursor: the ``seq`` of the last statement returned
    extra: dict = field(default_factory=dict)  # format, attachments: kept for the next page


def get_statement(session: Session, statement_id: str, voided: bool = False,
                  authority: str | None = None) -> dict | None:
    """Return a stored statement by id (a voided one only when ``voided``), or None."""
    stmt = select(StatementRecord).where(StatementRecord.id == check_uuid(statement_id, "statementId"))
    if authority is not None:
        stmt = stmt.where(StatementRecord.authority_key == authority)
    row = session.scalar(stmt)
    if row is None or row.voided != voided:
        return None
    return load_stored(row.data)


def load_stored(data: str):
    """Read JSON the store holds; a NaN or Infinity that an older version let in reads as null."""
    return json.loads(data, parse_constant=lambda name: None)


def _strict(data: str) -> str:
    """The stored JSON text as strict JSON, which every client can parse (rewritten only if it holds NaN)."""
    if "NaN" not in data and "Infinity" not in data:
        return data
    return json.dumps(load_stored(data), ensure_ascii=False, separators=(",", ":"))


def senders(session: Session, statement_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Return the key of the actor and of the authority of each of these statements that is stored."""
    rows = session.execute(select(StatementRecord.id, StatementRecord.actor_key, StatementRecord.authority_key)
                           .where(StatementRecord.id.in_(statement_ids)))
    return {sid: (actor, authority) for sid, actor, authority in rows}


def _index_filter(query: StatementQuery):
    """The index table and its conditions for a filter that needs one (agent, or related activities), or None."""
    if query.agent is not None:
        return StatementAgent, (StatementAgent.agent_key == agent_key(query.agent),
                                StatementAgent.related.is_(query.related_agents))
    if query.activity and query.related_activities:
        return StatementActivity, (StatementActivity.activity_id == query.activity,
                                   StatementActivity.related.is_(True))
    return None


def _matches(table, query: StatementQuery, driven: bool = False):
    """SQL conditions a statement (``table``) meets when it matches the query's filters itself.

    ``driven``: the query already joins the index table of :func:`_index_filter`.
    """
    conditions = []
    if query.agent is not None and not driven:
        conditions.append(table.seq.in_(select(StatementAgent.statement_seq).where(
            StatementAgent.agent_key == agent_key(query.agent), StatementAgent.related.is_(query.related_agents))))
    if query.verb:
        conditions.append(table.verb_id == query.verb)
    if query.activity:
        if query.related_activities:
            if not (driven and query.agent is None):
                conditions.append(table.seq.in_(select(StatementActivity.statement_seq).where(
                    StatementActivity.activity_id == query.activity, StatementActivity.related.is_(True))))
        else:
            conditions.append(table.object_id == query.activity)
    if query.registration:
        conditions.append(table.registration == query.registration)
    return conditions


def query_statements(session: Session, query: StatementQuery) -> tuple[list[dict], int | None]:
    """Return matching statements (newest first unless ascending) and the cursor of the next page."""
    found, more = query_statements_json(session, query)
    return [load_stored(data) for data in found], more


def query_statements_json(session: Session, query: StatementQuery) -> tuple[list[str], int | None]:
    """Like :func:`query_statements`, with each statement as the JSON text stored (no parsing on the way out).

    As xAPI asks, a statement that refers (StatementRef) to a statement matching
    the filters is returned too, voiding statements included.
    """
    if query.agent is not None:
        validate_agent(query.agent, "agent")
    if query.registration:
        query.registration = check_uuid(query.registration, "registration")
    limit = MAX_LIMIT if query.limit <= 0 else min(query.limit, MAX_LIMIT)
    order = StatementRecord.seq.asc() if query.ascending else StatementRecord.seq.desc()

    def page(stmt, order=order, seq=StatementRecord.seq):
        stmt = stmt.where(StatementRecord.voided.is_(False))
        if query.since:
            stmt = stmt.where(StatementRecord.stored > query.since)
        if query.until:
            stmt = stmt.where(StatementRecord.stored <= query.until)
        if query.authority is not None:
            stmt = stmt.where(StatementRecord.authority_key == query.authority)
        if query.after is not None:
            stmt = stmt.where(seq > query.after if query.ascending else seq < query.after)
        return [tuple(row) for row in session.execute(stmt.order_by(order).limit(limit + 1))]

    direct = select(StatementRecord.seq, StatementRecord.data)
    index = _index_filter(query)
    if index is None:
        rows = page(direct.where(*_matches(StatementRecord, query)))
    else:
        # Walk the index table in ``statement_seq`` order: the first page comes without sorting every match.
        table, where = index
        direct = direct.join(table, table.statement_seq == StatementRecord.seq).where(
            *where, *_matches(StatementRecord, query, driven=True))
        rows = page(direct, table.statement_seq.asc() if query.ascending else table.statement_seq.desc(),
                    table.statement_seq)
    if query.agent is not None or query.verb or query.activity or query.registration:
        target = aliased(StatementRecord)
        # Driven from the few referring statements (their partial index), never from the many targets;
        # ordering on an expression keeps SQLite from walking the whole table in ``seq`` order instead.
        referring = select(StatementRecord.seq, StatementRecord.data).where(
            StatementRecord.target_id.is_not(None),
            select(target.seq).where(target.id == StatementRecord.target_id, *_matches(target, query)).exists())
        by_expression = (StatementRecord.seq + 0).asc() if query.ascending else (StatementRecord.seq + 0).desc()
        rows = sorted(set(rows) | set(page(referring, by_expression)), reverse=not query.ascending)
    more = rows[limit - 1][0] if len(rows) > limit else None
    return [_strict(data) for _, data in rows[:limit]], more


def about_activity(iri: str, include_children: bool = True):
    """SQL condition: the statement's object is ``iri`` or, optionally, an activity under ``iri/``."""
    exact = StatementRecord.object_id == iri
    if not include_children:
        return exact
    return or_(exact, StatementRecord.object_id.like(about_params(iri)["about_under"], escape="\\"))


#: :func:`about_activity` with the activity as parameters (:func:`about_params`), for a statement built once.
ABOUT = or_(StatementRecord.object_id == bindparam("about"),
            StatementRecord.object_id.like(bindparam("about_under"), escape="\\"))


def about_params(iri: str) -> dict[str, str]:
    """The parameters of :data:`ABOUT` for statements about ``iri`` and the activities under ``iri/``."""
    prefix = iri.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {"about": iri, "about_under": prefix + "/%"}


def attachments_for(session: Session, statements: list[dict]) -> list[Attachment]:
    """Return the stored bytes of the attachments these statements carry."""
    wanted = {a["sha2"] for statement in statements for a in attachments_of(statement)}
    if not wanted:
        return []
    return list(session.scalars(select(Attachment).where(Attachment.sha2.in_(wanted))))


# --- formats --------------------------------------------------------------------------------------

def format_statement(statement: dict, fmt: str, languages: list[str] = (),
                     canonical: dict[str, dict] | None = None) -> dict:
    """Return ``statement`` in the ``exact``, ``ids`` or ``canonical`` format of ``GET /statements``."""
    if fmt == "exact":
        return statement
    data = _copy_top(statement, 10)
    if fmt == "ids":
        _walk(data, _ids_only)
    else:
        _walk(data, lambda kind, obj: _canonical(kind, obj, languages, canonical or {}))
    return data


def activity_ids(statements: list[dict]) -> set[str]:
    """Every activity id appearing in these statements (to look their canonical definitions up)."""
    found = set()

    def collect(kind, obj):
        if kind == "activity":
            found.add(obj["id"])
    for statement in statements:
        _walk(statement, collect)
    return found


def canonical_definitions(session: Session, ids: set[str]) -> dict[str, dict]:
    if not ids:
        return {}
    rows = session.scalars(select(ActivityRecord).where(ActivityRecord.id.in_(ids)))
    return {row.id: load_stored(row.definition) for row in rows}


def _copy_top(value, levels: int):
    """Copy the objects and lists of ``value`` down to ``levels`` levels; share what lies deeper.

    Formatting changes only agents, verbs, activities (down to a choice's description, 9 levels into a
    statement) and attachments; an extension's value, however deep, is shared as it is, never walked,
    so that no statement already stored can make formatting recurse without bound.
    """
    if levels <= 0:
        return value
    if isinstance(value, dict):
        return {key: _copy_top(item, levels - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_top(item, levels - 1) for item in value]
    return value


def _walk(statement: dict, visit) -> None:
    """Call ``visit(kind, obj)`` on each agent, activity and verb of a statement, sub-statement included."""
    for part in (statement, statement.get("object") if statement["object"].get("objectType") == "SubStatement"
                 else None):
        if part is None:
            continue
        visit("agent", part["actor"])
        visit("verb", part["verb"])
        obj = part["object"]
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            visit("activity", obj)
        elif kind in ("Agent", "Group"):
            visit("agent", obj)
        context = part.get("context") or {}
        for key in ("instructor", "team"):
            if key in context:
                visit("agent", context[key])
        for value in (context.get("contextActivities") or {}).values():
            for activity in value if isinstance(value, list) else [value]:
                visit("activity", activity)
        for attachment in part.get("attachments") or []:
            visit("attachment", attachment)
    if "authority" in statement:
        visit("agent", statement["authority"])


def _ids_only(kind: str, obj: dict) -> None:
    if kind == "agent":
        keep = {"objectType", "mbox", "mbox_sha1sum", "openid", "account", "member"}
        for key in [k for k in obj if k not in keep]:
            del obj[key]
        if "member" in obj and any(ifi in obj for ifi in ("mbox", "mbox_sha1sum", "openid", "account")):
            del obj["member"]
        for member in obj.get("member", []):
            _ids_only("agent", member)
    elif kind in ("activity", "verb"):
        for key in [k for k in obj if k != "id"]:
            del obj[key]


def _canonical(kind: str, obj: dict, languages: list[str], canonical: dict[str, dict]) -> None:
    if kind == "activity" and canonical.get(obj["id"]):
        obj["definition"] = _copy_top(canonical[obj["id"]], 4)
    maps = []
    if kind == "verb" and "display" in obj:
        maps.append((obj, "display"))
    elif kind == "activity" and "definition" in obj:
        definition = obj["definition"]
        maps += [(definition, key) for key in ("name", "description") if key in definition]
        for key in ("choices", "scale", "source", "target", "steps"):
            maps += [(c, "description") for c in definition.get(key, []) if "description" in c]
    elif kind == "attachment":
        maps += [(obj, key) for key in ("display", "description") if key in obj]
    for holder, key in maps:
        holder[key] = pick_language(holder[key], languages)


def pick_language(language_map: dict, languages: list[str]) -> dict:
    """Keep one entry of a language map: the best match for the reader's languages, else the first."""
    if not language_map:
        return language_map
    lowered = {key.lower(): key for key in language_map}
    for wanted in languages:
        wanted = wanted.lower()
        if wanted in lowered:
            return {lowered[wanted]: language_map[lowered[wanted]]}
        for low, key in lowered.items():
            if low.split("-")[0] == wanted.split("-")[0]:
                return {key: language_map[key]}
    first = next(iter(language_map))
    return {first: language_map[first]}
