"""Check statements, agents and documents' identifiers received from LRS clients.

Every check follows xAPI 1.0.3 (Data section) and raises :class:`StatementError`
with the path of the offending field, e.g. ``object.definition.choices[2].id``,
so a client's developer can find it at once.
"""

from __future__ import annotations

import json
import math
import re

from .times import parse as parse_time

# Every pattern is matched whole (``fullmatch``) and only on strings no longer than their bound, so that no
# client's string makes a check slow: see :func:`_matches`.
# A URI scheme, a colon, then no whitespace (RFC 3986/3987, loosely: the rest is the client's business).
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# The local part cannot hold "@", so the address splits at its one "@" without backtracking; the domain's
# dot is looked for apart (see is_mailto).
_MAILTO = re.compile(r"mailto:[^@\s:/]+@([^@\s]+)")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")
_SHA2 = re.compile(r"[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}")
# RFC 5646 language tags: language[-script][-region](-variant)*(-extension)*[-privateuse], or private use.
_LANGUAGE = re.compile(
    r"(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?"
    r"|[xX](?:-[A-Za-z0-9]{1,8})+)")
# ISO 8601 date and time with a time zone; "-00:00" (an unknown offset) is refused by xAPI.
_TIMESTAMP = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?"
    r"(Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?")
# ISO 8601 durations: PnYnMnDTnHnMnS (any part may be left out), or weeks alone (PnW).
_DURATION = re.compile(
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?|P\d+(\.\d+)?W")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;.*)?")
_VERSION = re.compile(r"1\.0(\.\d{1,9})?")

#: Longest strings accepted, in characters.  An e-mail address has at most 254 (RFC 5321); the record
#: store's index columns hold 1,024, which an IRI or an agent's identifier must fit with its prefix.
MAX_EMAIL = 254
MAX_IRI = 1000
MAX_ACCOUNT = 1000  # an account's homePage and name together
MAX_LANGUAGE_TAG = 100
MAX_TIMESTAMP = 64
MAX_DURATION = 64
MAX_MEDIA_TYPE = 255
#: JSON from clients: how deep objects and lists may nest, and how many characters a number may have.
MAX_JSON_DEPTH = 32
MAX_NUMBER_LENGTH = 64
_LARGEST_INT = 10 ** MAX_NUMBER_LENGTH

IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
INTERACTION_TYPES = ("true-false", "choice", "fill-in", "long-fill-in", "matching", "performance",
                     "sequencing", "likert", "numeric", "other")
#: The component lists each interaction type may carry.
INTERACTION_COMPONENTS = {"choice": ("choices",), "sequencing": ("choices",), "likert": ("scale",),
                          "matching": ("source", "target"), "performance": ("steps",)}
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"


class StatementError(ValueError):
    """A statement or parameter is malformed; the message says which field and why."""


# --- primitives -----------------------------------------------------------------------------------

def _fail(where: str, why: str):
    raise StatementError(f"{where} {why}")


