"""The LRS's HTTP interface (xAPI 1.0.3): statements, documents, activities, agents, about.

Each request is authenticated either with an LRS credential (HTTP Basic) or,
when the host application says so, as a signed-in learner who may only read
and write statements and state about themselves.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from . import VERSION, attachments, documents, store
from .alternate import ALTERNATE, TooLarge, read_body
from .credentials import authenticate
from .times import parse
from .validation import (
    MAX_IRI,
    MAX_MEDIA_TYPE,
    StatementError,
    check_uuid,
    is_iri,
    parse_json,
    validate_agent,
)

bp = Blueprint("xapi", __name__)

READ_SCOPES = {"all", "all/read", "statements/read", "statements/read/mine"}
WRITE_SCOPES = {"all", "statements/write"}
STATEMENT_PARAMETERS = {"statementId", "voidedStatementId", "agent", "verb", "activity", "registration",
                        "related_activities", "related_agents", "since", "until", "limit", "format", "attachments",
                        "ascending", "more"}
FORMATS = ("exact", "ids", "canonical")
BOOLEANS = {"true": True, "false": False}


@dataclass
class Principal:
    """Who is calling: a credential's holder, or a signed-in learner (``own_agent``)."""

    scopes: set[str]
    authority: dict
    own_agent: dict | None = None

    @property
    def authority_key(self) -> str:
        return store.agent_key(self.authority)


def db():
    """Return the host application's database session."""
    return current_app.extensions["xapi"]["session"]()


def _settings() -> dict:
    return current_app.extensions["xapi"]


# --- every request ------------------------------------------------------------------------------

@bp.before_request
def check_request():
    """Require the xAPI version header and a caller (``about`` and CORS preflights are public)."""
    if request.method == "OPTIONS" or request.endpoint == "xapi.about":
        return None
    version = request.headers.get("X-Experience-API-Version")
    if not version:
        abort(400, description="the X-Experience-API-Version header is required")
    if not _supported(version):
        abort(400, description=f"xAPI version {version} is not supported; use {VERSION}")
    g.xapi_principal = _principal()
    return None


def _supported(version: str) -> bool:
    parts = version.split(".")
    return len(parts) in (2, 3) and parts[:2] == ["1", "0"] and all(p.isdigit() for p in parts)


def _principal() -> Principal:
    auth = request.authorization
    if auth is not None:
        credential = None
        if auth.type == "basic" and auth.username and auth.password:
            credential = authenticate(db(), auth.username, auth.password)
        if credential is None:
            abort(401, description="valid LRS credentials (HTTP Basic) are required")
        authority = {"objectType": "Agent", "name": credential.name,
                     "account": {"homePage": _settings()["home_page"](), "name": credential.key}}
        if credential.agent:  # a learner's own key: what a signed-in learner may do, as them
            return Principal(set(credential.scope_list), authority, own_agent=json.loads(credential.agent))
        return Principal(set(credential.scope_list), authority)
    session_agent = _settings()["session_agent"]
    agent = session_agent() if session_agent else None
    if agent is None:
        abort(401, description="valid LRS credentials (HTTP Basic) are required")
    if request.environ.get(ALTERNATE):
        # A form on any site can send the alternate syntax, the version "header" included, with the
        # learner's cookie: only a caller that shows credentials may use it.
        abort(403, description="the alternate request syntax (a method parameter) needs LRS credentials "
                               "(HTTP Basic); a signed-in learner sends the request itself")
    return Principal({"statements/write", "statements/read/mine", "state"},
                     _settings()["session_authority"](), own_agent=agent)


def _require(scopes: set[str]) -> Principal:
    principal = g.xapi_principal
    if not scopes & principal.scopes:
        abort(403, description="these credentials may not do this; ask for a key with the right scope")
    return principal


