"""Property-based: whatever JSON a client sends (deep, huge, NaN, odd strings), the statement validator
and the JSON entry of the LRS answer with a StatementError (a 400) or accept it, never anything else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrs_helpers import statement
from xapi.store import format_statement
from xapi.validation import MAX_JSON_DEPTH, StatementError, check_json, parse_json, validate_statement

QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

odd_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40) | st.sampled_from([
    "mailto:a@" + "a." * 300 + "@", "http://x\n", "0001-01-01T00:00:00+23:59", "P" + "1" * 80 + "Y", "NaN",
    "en-" + "-a" * 60, "\x00", "mailto:a@b.c", "https://academy.example.org/a/1", "1.0.3"])
numbers = (st.integers(min_value=-10**80, max_value=10**80) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([-0.0, 1e308]))
huge_ints = st.sampled_from([65, 4400]).map(lambda digits: 10**digits)  # built late: reprs stop at 4,300 digits
leaves = st.none() | st.booleans() | numbers | odd_text
json_values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(odd_text, inner, max_size=4), max_leaves=30)


def nest(value, depth: int, as_object: bool):
    for _ in range(depth):
        value = {"k": value} if as_object else [value]
    return value


deep_values = st.builds(nest, json_values, st.integers(0, 3000), st.booleans())

# Statements whose known properties hold random values, so that the checks behind each property are reached.
KEYS = ("id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority", "version",
        "attachments", "objectType", "account", "mbox", "member", "score", "scaled", "raw", "extensions",
        "definition", "choices", "interactionType", "contextActivities", "registration", "language")
shaped = st.recursive(leaves, lambda inner: st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
                      | st.lists(inner, max_size=3), max_leaves=40)
statements = st.builds(lambda base, changes: base | changes, st.just(statement()),
                       st.dictionaries(st.sampled_from(KEYS), shaped | deep_values, max_size=4))


def scored(raw) -> dict:
    return statement(result={"score": {"raw": raw}})


def extended(value) -> dict:
    return statement(result={"extensions": {"https://academy.example.org/extensions/x": value}})


@QUICK
@given(json_values | deep_values | statements | st.one_of(numbers, huge_ints).map(scored) | deep_values.map(extended))
def test_the_validator_raises_nothing_but_statement_errors_and_what_it_accepts_can_be_served(data):
    try:
        validate_statement(data)
    except StatementError:
        return
    text = json.dumps(data, allow_nan=False)  # strict JSON, which every client parses
    assert parse_json(text, "the statement") == data
    for fmt in ("ids", "canonical"):
        format_statement(data, fmt, ["en"], {})


@QUICK
@given(json_values | deep_values | huge_ints)
def test_check_json_accepts_exactly_what_a_strict_encoder_writes_within_the_bounds(data):
    try:
        check_json(data, "value")
    except StatementError:
        return
    text = json.dumps(data, allow_nan=False)  # nothing it accepts is NaN, Infinity, or too deep to write
    assert parse_json(text, "value") == data


def as_text(value, depth: int) -> str:
    """``value`` as JSON text (NaN and Infinity as Python writes them) nested ``depth`` deep in lists."""
    return "[" * depth + json.dumps(value) + "]" * depth


@QUICK
@given(st.builds(as_text, json_values, st.integers(0, 20_000)) | odd_text
       | st.binary(max_size=60) | st.text(alphabet="[]{}\",:0123456789.eE+-tfnulraNIy ", max_size=200)
       | st.sampled_from(["9" * 5000, "1e400", "-Infinity", "[NaN]", '{"a": 1' + "0" * 70 + "}"]))
def test_the_json_entry_raises_nothing_but_statement_errors(text):
    try:
        value = parse_json(text, "the body")
    except StatementError:
        return
    check_json(value, "the body")  # what comes in is within the bounds
    assert MAX_JSON_DEPTH >= 1