def _object(value, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    """Check ``value`` is a JSON object with only ``allowed`` keys, ``required`` ones present, no nulls."""
    if not isinstance(value, dict):
        _fail(where, "must be a JSON object")
    for key, item in value.items():
        if key not in allowed:
            _fail(f"{where}.{key}", f"is not a property of this object (allowed: {', '.join(allowed)})")
        if item is None:
            _fail(f"{where}.{key}", "may not be null")
    for key in required:
        if key not in value:
            _fail(f"{where}.{key}", "is required")
    return value


def _string(value, where: str) -> str:
    if not isinstance(value, str):
        _fail(where, "must be a string")
    return value


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, "must be true or false")
    return value


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(where, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        _fail(where, "must be a finite number (JSON has no NaN or Infinity)")
    return value


def _matches(pattern: re.Pattern, value, longest: int) -> bool:
    """Tell whether ``value`` is a string of at most ``longest`` characters that ``pattern`` matches whole.

    The length is checked first, so that no pattern ever runs on a client's megabyte.
    """
    return isinstance(value, str) and len(value) <= longest and pattern.fullmatch(value) is not None


def _shown(value, longest: int = 80) -> str:
    """``value`` for an error message, cut short: the message must not echo a client's megabyte."""
    text = repr(value)
    return text if len(text) <= longest else text[:longest] + "…"


def is_iri(value) -> bool:
    return _matches(_IRI, value, MAX_IRI)


def _iri(value, where: str) -> str:
    if isinstance(value, str) and len(value) > MAX_IRI:
        _fail(where, f"is longer than {MAX_IRI} characters")
    if not is_iri(value):
        _fail(where, f"must be an IRI with a scheme, such as https://example.org/x (got {_shown(value)})")
    return value


def is_mailto(value) -> bool:
    """Tell whether ``value`` is ``mailto:`` and an e-mail address whose domain has a dot inside."""
    match = _MAILTO.fullmatch(value) if isinstance(value, str) and len(value) <= 7 + MAX_EMAIL else None
    return match is not None and "." in match[1][1:-1]


def check_uuid(value, where: str) -> str:
    """Return ``value`` in canonical lower case if it is a UUID string, else raise."""
    if not _matches(_UUID, value, 36):
        _fail(where, "must be a UUID such as 3b3a9b86-6b1e-4a7e-9f0a-0c2c7b1f2a10")
    return value.lower()  # what str(uuid.UUID(value)) gives for the one form the pattern lets through


def check_timestamp(value, where: str) -> str:
    if not _matches(_TIMESTAMP, value, MAX_TIMESTAMP):
        _fail(where, "must be an ISO 8601 date and time, such as 2026-03-01T09:30:00.000Z")
    if value.endswith(("-00", "-0000", "-00:00")):
        _fail(where, "may not use the offset -00:00; give the real offset or Z")
    try:
        parse_time(value)  # a real day, and a moment that exists in UTC (not 0001-01-01T00:00+01:00)
    except (ValueError, OverflowError):
        _fail(where, "is not a date and time that exists in UTC")
    return value


def check_language(value, where: str) -> str:
    if not _matches(_LANGUAGE, value, MAX_LANGUAGE_TAG):
        _fail(where, f"must be an RFC 5646 language tag such as en-US (got {_shown(value)})")
    return value


# --- JSON from clients ----------------------------------------------------------------------------

def parse_json(data: bytes | str, what: str):
    """Read JSON sent by a client (a body, a parameter, a document to merge); raise StatementError unless
    it is plain JSON of bounded size: nested at most :data:`MAX_JSON_DEPTH` levels (a batch's list is
    one), numbers finite and of at most :data:`MAX_NUMBER_LENGTH` characters.  ``what`` names it in the
    message ("the body").

    Every JSON the LRS receives comes in here, so that nothing deeper or larger reaches code (copying,
    formatting, the database) that would fail on it later, when the statement is read.
    """
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_int=_json_int, parse_float=_json_float)
    except RecursionError:
        raise StatementError(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatementError(f"{what} is not valid JSON: {exc}") from None
    check_json(value, what)
    return value


def _refuse_constant(name: str):
    raise StatementError(f"JSON has no {name}: numbers must be finite")


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_LENGTH:
        raise StatementError(f"a number has more than {MAX_NUMBER_LENGTH} characters")
    return int(text)


def _json_float(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise StatementError(f"a number has more than {MAX_NUMBER_LENGTH} characters")
    value = float(text)
    if not math.isfinite(value):
        raise StatementError(f"the number {text} is too large")
    return value


def check_json(value, where: str) -> None:
    """Raise unless ``value`` is plain JSON data of bounded size (see :func:`parse_json`).

    Level by level, without recursion, so that a value nested a million deep is refused as surely as
    one nested 33 deep; it runs on every statement stored, so it looks at each item once, cheaply.
    """
    level, depth = [value], 0
    while level:
        depth += 1
        deeper = []
        for item in level:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is not dict and kind is not list and kind is not float and kind is not int:
                kind = next((t for t in (bool, str, dict, list, tuple, float, int) if isinstance(item, t)), None)
                if kind is None:
                    _fail(where, f"holds a {type(item).__name__}, which is not JSON data")
                if kind is bool or kind is str:
                    continue
            if kind is float:
                if not math.isfinite(item):
                    _fail(where, "holds a number that is not finite (JSON has no NaN or Infinity)")
                continue
            if kind is int:
                if not -_LARGEST_INT < item < _LARGEST_INT:
                    _fail(where, f"holds a number of more than {MAX_NUMBER_LENGTH} digits")
                continue
            if depth > MAX_JSON_DEPTH:
                _fail(where, f"is nested more than {MAX_JSON_DEPTH} levels deep")
            if kind is dict:
                for key in item:
                    if type(key) is not str and not isinstance(key, str):
                        _fail(where, "has an object whose keys are not all strings")
                deeper += item.values()
            else:  # list or tuple
                deeper += item
        level = deeper


def _language_map(value, where: str) -> None:
    if not isinstance(value, dict):
        _fail(where, "must be a language map, such as {\"en-US\": \"text\"}")
    for key, text in value.items():
        check_language(key, f"{where} key")
        _string(text, f"{where}.{key}")


def _extensions(value, where: str) -> None:
    if not isinstance(value, dict):
        _fail(where, "must be a JSON object whose keys are IRIs")
    for key in value:
        _iri(key, f"{where} key")


# --- agents ---------------------------------------------------------------------------------------

def validate_agent(agent, where: str, *, allow_group: bool = True) -> None:
    """Raise unless ``agent`` is an Agent, or (when allowed) a Group, as xAPI defines them."""
    if not isinstance(agent, dict):
        _fail(where, "must be a JSON object (an Agent or a Group)")
    kind = agent.get("objectType", "Agent")
    if kind == "Group":
        if not allow_group:
            _fail(where, "must be an Agent, not a Group")
        _object(agent, where, ("objectType", "name", "member") + IFIS)
        ifis = [key for key in IFIS if key in agent]
        if len(ifis) > 1:
            _fail(where, f"has more than one identifier ({', '.join(ifis)}); give exactly one")
        if not ifis and "member" not in agent:
            _fail(where, "is an anonymous group, so it needs a member list")
        if "member" in agent:
            if not isinstance(agent["member"], list):
                _fail(f"{where}.member", "must be a list of Agents")
            for n, member in enumerate(agent["member"]):
                validate_agent(member, f"{where}.member[{n}]", allow_group=False)
    elif kind == "Agent":
        _object(agent, where, ("objectType", "name") + IFIS)
        ifis = [key for key in IFIS if key in agent]
        if len(ifis) != 1:
            _fail(where, f"must have exactly one of {', '.join(IFIS)}")
    else:
        _fail(f"{where}.objectType", f"must be Agent or Group (got {_shown(kind)})")
    if "name" in agent:
        _string(agent["name"], f"{where}.name")
    _check_ifi(agent, where)


def _check_ifi(agent: dict, where: str) -> None:
    if "mbox" in agent:
        mbox = agent["mbox"]
        if isinstance(mbox, str) and len(mbox) > 7 + MAX_EMAIL:
            _fail(f"{where}.mbox", f"is too long: an e-mail address has at most {MAX_EMAIL} characters")
        if not is_mailto(mbox):
            _fail(f"{where}.mbox", "must be mailto: followed by an e-mail address")
    if "mbox_sha1sum" in agent and not _matches(_SHA1, agent["mbox_sha1sum"], 40):
        _fail(f"{where}.mbox_sha1sum", "must be the 40 hexadecimal digits of a SHA-1")
    if "openid" in agent:
        _iri(agent["openid"], f"{where}.openid")
    if "account" in agent:
        account = _object(agent["account"], f"{where}.account", ("homePage", "name"), ("homePage", "name"))
        _iri(account["homePage"], f"{where}.account.homePage")
        _string(account["name"], f"{where}.account.name")
        if len(account["homePage"]) + len(account["name"]) > MAX_ACCOUNT:
            _fail(f"{where}.account", f"is too long: homePage and name together may hold {MAX_ACCOUNT} characters")


def validate_authority(authority, where: str = "authority") -> None:
    """An authority is an Agent, or an anonymous Group of exactly two Agents (OAuth's three-legged case)."""
    validate_agent(authority, where)
    if authority.get("objectType") == "Group":
        if any(key in authority for key in IFIS):
            _fail(where, "may be a Group only when it is anonymous")
        if len(authority.get("member", [])) != 2:
            _fail(f"{where}.member", "must hold exactly two Agents")


# --- activities -----------------------------------------------------------------------------------

def validate_activity(activity, where: str) -> None:
    _object(activity, where, ("objectType", "id", "definition"), ("id",))
    _iri(activity["id"], f"{where}.id")
    if "definition" in activity:
        _definition(activity["definition"], f"{where}.definition")


def _definition(definition, where: str) -> None:
    _object(definition, where, ("name", "description", "type", "moreInfo", "extensions", "interactionType",
                                "correctResponsesPattern") + COMPONENT_LISTS)
    for key in ("name", "description"):
        if key in definition:
            _language_map(definition[key], f"{where}.{key}")
    for key in ("type", "moreInfo"):
        if key in definition:
            _iri(definition[key], f"{where}.{key}")
    if "extensions" in definition:
        _extensions(definition["extensions"], f"{where}.extensions")
    kind = definition.get("interactionType")
    if kind is not None and kind not in INTERACTION_TYPES:
        _fail(f"{where}.interactionType", f"must be one of {', '.join(INTERACTION_TYPES)}")
    if "correctResponsesPattern" in definition:
        if kind is None:
            _fail(f"{where}.correctResponsesPattern", "needs an interactionType")
        patterns = definition["correctResponsesPattern"]
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            _fail(f"{where}.correctResponsesPattern", "must be a list of strings")
    for key in COMPONENT_LISTS:
        if key not in definition:
            continue
        if key not in INTERACTION_COMPONENTS.get(kind, ()):
            _fail(f"{where}.{key}", f"is not allowed with interactionType {_shown(kind)}")
        components = definition[key]
        if not isinstance(components, list):
            _fail(f"{where}.{key}", "must be a list of interaction components")
        seen = set()
        for n, component in enumerate(components):
            at = f"{where}.{key}[{n}]"
            _object(component, at, ("id", "description"), ("id",))
            _string(component["id"], f"{at}.id")
            if component["id"] in seen:
                _fail(f"{at}.id", f"repeats the id {_shown(component['id'])}")
            seen.add(component["id"])
            if "description" in component:
                _language_map(component["description"], f"{at}.description")


# --- statements -----------------------------------------------------------------------------------

STATEMENT_KEYS = ("id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
                  "version", "attachments")
SUBSTATEMENT_KEYS = ("objectType", "actor", "verb", "object", "result", "context", "timestamp", "attachments")


def validate_statement(data, *, json_checked: bool = False) -> None:
    """Raise :class:`StatementError` unless ``data`` is a well-formed xAPI 1.0.3 statement.

    ``json_checked``: ``data`` was read by :func:`parse_json`, which checked it is plain JSON of bounded
    size (a request's body, looked at whole once rather than again statement by statement).
    """
    if not json_checked:
        check_json(data, "statement")
    _object(data, "statement", STATEMENT_KEYS, ("actor", "verb", "object"))
    if "id" in data:
        check_uuid(data["id"], "id")
    if "stored" in data:
        check_timestamp(data["stored"], "stored")
    if "authority" in data:
        validate_authority(data["authority"])
    if "version" in data:
        version = _string(data["version"], "version")
        if not _matches(_VERSION, version, 16):
            _fail("version", f"must be a 1.0.x version (got {_shown(version)})")
    _statement_body(data, "")


def _statement_body(data: dict, prefix: str) -> None:
    validate_agent(data["actor"], prefix + "actor")
    verb = _object(data["verb"], prefix + "verb", ("id", "display"), ("id",))
    _iri(verb["id"], prefix + "verb.id")
    if "display" in verb:
        _language_map(verb["display"], prefix + "verb.display")
    obj = data["object"]
    where = prefix + "object"
    if not isinstance(obj, dict):
        _fail(where, "must be a JSON object")
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        validate_activity(obj, where)
    elif kind in ("Agent", "Group"):
        validate_agent(obj, where)
    elif kind == "StatementRef":
        _object(obj, where, ("objectType", "id"), ("id",))
        check_uuid(obj["id"], where + ".id")
    elif kind == "SubStatement":
        if prefix:
            _fail(where, "may not be a SubStatement inside a SubStatement")
        _object(obj, where, SUBSTATEMENT_KEYS, ("actor", "verb", "object"))
        _statement_body(obj, where + ".")
    else:
        _fail(where + ".objectType",
              f"must be Activity, Agent, Group, StatementRef or SubStatement (got {_shown(kind)})")
    if "result" in data:
        _result(data["result"], prefix + "result")
    if "context" in data:
        _context(data["context"], prefix + "context", kind)
    if "timestamp" in data:
        check_timestamp(data["timestamp"], prefix + "timestamp")
    if "attachments" in data:
        validate_attachments(data["attachments"], prefix + "attachments")


def _result(result, where: str) -> None:
    _object(result, where, ("score", "success", "completion", "response", "duration", "extensions"))
    if "score" in result:
        score = _object(result["score"], f"{where}.score", ("scaled", "raw", "min", "max"))
        for key in score:
            _number(score[key], f"{where}.score.{key}")
        if "scaled" in score and not -1 <= score["scaled"] <= 1:
            _fail(f"{where}.score.scaled", "must be between -1 and 1")
        if "min" in score and "max" in score and score["min"] >= score["max"]:
            _fail(f"{where}.score.min", "must be less than max")
        if "raw" in score:
            if "min" in score and score["raw"] < score["min"]:
                _fail(f"{where}.score.raw", "may not be below min")
            if "max" in score and score["raw"] > score["max"]:
                _fail(f"{where}.score.raw", "may not be above max")
    for key in ("success", "completion"):
        if key in result:
            _bool(result[key], f"{where}.{key}")
    if "response" in result:
        _string(result["response"], f"{where}.response")
    if "duration" in result:
        if not _matches(_DURATION, result["duration"], MAX_DURATION):
            _fail(f"{where}.duration", "must be an ISO 8601 duration such as PT1H30M")
    if "extensions" in result:
        _extensions(result["extensions"], f"{where}.extensions")


def _context(context, where: str, object_type: str) -> None:
    _object(context, where, ("registration", "instructor", "team", "contextActivities", "revision", "platform",
                             "language", "statement", "extensions"))
    if "registration" in context:
        check_uuid(context["registration"], f"{where}.registration")
    if "instructor" in context:
        validate_agent(context["instructor"], f"{where}.instructor")
    if "team" in context:
        team = context["team"]
        if not isinstance(team, dict) or team.get("objectType") != "Group":
            _fail(f"{where}.team", "must be a Group")
        validate_agent(team, f"{where}.team")
    if "contextActivities" in context:
        activities = _object(context["contextActivities"], f"{where}.contextActivities",
                             ("parent", "grouping", "category", "other"))
        for key, value in activities.items():
            items = value if isinstance(value, list) else [value]
            for n, item in enumerate(items):
                validate_activity(item, f"{where}.contextActivities.{key}[{n}]")
                if item.get("objectType", "Activity") != "Activity":
                    _fail(f"{where}.contextActivities.{key}[{n}].objectType", "must be Activity")
    for key in ("revision", "platform"):
        if key in context:
            _string(context[key], f"{where}.{key}")
            if object_type != "Activity":
                _fail(f"{where}.{key}", "may only be given when the object is an Activity")
    if "language" in context:
        check_language(context["language"], f"{where}.language")
    if "statement" in context:
        ref = _object(context["statement"], f"{where}.statement", ("objectType", "id"), ("objectType", "id"))
        if ref["objectType"] != "StatementRef":
            _fail(f"{where}.statement.objectType", "must be StatementRef")
        check_uuid(ref["id"], f"{where}.statement.id")
    if "extensions" in context:
        _extensions(context["extensions"], f"{where}.extensions")


def validate_attachments(attachments, where: str = "attachments") -> None:
    if not isinstance(attachments, list):
        _fail(where, "must be a list of attachments")
    for n, attachment in enumerate(attachments):
        at = f"{where}[{n}]"
        _object(attachment, at, ("usageType", "display", "description", "contentType", "length", "sha2",
                                 "fileUrl"), ("usageType", "display", "contentType", "length", "sha2"))
        _iri(attachment["usageType"], f"{at}.usageType")
        _language_map(attachment["display"], f"{at}.display")
        if "description" in attachment:
            _language_map(attachment["description"], f"{at}.description")
        if not _matches(_MEDIA_TYPE, attachment["contentType"], MAX_MEDIA_TYPE):
            _fail(f"{at}.contentType", "must be an Internet media type such as application/pdf")
        if isinstance(attachment["length"], bool) or not isinstance(attachment["length"], int) \
                or attachment["length"] < 0:
            _fail(f"{at}.length", "must be a whole number of bytes")
        if not _matches(_SHA2, attachment["sha2"], 128):
            _fail(f"{at}.sha2", "must be the hexadecimal SHA-2 hash of the attachment")
        if "fileUrl" in attachment:
            _iri(attachment["fileUrl"], f"{at}.fileUrl")
