"""Hostile input to the LRS: a clear 400 with its reason, never a 500, a stalled worker or a statement
stored that cannot be read back as strict JSON."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from sqlalchemy import update

from conftest import PUBLIC_URL
from lrs_helpers import new_id, statement
from xapi import documents
from xapi.models import StatementRecord

HANG_GUARD = 60  # seconds: only so that a check gone quadratic fails the test instead of stalling the suite
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
EXTENSION = "https://academy.example.org/extensions/notes"


def nested(depth: int, leaf=1):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def nested_text(depth: int) -> str:
    """JSON text nested ``depth`` deep (too deep for ``json.dumps`` itself)."""
    return "[" * depth + "1" + "]" * depth


def error_of(response) -> str:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()["error"]["message"]


def within_guard(call):
    """Run ``call`` in a thread and return its result; fail if it has not finished within the hang guard."""
    result = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(HANG_GUARD)
    assert result, f"still running after {HANG_GUARD} s"
    return result[0]


# --- patterns ---------------------------------------------------------------------------------------

HOSTILE_MBOX = "mailto:a@" + "a." * 60_000 + "@"  # 120 KB; the old pattern backtracked over every dot


def test_a_hostile_mbox_in_a_statement_is_refused_at_once(lrs):
    sent = statement(actor={"objectType": "Agent", "mbox": HOSTILE_MBOX})
    response = within_guard(lambda: lrs.post("statements", json_body=sent))
    assert "actor.mbox is too long: an e-mail address has at most 254 characters" in error_of(response)


def test_a_hostile_mbox_in_the_agent_parameter_is_refused_at_once(lrs):
    response = within_guard(lambda: lrs.get("statements", params={"agent": {"mbox": HOSTILE_MBOX}}))
    assert "agent.mbox is too long" in error_of(response)


@pytest.mark.parametrize("field, value, where", [
    ("verb", {"id": "https://academy.example.org/verbs/" + "v" * 1100}, "verb.id is longer than 1000"),
    ("actor", {"account": {"homePage": PUBLIC_URL, "name": "n" * 1100}}, "actor.account is too long"),
    ("actor", {"openid": "https://id.example.org/" + "o" * 1100}, "actor.openid is longer than 1000"),
])
def test_strings_longer_than_the_store_holds_are_refused(lrs, field, value, where):
    assert where in error_of(lrs.post("statements", json_body=statement(**{field: value})))
    assert lrs.query() == []


def test_document_ids_and_types_longer_than_the_store_holds_are_refused(lrs):
    params = {"activityId": "https://academy.example.org/a/1", "agent": {"mbox": "mailto:a@example.org"}}
    long_id = lrs.put("activities/state", params=params | {"stateId": "s" * 1100}, data=b"x")
    assert "stateId is longer than 1000 characters" in error_of(long_id)
    long_type = lrs.put("activities/state", params=params | {"stateId": "s"}, data=b"x",
                        headers={"Content-Type": "text/plain; x=" + "y" * 300})
    assert "Content-Type header is longer than 255" in error_of(long_type)


# --- 500s that are the client's mistake ---------------------------------------------------------------

def more_token(lrs, **changes) -> str:
    """A real more token of this LRS, with some of its fields changed."""
    lrs.send(statement(), statement())
    more = lrs.get("statements", params={"limit": 1}).get_json()["more"]
    [token] = parse_qs(urlsplit(more).query)["more"]
    state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return base64.urlsafe_b64encode(json.dumps(state | changes).encode()).decode()


@pytest.mark.parametrize("changes", [{"limit": "x"}, {"after": {}}, {"verb": [1]},
                                     {"ascending": "no"}])
def test_a_crafted_more_token_is_refused(lrs, changes):
    token = more_token(lrs, **changes)
    assert "the more token is not one this LRS issued" in error_of(lrs.get("statements", params={"more": token}))


@pytest.mark.parametrize("name", ["since", "until"])
def test_a_time_outside_the_calendar_in_utc_is_refused(lrs, name):
    response = lrs.get("statements", params={name: "0001-01-01T00:00:00+23:59"})
    assert f"{name} must be an ISO 8601 time between the years 1 and 9999" in error_of(response)


def test_a_timestamp_outside_the_calendar_in_utc_is_refused(lrs):
    response = lrs.post("statements", json_body=statement(timestamp="9999-12-31T23:59:00-23:59"))
    assert "timestamp is not a date and time that exists in UTC" in error_of(response)


def test_a_body_nested_10000_deep_is_refused(lrs):
    body = json.dumps(statement(result={"extensions": {EXTENSION: 1}})).replace(
        f'"{EXTENSION}": 1', f'"{EXTENSION}": {nested_text(10_000)}')
    response = lrs.post("statements", data=body, headers={"Content-Type": "application/json"})
    assert "the body is nested more than 32 levels deep" in error_of(response)


def test_an_agent_parameter_nested_10000_deep_is_refused(lrs):
    response = lrs.get("statements", params={"agent": nested_text(10_000)})
    assert "the agent parameter is nested more than 32 levels deep" in error_of(response)


def test_a_state_document_merged_as_json_is_bounded_too(lrs):
    params = {"activityId": "https://academy.example.org/a/1", "agent": {"mbox": "mailto:a@example.org"},
              "stateId": "bookmark"}
    lrs.put("activities/state", params=params, json_body={"page": 1})
    merged = lrs.post("activities/state", params=params, data='{"deep": ' + nested_text(10_000) + "}",
                      headers={"Content-Type": "application/json"})
    assert "nested more than 32 levels deep" in error_of(merged)
    assert lrs.get("activities/state", params=params).get_json() == {"page": 1}


def test_a_document_created_by_another_request_meanwhile_fails_its_precondition(lrs, monkeypatch):
    """If-None-Match: * that loses the race to another request's create is a 412 once tried again, never a 500."""
    params = {"activityId": "https://academy.example.org/a/1", "profileId": "glossary"}
    create = {"If-None-Match": "*"}
    assert lrs.put("activities/profile", params=params, json_body={"v": 1}, headers=create).status_code == 204
    # As if the other request committed its document just after this one looked for it.
    real_get, missed = documents.get, [True]

    def get(session, key):
        return None if missed and missed.pop() else real_get(session, key)

    monkeypatch.setattr(documents, "get", get)
    response = lrs.put("activities/profile", params=params, json_body={"v": 2}, headers=create)
    assert response.status_code == 412, response.get_json()
    assert not missed  # the first look-up did miss the document
    monkeypatch.undo()
    assert lrs.get("activities/profile", params=params).get_json() == {"v": 1}


