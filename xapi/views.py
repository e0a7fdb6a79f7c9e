"""The LRS's HTTP interface (xAPI 1.0.3): statements and about."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

from flask import Blueprint, abort, current_app, g, jsonify, request, url_for

from . import VERSION, store
from .validation import StatementError

bp = Blueprint("xapi", __name__)

READ_SCOPES = {"all", "all/read", "statements/read", "statements/read/mine"}
WRITE_SCOPES = {"all", "statements/write"}


def db():
    """Return the host application's database session."""
    return current_app.extensions["xapi"]()


@bp.before_request
def check_request():
    """Require the xAPI version header and valid credentials (``about`` is public)."""
    if request.method == "OPTIONS" or request.endpoint == "xapi.about":
        return None
    version = request.headers.get("X-Experience-API-Version")
    if not version:
        abort(400, description="the X-Experience-API-Version header is required")
    if not version.startswith("1.0"):
        abort(400, description=f"xAPI version {version} is not supported; use {VERSION}")
    auth = request.authorization
    credential = None
    if auth is not None and auth.type == "basic" and auth.username and auth.password:
        credential = store.authenticate(db(), auth.username, auth.password)
    if credential is None:
        abort(401, description="valid LRS credentials (HTTP Basic) are required")
    g.xapi_credential = credential
    return None


@bp.after_request
def version_header(response):
    response.headers["X-Experience-API-Version"] = VERSION
    return response


@bp.get("/about")
def about():
    """Tell clients which xAPI versions this LRS speaks."""
    return jsonify({"version": [VERSION]})


@bp.get("/statements")
def get_statements():
    """Return one statement by id, or a page of statements matching the filters."""
    _require_scope(READ_SCOPES)
    statement_id = request.args.get("statementId")
    try:
        if statement_id:
            statement = store.get_statement(db(), statement_id)
            if statement is None:
                abort(404, description=f"no statement with id {statement_id}")
            return _with_consistency(jsonify(statement))
        query = _query_from_args()
        statements, after = store.query_statements(db(), query)
    except StatementError as exc:
        abort(400, description=str(exc))
    more = ""
    if after is not None:
        more = url_for("xapi.get_statements", more=_encode_more(query, after))
    return _with_consistency(jsonify({"statements": statements, "more": more}))


@bp.post("/statements")
def post_statements():
    """Store one statement or a list of them; return their ids."""
    _require_scope(WRITE_SCOPES)
    data = _json_body()
    statements = data if isinstance(data, list) else [data]
    ids = _store(statements)
    return _with_consistency(jsonify(ids))


@bp.put("/statements")
def put_statement():
    """Store one statement under the id given in the query string."""
    _require_scope(WRITE_SCOPES)
    statement_id = request.args.get("statementId")
    if not statement_id:
        abort(400, description="PUT /statements needs a statementId parameter")
    data = _json_body()
    if not isinstance(data, dict):
        abort(400, description="PUT /statements takes a single statement")
    if "id" in data and str(data["id"]).lower() != statement_id.lower():
        abort(400, description="the statement's id differs from statementId")
    _store([dict(data, id=statement_id)])
    return _with_consistency(current_app.response_class(status=204))


def _store(statements: list) -> list[str]:
    session = db()
    authority = store.credential_authority(g.xapi_credential, request.host_url)
    try:
        ids = store.store_statements(session, statements, authority)
    except StatementError as exc:
        session.rollback()
        abort(400, description=str(exc))
    except store.ConflictError as exc:
        session.rollback()
        abort(409, description=str(exc))
    session.commit()
    return ids


def _require_scope(allowed: set[str]) -> None:
    if not allowed & set(g.xapi_credential.scope_list):
        abort(403, description="these credentials may not do this; ask for a key with the right scope")


def _json_body():
    if request.content_length and request.content_length > current_app.config.get("XAPI_MAX_BODY", 10 * 2**20):
        abort(413, description="the request body is too large")
    try:
        return json.loads(request.get_data(cache=False) or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        abort(400, description=f"the body is not valid JSON: {exc}")


def _query_from_args() -> store.StatementQuery:
    args = request.args
    if "more" in args:
        return _decode_more(args["more"])
    query = store.StatementQuery()
    if "agent" in args:
        try:
            query.agent = json.loads(args["agent"])
        except json.JSONDecodeError:
            raise StatementError("agent must be a JSON object") from None
    query.verb = args.get("verb")
    query.activity = args.get("activity")
    query.registration = args.get("registration")
    query.since = _time_arg("since")
    query.until = _time_arg("until")
    query.ascending = args.get("ascending", "false").lower() == "true"
    try:
        query.limit = int(args.get("limit", 0)) or store.MAX_LIMIT
    except ValueError:
        raise StatementError("limit must be a whole number") from None
    return query


def _time_arg(name: str) -> dt.datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise StatementError(f"{name} must be an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _encode_more(query: store.StatementQuery, after: int) -> str:
    state = {"agent": query.agent, "verb": query.verb, "activity": query.activity,
             "registration": query.registration, "ascending": query.ascending, "limit": query.limit,
             "since": query.since.isoformat() if query.since else None,
             "until": query.until.isoformat() if query.until else None, "after": after}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def _decode_more(token: str) -> store.StatementQuery:
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        for name in ("since", "until"):
            if state[name]:
                state[name] = dt.datetime.fromisoformat(state[name])
        return store.StatementQuery(**state)
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise StatementError("the more token is not one this LRS issued") from None


def _with_consistency(response):
    response.headers["X-Experience-API-Consistent-Through"] = store.timestamp(store.now())
    return response