def _only(allowed: set[str], required: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        abort(400, description=f"unknown parameter {unknown[0]!r}; this resource takes "
                               f"{', '.join(sorted(allowed)) or 'no parameters'} (names are case-sensitive)")
    for name in required:
        if not request.args.get(name):
            abort(400, description=f"the {name} parameter is required")


def handle_http_error(exc: HTTPException):
    response = jsonify({"error": {"code": exc.name.lower().replace(" ", "-"), "message": exc.description}})
    response.status_code = exc.code or 500
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Passerelle LRS"'
    return response


bp.register_error_handler(HTTPException, handle_http_error)


def _bad(exc: Exception):
    abort(400, description=str(exc))


# --- about ----------------------------------------------------------------------------------------

@bp.get("/about")
def about():
    """Tell clients which xAPI versions this LRS speaks."""
    _only(set())
    return jsonify({"version": [VERSION], "extensions": {}})


# --- statements -----------------------------------------------------------------------------------

@bp.get("/statements")
def get_statements():
    """Return one statement by id, or a page of statements matching the filters."""
    principal = _require(READ_SCOPES)
    _only(STATEMENT_PARAMETERS)
    args = request.args
    fmt = args.get("format", "exact")
    if fmt not in FORMATS:
        abort(400, description=f"format must be one of {', '.join(FORMATS)}")
    with_attachments = _flag("attachments")
    mine = principal.authority_key if _reads_mine_only(principal) else None
    single = [name for name in ("statementId", "voidedStatementId") if name in args]
    try:
        if single:
            others = set(args) - {single[0], "format", "attachments"}
            if len(single) > 1 or others:
                abort(400, description=f"{single[0]} may be combined only with format and attachments")
            statement = store.get_statement(db(), args[single[0]], voided=single[0] == "voidedStatementId",
                                            authority=mine)
            if statement is None or not _may_read(principal, statement):
                abort(404, description=f"no {'voided ' if single[0].startswith('voided') else ''}statement "
                                       f"with id {args[single[0]]}")
            return _statements_response(statement, [statement], fmt, with_attachments)
        query = _query_from_args()
        query.authority = mine
        if principal.own_agent is not None:
            if query.agent is not None and store.agent_key(query.agent) != store.agent_key(principal.own_agent):
                abort(403, description="a learner may read only their own statements")
            query.agent = principal.own_agent
        found, after = store.query_statements_json(db(), query)
    except StatementError as exc:
        _bad(exc)
    more = url_for("xapi.get_statements", more=_encode_more(query, after)) if after is not None else ""
    if fmt == "exact" and not with_attachments:
        # The stored JSON goes out as it is: no parsing and re-serialising of each statement.
        body = '{"statements":[' + ",".join(found) + '],"more":' + json.dumps(more) + "}"
        return current_app.response_class(body, content_type="application/json")
    statements = [json.loads(data) for data in found]
    return _statements_response({"statements": statements, "more": more}, statements, fmt, with_attachments)


def _reads_mine_only(principal: Principal) -> bool:
    return principal.own_agent is None and not ({"all", "all/read", "statements/read"} & principal.scopes)


def _may_read(principal: Principal, statement: dict) -> bool:
    own = principal.own_agent
    return own is None or store.agent_key(statement["actor"]) == store.agent_key(own)


def _statements_response(document: dict, statements: list[dict], fmt: str, with_attachments: bool):
    if fmt != "exact":
        languages = [lang for lang, _ in request.accept_languages]
        canonical = store.canonical_definitions(db(), store.activity_ids(statements)) if fmt == "canonical" else {}
        formatted = [store.format_statement(s, fmt, languages, canonical) for s in statements]
        if "statements" in document:
            document = dict(document, statements=formatted)
        else:
            document = formatted[0]
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if with_attachments:
        body, content_type = attachments.build(body, store.attachments_for(db(), statements))
    else:
        content_type = "application/json"
    return current_app.response_class(body, content_type=content_type)


@bp.post("/statements")
def post_statements():
    """Store one statement or a list of them; return their ids."""
    principal = _require(WRITE_SCOPES)
    _only(set())
    data, parts = _statements_body()
    statements = data if isinstance(data, list) else [data]
    most = _settings()["max_batch"]
    if len(statements) > most:
        abort(413, description=f"a request may hold at most {most} statements ({len(statements)} sent); "
                               "send the rest in further requests")
    return jsonify(_store(principal, statements, parts))


@bp.put("/statements")
def put_statement():
    """Store one statement under the id given in the query string."""
    principal = _require(WRITE_SCOPES)
    _only({"statementId"}, required=("statementId",))
    data, parts = _statements_body()
    if not isinstance(data, dict):
        abort(400, description="PUT /statements takes a single statement (a JSON object)")
    try:
        statement_id = check_uuid(request.args["statementId"], "statementId")
        if "id" in data and check_uuid(data["id"], "id") != statement_id:
            abort(400, description="the statement's id differs from the statementId parameter")
    except StatementError as exc:
        _bad(exc)
    _store(principal, [dict(data, id=statement_id)], parts)
    return current_app.response_class(status=204)


def _statements_body():
    content_type = request.content_type or ""
    media = content_type.split(";")[0].strip().lower()
    body = _body()
    try:
        if media == "multipart/mixed":
            return attachments.statements_and_parts(body, content_type)
        if media != "application/json":
            abort(400, description="statements are sent as application/json, or as multipart/mixed with "
                                   "attachments")
        return _json(body), []
    except StatementError as exc:
        _bad(exc)


def _store(principal: Principal, statements: list, parts: list) -> list[str]:
    session = db()
    try:
        if principal.own_agent is not None:
            _check_learners_statements(session, principal, statements)
        attachments.check(statements, parts)

        def work() -> list[str]:  # tried again whole, what the host derives included, when it loses a race
            with store.gathered(session):  # what listens to the store hears the whole once
                ids = store.store_statements(session, statements, principal.authority, parts,
                                             forward=_settings()["forward"](), json_checked=True)
                if _settings()["on_stored"]:
                    _settings()["on_stored"](session, statements)
            return ids
        ids = store.retrying(session, work)
    except StatementError as exc:
        session.rollback()
        _bad(exc)
    except store.ConflictError as exc:
        session.rollback()
        abort(409, description=str(exc))
    except store.StoreBusy as exc:  # not a conflict: the client must send the statements again
        session.rollback()
        abort(503, description=str(exc))
    session.commit()
    return ids


def _check_learners_statements(session, principal: Principal, statements: list) -> None:
    """Let a learner send statements only as themselves, and void only statements they made themselves.

    The actor is the learner, or a Group whose only member is the learner: anyone else in it would be
    recorded as having done what the learner did.  A statement the learner made is about them *and*
    stored with their own authority (their session, or this key): what the LMS recorded about them under
    its authority (a graded quiz, a completion) is theirs to read, not to undo.  Raises StatementError
    for a malformed actor (400); refuses the rest with 403.
    """
    own = store.agent_key(principal.own_agent)
    targets = []
    for n, statement in enumerate(statements):
        if not isinstance(statement, dict) or not isinstance(statement.get("actor"), dict):
            continue  # not a statement at all: the validation refuses it
        prefix = f"statement {n}: " if len(statements) > 1 else ""
        try:
            validate_agent(statement["actor"], "actor")
        except StatementError as exc:
            raise StatementError(prefix + str(exc)) from None
        actor = statement["actor"]
        if store.agent_key(actor) != own:
            abort(403, description="a learner may send only statements about themselves")
        if any(store.agent_key(member) != own for member in actor.get("member", [])):
            abort(403, description="a learner may not send statements for a group that holds other people")
        verb, obj = statement.get("verb"), statement.get("object")
        if isinstance(verb, dict) and verb.get("id") == store.VOIDED and isinstance(obj, dict) \
                and obj.get("objectType") == "StatementRef":
            targets.append(check_uuid(obj.get("id"), prefix + "object.id"))
    if not targets:
        return
    theirs = {own, principal.authority_key}
    stored = store.senders(session, targets)
    sent = {str(s["id"]).lower() for s in statements if isinstance(s, dict) and "id" in s}
    for target in targets:
        if target in stored:
            actor_key, authority_key = stored[target]
            if actor_key != own or authority_key not in theirs:
                abort(403, description=f"a learner may void only statements they sent themselves; "
                                       f"{target} was recorded by someone else")
        elif target not in sent:
            abort(403, description=f"a learner may void only statements they sent themselves; "
                                   f"{target} is not stored")


def _query_from_args() -> store.StatementQuery:
    args = request.args
    if "more" in args:
        if len(args) > 1:
            raise StatementError("more may not be combined with other parameters")
        return _decode_more(args["more"])
    query = store.StatementQuery()
    if "agent" in args:
        query.agent = _agent_arg()
    if "verb" in args:
        query.verb = _iri_arg("verb")
    if "activity" in args:
        query.activity = _iri_arg("activity")
    query.registration = args.get("registration") or None
    query.since = _time_arg("since")
    query.until = _time_arg("until")
    query.ascending = _flag("ascending")
    query.related_agents = _flag("related_agents")
    query.related_activities = _flag("related_activities")
    try:
        query.limit = int(args.get("limit", 0))
    except ValueError:
        raise StatementError("limit must be a whole number") from None
    if query.limit < 0:
        raise StatementError("limit may not be negative")
    return query


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").lower()
    if value not in BOOLEANS:
        abort(400, description=f"{name} must be true or false")
    return BOOLEANS[value]


def _agent_arg(name: str = "agent") -> dict:
    agent = parse_json(request.args[name], f"the {name} parameter")
    validate_agent(agent, name)
    return agent


def _iri_arg(name: str) -> str:
    value = request.args[name]
    if not is_iri(value):
        raise StatementError(f"{name} must be an IRI")
    return value


def _time_arg(name: str) -> dt.datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return parse(value)
    except (ValueError, OverflowError):  # OverflowError: a time before year 1 or after 9999 in UTC
        raise StatementError(f"{name} must be an ISO 8601 time between the years 1 and 9999 in UTC") from None


MORE_FIELDS = {"agent", "verb", "activity", "registration", "ascending", "limit", "related_agents",
               "related_activities", "since", "until", "after"}


def _encode_more(query: store.StatementQuery, after: int) -> str:
    state = {"agent": query.agent, "verb": query.verb, "activity": query.activity,
             "registration": query.registration, "ascending": query.ascending, "limit": query.limit,
             "related_agents": query.related_agents, "related_activities": query.related_activities,
             "since": query.since.isoformat() if query.since else None,
             "until": query.until.isoformat() if query.until else None, "after": after}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode_more(token: str) -> store.StatementQuery:
    """Read back a token made by :func:`_encode_more`; anything else is refused, field by field."""
    refused = StatementError("the more token is not one this LRS issued")
    try:
        state = parse_json(base64.urlsafe_b64decode(token.encode()), "the more token")
    except (binascii.Error, ValueError):
        raise refused from None
    if not isinstance(state, dict) or set(state) != MORE_FIELDS:
        raise refused
    try:
        if state["agent"] is not None:
            validate_agent(state["agent"], "agent")
        if any(state[name] is not None and not is_iri(state[name]) for name in ("verb", "activity")):
            raise refused
        if state["registration"] is not None:
            check_uuid(state["registration"], "registration")
        if any(not isinstance(state[name], bool) for name in ("ascending", "related_agents", "related_activities")):
            raise refused
        if any(type(state[name]) is not int or state[name] < 0 for name in ("limit", "after")):
            raise refused
        for name in ("since", "until"):
            if state[name] is not None:
                state[name] = parse(state[name]) if isinstance(state[name], str) else None
                if state[name] is None:
                    raise refused
    except (StatementError, ValueError, OverflowError):
        raise refused from None
    return store.StatementQuery(**state)


# --- activities and agents ------------------------------------------------------------------------

@bp.get("/activities")
def get_activity():
    """Return an activity with the canonical definition the LRS has learnt from statements."""
    _require(READ_SCOPES | {"profile", "state"})
    _only({"activityId"}, required=("activityId",))
    try:
        iri = _iri_arg("activityId")
    except StatementError as exc:
        _bad(exc)
    definitions = store.canonical_definitions(db(), {iri})
    if iri not in definitions:
        abort(404, description=f"no statement has mentioned the activity {iri}")
    activity = {"objectType": "Activity", "id": iri}
    if definitions[iri]:
        activity["definition"] = definitions[iri]
    return jsonify(activity)


@bp.get("/agents")
def get_person():
    """Return the Person object for an agent: every identifier and name the LRS knows for it."""
    _require(READ_SCOPES | {"profile", "state"})
    _only({"agent"}, required=("agent",))
    try:
        agent = _agent_arg()
    except StatementError as exc:
        _bad(exc)
    person = {"objectType": "Person"}
    if "name" in agent:
        person["name"] = [agent["name"]]
    for ifi in ("mbox", "mbox_sha1sum", "openid", "account"):
        if ifi in agent:
            person[ifi] = [agent[ifi]]
    return jsonify(person)


# --- documents ------------------------------------------------------------------------------------

DOCUMENT_ROUTES = {
    # kind: (path, id parameter, key parameters, scope)
    "state": ("/activities/state", "stateId", ("activityId", "agent", "registration"), "state"),
    "activity_profile": ("/activities/profile", "profileId", ("activityId",), "profile"),
    "agent_profile": ("/agents/profile", "profileId", ("agent",), "profile"),
}


def _document_key(kind: str, id_required: bool) -> documents.DocumentKey:
    """The document (or, without an id, the owner of the documents) a request names."""
    _, id_name, keys, _scope = DOCUMENT_ROUTES[kind]
    allowed = {id_name, *keys} | ({"since"} if request.method in ("GET", "HEAD") else set())
    required = tuple(k for k in keys if k != "registration") + ((id_name,) if id_required else ())
    _only(allowed, required)
    try:
        activity = _iri_arg("activityId") if "activityId" in keys else ""
        agent = _agent_arg() if "agent" in keys else None
        registration = check_uuid(request.args["registration"], "registration") \
            if request.args.get("registration") else ""
    except StatementError as exc:
        _bad(exc)
    document_id = request.args.get(id_name, "")
    if len(document_id) > MAX_IRI:
        abort(400, description=f"{id_name} is longer than {MAX_IRI} characters")
    principal = g.xapi_principal
    if agent is not None and principal.own_agent is not None \
            and store.agent_key(agent) != store.agent_key(principal.own_agent):
        abort(403, description="a learner may reach only their own documents")
    return documents.DocumentKey(kind, activity, store.agent_key(agent) if agent else "", registration,
                                 document_id)


def _preconditions(kind: str) -> documents.Preconditions:
    def tags(header: str):
        value = request.headers.get(header)
        if value is None:
            return None
        return tuple(t.strip().removeprefix("W/").strip('"') for t in value.split(",") if t.strip())
    return documents.Preconditions(if_match=tags("If-Match"), if_none_match=tags("If-None-Match"),
                                   required=kind != "state" and request.method == "PUT")


def _document_scope(kind: str, write: bool) -> None:
    scope = DOCUMENT_ROUTES[kind][3]
    _require({"all", scope} | (set() if write else {"all/read"}))


def document_get(kind: str):
    _document_scope(kind, write=False)
    id_name = DOCUMENT_ROUTES[kind][1]
    key = _document_key(kind, id_required=False)
    if id_name not in request.args:
        try:
            since = _time_arg("since")
        except StatementError as exc:
            _bad(exc)
        return jsonify(documents.ids(db(), key, since))
    if "since" in request.args:
        abort(400, description=f"since applies only when listing ids, without {id_name}")
    document = documents.get(db(), key)
    if document is None:
        abort(404, description=f"no document with {id_name} {key.document_id}")
    response = current_app.response_class(document.content, content_type=document.content_type)
    response.headers["ETag"] = f'"{document.etag}"'
    response.last_modified = document.updated
    return response


def document_write(kind: str):
    _document_scope(kind, write=True)
    key = _document_key(kind, id_required=True)
    content_type = request.content_type or "application/octet-stream"
    if len(content_type) > MAX_MEDIA_TYPE:
        abort(400, description=f"the Content-Type header is longer than {MAX_MEDIA_TYPE} characters")
    body = _body()
    write = documents.put if request.method == "PUT" else documents.post
    session = db()
    try:
        # A first write that meets another request's first write of the same document is tried again,
        # and then replaces or merges into it as any later write would (its preconditions checked anew).
        document = store.retrying(session, lambda: write(session, key, body, content_type, _preconditions(kind)))
    except documents.DocumentError as exc:
        session.rollback()
        _bad(exc)
    except documents.PreconditionFailed as exc:
        session.rollback()
        abort(412, description=str(exc))
    except documents.ConcurrencyConflict as exc:
        session.rollback()
        abort(409, description=str(exc))
    except store.StoreBusy as exc:
        session.rollback()
        abort(503, description=str(exc))
    session.commit()
    response = current_app.response_class(status=204)
    response.headers["ETag"] = f'"{document.etag}"'
    return response


def document_delete(kind: str):
    _document_scope(kind, write=True)
    id_name = DOCUMENT_ROUTES[kind][1]
    key = _document_key(kind, id_required=kind != "state")  # only state documents are deleted in bulk
    session = db()
    try:
        if id_name in request.args:
            documents.delete_one(session, key, _preconditions(kind))
        else:
            documents.delete_all(session, key)
    except documents.PreconditionFailed as exc:
        session.rollback()
        abort(412, description=str(exc))
    session.commit()
    return current_app.response_class(status=204)


for _kind, (_path, *_rest) in DOCUMENT_ROUTES.items():
    bp.add_url_rule(_path, f"{_kind}_get", document_get, methods=["GET"], defaults={"kind": _kind})
    bp.add_url_rule(_path, f"{_kind}_write", document_write, methods=["PUT", "POST"], defaults={"kind": _kind})
    bp.add_url_rule(_path, f"{_kind}_delete", document_delete, methods=["DELETE"], defaults={"kind": _kind})


# --- bodies ---------------------------------------------------------------------------------------

def _body() -> bytes:
    try:
        return read_body(request.environ, _settings()["max_body"])
    except TooLarge as exc:
        abort(413, description=str(exc))
    except ValueError as exc:  # a Content-Length that is no length
        abort(400, description=str(exc))


def _json(body: bytes):
    try:
        return parse_json(body or b"null", "the body")
    except StatementError as exc:
        _bad(exc)
