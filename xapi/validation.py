"""Check statements received from LRS clients before they are stored."""

from __future__ import annotations

import re
import uuid

_IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


class StatementError(ValueError):
    """A statement is malformed; the message says what is wrong."""


def validate_statement(data) -> None:
    """Raise :class:`StatementError` unless ``data`` is a well-formed statement."""
    if not isinstance(data, dict):
        raise StatementError("a statement must be a JSON object")
    for key in ("actor", "verb", "object"):
        if key not in data:
            raise StatementError(f"the statement has no {key!r}")
    if "id" in data:
        check_uuid(data["id"], "id")
    validate_agent(data["actor"], "actor")
    verb = data["verb"]
    if not isinstance(verb, dict) or not _is_iri(verb.get("id")):
        raise StatementError("verb.id must be an IRI")
    obj = data["object"]
    if not isinstance(obj, dict):
        raise StatementError("object must be a JSON object")
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        if not _is_iri(obj.get("id")):
            raise StatementError("object.id must be an IRI")
    elif kind in ("Agent", "Group"):
        validate_agent(obj, "object")
    elif kind == "StatementRef":
        check_uuid(obj.get("id"), "object.id")
    elif kind != "SubStatement":
        raise StatementError(f"unknown object.objectType {kind!r}")
    context = data.get("context")
    if context is not None:
        if not isinstance(context, dict):
            raise StatementError("context must be a JSON object")
        if "registration" in context:
            check_uuid(context["registration"], "context.registration")


def validate_agent(agent, where: str) -> None:
    """Raise unless ``agent`` is an Agent or Group with exactly one identifier."""
    if not isinstance(agent, dict):
        raise StatementError(f"{where} must be a JSON object")
    ifis = [key for key in _IFIS if key in agent]
    if agent.get("objectType") == "Group" and not ifis:
        if not isinstance(agent.get("member"), list):
            raise StatementError(f"{where} is an anonymous group without members")
        return
    if len(ifis) != 1:
        raise StatementError(f"{where} must have exactly one of {', '.join(_IFIS)}")
    account = agent.get("account")
    if account is not None and (not isinstance(account, dict) or not _is_iri(account.get("homePage"))
                                or not isinstance(account.get("name"), str)):
        raise StatementError(f"{where}.account needs a homePage IRI and a name")


def check_uuid(value, where: str) -> str:
    """Return ``value`` normalised if it is a UUID string, else raise."""
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        raise StatementError(f"{where} must be a UUID") from None


def _is_iri(value) -> bool:
    return isinstance(value, str) and bool(_IRI.match(value))
