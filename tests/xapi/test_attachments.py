"""Attachments in multipart/mixed requests and responses, and signed statements."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import json

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lrs_helpers import new_id, statement

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
CERTIFICATE = "https://academy.example.org/attachments/certificate"


def multipart(document, parts, boundary="xyzzy", first_type="application/json", encoding="binary") -> bytes:
    out = [f"--{boundary}\r\nContent-Type: {first_type}\r\n\r\n".encode() + json.dumps(document).encode() + b"\r\n"]
    for content_type, content, sha2 in parts:
        head = f"--{boundary}\r\nContent-Type: {content_type}\r\nX-Experience-API-Hash: {sha2}\r\n"
        if encoding:
            head += f"Content-Transfer-Encoding: {encoding}\r\n"
        out.append(head.encode() + b"\r\n" + content + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode()


def declared(content: bytes, usage=CERTIFICATE, content_type="application/pdf") -> dict:
    return {"usageType": usage, "display": {"en-US": "Certificate"}, "contentType": content_type,
            "length": len(content), "sha2": hashlib.sha256(content).hexdigest()}


def post_multipart(lrs, body: bytes, boundary="xyzzy"):
    return lrs.post("statements", data=body, headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})


PDF = b"%PDF-1.4 certificate of completion\x00\xff"


def test_attachment_round_trip(lrs):
    sent = statement(attachments=[declared(PDF)])
    response = post_multipart(lrs, multipart(sent, [("application/pdf", PDF, hashlib.sha256(PDF).hexdigest())]))
    assert response.status_code == 200, response.get_json()
    [sid] = response.get_json()
    got = lrs.get("statements", params={"statementId": sid, "attachments": "true"})
    assert got.content_type.startswith("multipart/mixed; boundary=")
    message = email.message_from_bytes(b"Content-Type: " + got.content_type.encode() + b"\r\n\r\n" + got.data,
                                       policy=email.policy.HTTP)
    first, second = list(message.iter_parts())
    assert json.loads(first.get_content())["id"] == sid
    assert second["X-Experience-API-Hash"] == hashlib.sha256(PDF).hexdigest()
    assert second.get_content() == PDF
    # Without attachments=true, plain JSON.
    assert lrs.get("statements", params={"statementId": sid}).get_json()["attachments"][0]["sha2"]


def test_file_url_attachments_need_no_bytes(lrs):
    attachment = declared(PDF) | {"fileUrl": "https://academy.example.org/certificates/1.pdf"}
    assert lrs.post("statements", json_body=statement(attachments=[attachment])).status_code == 200


@pytest.mark.parametrize("build, reason", [
    (lambda s: multipart(s, []), "neither a fileUrl nor its bytes"),
    (lambda s: multipart(s, [("application/pdf", PDF + b"!", hashlib.sha256(PDF).hexdigest())]), "not the SHA-2"),
    (lambda s: multipart(s, [("application/pdf", PDF, hashlib.sha256(PDF).hexdigest())], encoding=None),
     "Content-Transfer-Encoding"),
    (lambda s: multipart(s, [("application/pdf", PDF, hashlib.sha256(PDF).hexdigest()),
                             ("text/plain", b"extra", hashlib.sha256(b"extra").hexdigest())]), "no statement declares"),
    (lambda s: multipart(s, [], first_type="text/plain"), "must be application/json"),
    (lambda s: multipart(s, [], boundary="other"), "boundary"),
])
def test_bad_multipart_requests_store_nothing(lrs, build, reason):
    response = post_multipart(lrs, build(statement(attachments=[declared(PDF)])))
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]
    assert lrs.query() == []


def test_attachment_bytes_need_multipart(lrs):
    response = lrs.post("statements", json_body=statement(attachments=[declared(PDF)]))
    assert response.status_code == 400


@pytest.fixture(scope="module")
def signer():
    """An RSA key and a self-signed certificate for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Passerelle test signer")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    der = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    return pem, der


def signed(data: dict, key: bytes, algorithm="RS256", headers=None, payload=None) -> tuple[dict, bytes]:
    token = jwt.encode(payload or data, key, algorithm=algorithm, headers=headers).encode()
    return dict(data, attachments=[declared(token, SIGNATURE, "application/octet-stream")]), token


def post_signed(lrs, data: dict, token: bytes):
    sha2 = hashlib.sha256(token).hexdigest()
    return post_multipart(lrs, multipart(data, [("application/octet-stream", token, sha2)]))


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_signed_statements_are_accepted(lrs, signer, algorithm):
    data, token = signed(statement(id=new_id()), signer[0], algorithm, headers={"x5c": [signer[1]]})
    response = post_signed(lrs, data, token)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("case, reason", [
    ("hmac", "RS256, RS384 or RS512"),
    ("other payload", "payload is not this statement"),
    ("other key", "does not verify"),
    ("garbage", "not a valid JWS"),
])
def test_bad_signatures_are_refused(lrs, signer, case, reason):
    data = statement(id=new_id())
    if case == "hmac":
        data, token = signed(data, "a shared secret of thirty-two bytes!", "HS256")
    elif case == "other payload":
        data, token = signed(data, signer[0], payload=statement(verb="passed"))
    elif case == "other key":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        data, token = signed(data, other, headers={"x5c": [signer[1]]})
    else:
        token = b"not.a.jws"
        data = dict(data, attachments=[declared(token, SIGNATURE, "application/octet-stream")])
    response = post_signed(lrs, data, token)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]
    assert lrs.query() == []