def test_a_number_of_5000_digits_is_refused(lrs):
    body = json.dumps(statement(result={"score": {"raw": 1}})).replace('"raw": 1', '"raw": ' + "9" * 5000)
    response = lrs.post("statements", data=body, headers={"Content-Type": "application/json"})
    assert "a number has more than 64 characters" in error_of(response)


def signed(header: dict, sent: dict) -> tuple[bytes, str]:
    """A multipart body carrying ``sent`` and a JWS of it with ``header`` (its signature is not checked first)."""
    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    token = f"{b64(header)}.{b64(sent)}.c2lnbmF0dXJl".encode()
    sha2 = hashlib.sha256(token).hexdigest()
    document = dict(sent, attachments=[{"usageType": SIGNATURE, "display": {"en-US": "Signature"},
                                        "contentType": "application/octet-stream", "length": len(token),
                                        "sha2": sha2}])
    body = (b"--b\r\nContent-Type: application/json\r\n\r\n" + json.dumps(document).encode() + b"\r\n"
            b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            b"X-Experience-API-Hash: " + sha2.encode() + b"\r\n\r\n" + token + b"\r\n--b--\r\n")
    return body, "multipart/mixed; boundary=b"


def ec_certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "academy.example.org")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()


@pytest.mark.parametrize("x5c, reason", [
    ({"0": "MIIB"}, "x5c header must be a list of base64-encoded certificates"),
    (lambda: [ec_certificate()], "certificate must hold an RSA key"),
])
def test_a_signature_with_an_unusable_certificate_is_refused(lrs, x5c, reason):
    sent = statement(id=new_id())
    body, content_type = signed({"alg": "RS256", "x5c": x5c() if callable(x5c) else x5c}, sent)
    assert reason in error_of(lrs.post("statements", data=body, headers={"Content-Type": content_type}))
    assert lrs.query() == []


# --- statements that could not be read back -----------------------------------------------------------

@pytest.mark.parametrize("score, reason", [
    ('{"raw": NaN}', "JSON has no NaN"),
    ('{"raw": Infinity}', "JSON has no Infinity"),
    ('{"scaled": -Infinity}', "JSON has no -Infinity"),
    ('{"raw": 1e400}', "the number 1e400 is too large"),
])
def test_a_score_that_is_not_a_finite_number_is_refused(lrs, score, reason):
    body = json.dumps(statement(result={"score": {}})).replace('"score": {}', '"score": ' + score)
    assert reason in error_of(lrs.post("statements", data=body, headers={"Content-Type": "application/json"}))
    assert lrs.query() == []


def test_an_extension_nested_500_deep_is_refused(lrs):
    response = lrs.post("statements", json_body=statement(result={"extensions": {EXTENSION: nested(500)}}))
    assert "nested more than" in error_of(response)
    assert lrs.query() == []


def poison(app, sid: str, document: str) -> None:
    """Put in the store what an older version let in (the LRS refuses it today)."""
    engine = app.extensions["db.engine"]
    with engine.begin() as connection:
        connection.execute(update(StatementRecord).where(StatementRecord.id == sid).values(data=document))


@pytest.mark.parametrize("fmt", ["ids", "canonical"])
def test_a_statement_stored_nested_500_deep_is_still_served_in_the_formats_that_rewrite_it(app, lrs, fmt):
    [sid] = lrs.send(statement(object={"id": "https://academy.example.org/a/1",
                                       "definition": {"name": {"en": "Crisis"}}}))
    deep = lrs.get("statements", params={"statementId": sid}).get_json()
    deep["result"] = {"extensions": {EXTENSION: nested(500)}}
    poison(app, sid, json.dumps(deep))
    for params in ({"format": fmt}, {"format": fmt, "statementId": sid}):
        response = lrs.get("statements", params=params)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        served = response.get_json()
        served = served["statements"][0] if "statements" in served else served
        assert served["result"]["extensions"][EXTENSION] == nested(500)


def test_a_nan_stored_by_an_older_version_is_served_as_strict_json(app, lrs):
    [sid] = lrs.send(statement(result={"score": {"raw": 1}}))
    stored = lrs.get("statements", params={"statementId": sid}).get_data(as_text=True)
    poison(app, sid, stored.replace('"raw":1', '"raw":NaN'))
    for params in ({}, {"statementId": sid}, {"format": "ids"}):
        text = lrs.get("statements", params=params).get_data(as_text=True)
        strict = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} served: {text[:200]}"))
        served = strict["statements"][0] if "statements" in strict else strict
        assert served["id"] == sid and served["result"]["score"]["raw"] is None
