"""Attachments: reading and writing ``multipart/mixed`` bodies, checking hashes and signatures.

xAPI sends attachments' bytes in a ``multipart/mixed`` request: the statements
first, as JSON, then one part per attachment carrying ``X-Experience-API-Hash``
(its SHA-2) and ``Content-Transfer-Encoding: binary``.  A signed statement
carries a JWS of itself as an attachment with the signature usage type.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .store import AttachmentPart, attachments_of
from .validation import MAX_MEDIA_TYPE, SIGNATURE_USAGE, StatementError, parse_json

SIGNATURE_ALGORITHMS = ("RS256", "RS384", "RS512")
_HASHES = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


@dataclass
class Part:
    headers: dict[str, str]  # lower-case names
    body: bytes


def boundary_of(content_type: str) -> str:
    match = re.search(r'boundary\s*=\s*"?([^";]+)"?', content_type or "", re.IGNORECASE)
    if not match:
        raise StatementError("a multipart/mixed request needs a boundary in its Content-Type header")
    return match.group(1).strip()


def parse(body: bytes, content_type: str) -> list[Part]:
    """Split a ``multipart/mixed`` body into parts; raise StatementError if it is malformed."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise StatementError("the multipart body does not use the boundary given in Content-Type, "
                             "or does not end with the closing boundary")
    parts = []
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n"):
            raise StatementError("a boundary line in the multipart body is not followed by a line break")
        head, sep, content = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            head, content = b"", chunk[2:] if chunk[2:4] != b"\r\n" else chunk[4:]
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            if line.strip():
                name, colon, value = line.partition(":")
                if not colon:
                    raise StatementError(f"malformed header line in a multipart part: {line[:80]!r}")
                headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers, content))
    return parts


def statements_and_parts(body: bytes, content_type: str) -> tuple[object, list[AttachmentPart]]:
    """Read a multipart statements request: the statements' JSON and the attachments' parts."""
    parts = parse(body, content_type)
    if not parts:
        raise StatementError("the multipart body has no parts")
    first = parts[0]
    if first.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise StatementError("the first part of a multipart statements request must be application/json")
    statements = parse_json(first.body, "the first part")
    received = []
    for n, part in enumerate(parts[1:], start=1):
        sha2 = part.headers.get("x-experience-api-hash")
        if not sha2:
            raise StatementError(f"multipart part {n} has no X-Experience-API-Hash header")
        if part.headers.get("content-transfer-encoding", "").lower() != "binary":
            raise StatementError(f"multipart part {n} needs the header Content-Transfer-Encoding: binary")
        if part.headers.get("content-type", "") == "":
            raise StatementError(f"multipart part {n} has no Content-Type header")
        if len(part.headers["content-type"]) > MAX_MEDIA_TYPE:
            raise StatementError(f"multipart part {n}: Content-Type is longer than {MAX_MEDIA_TYPE} characters")
        digest = _HASHES.get(len(sha2))
        if digest is None or digest(part.body).hexdigest() != sha2.lower():
            raise StatementError(f"multipart part {n}: X-Experience-API-Hash is not the SHA-2 of its content")
        received.append(AttachmentPart(sha2.lower(), part.headers["content-type"], part.body))
    return statements, received


def check(statements: list[dict], parts: list[AttachmentPart], stored: set[str] = frozenset()) -> None:
    """Every attachment declared without fileUrl has its bytes, every part is declared, signatures hold."""
    declared = {}
    for statement in statements:
        if isinstance(statement, dict):
            for attachment in attachments_of(statement):
                if isinstance(attachment, dict) and isinstance(attachment.get("sha2"), str):
                    declared.setdefault(attachment["sha2"].lower(), attachment)
    received = {part.sha2: part for part in parts}
    for sha2 in received:
        if sha2 not in declared:
            raise StatementError(f"the request carries an attachment ({sha2[:12]}…) no statement declares")
    for sha2, attachment in declared.items():
        if "fileUrl" not in attachment and sha2 not in received and sha2 not in stored:
            raise StatementError(f"attachment {sha2[:12]}… has neither a fileUrl nor its bytes in the request")
    for statement in statements:
        if isinstance(statement, dict):
            for attachment in statement.get("attachments") or []:
                if isinstance(attachment, dict) and attachment.get("usageType") == SIGNATURE_USAGE:
                    _check_signature(statement, attachment, received)


def _check_signature(statement: dict, attachment: dict, received: dict[str, AttachmentPart]) -> None:
    if attachment.get("contentType") != "application/octet-stream":
        raise StatementError("a signature attachment must have the contentType application/octet-stream")
    part = received.get(str(attachment.get("sha2", "")).lower())
    if part is None:
        raise StatementError("a signed statement must carry its JWS signature in the request")
    token = part.content.decode("ascii", errors="replace").strip()
    segments = token.split(".")
    try:
        if len(segments) != 3:
            raise ValueError("a compact JWS has three parts")
        header = parse_json(_b64(segments[0]), "the signature's header")
        payload = parse_json(_b64(segments[1]), "the signature's payload")
        jwt.get_unverified_header(token)  # the header's own rules, once it is known to be small
    except (jwt.InvalidTokenError, ValueError):  # StatementError and binascii.Error are ValueErrors
        raise StatementError("the signature is not a valid JWS (compact serialisation of a JSON payload)") from None
    if not isinstance(header, dict):
        raise StatementError("the signature's header must be a JSON object")
    if header.get("alg") not in SIGNATURE_ALGORITHMS:
        raise StatementError(f"the signature must use RS256, RS384 or RS512, not {str(header.get('alg'))[:20]!r}")
    if "x5c" in header:
        key = _certificate_key(header["x5c"])
        try:
            jwt.PyJWS().decode(token, key, algorithms=[header["alg"]])
        except jwt.InvalidTokenError:
            raise StatementError("the signature does not verify with the certificate in its x5c header") from None
    if not isinstance(payload, dict) or not _same_content(payload, statement):
        raise StatementError("the signature's payload is not this statement")


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _certificate_key(chain) -> RSAPublicKey:
    """The RSA key of the first certificate of an ``x5c`` header (a list of base64 DER certificates)."""
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise StatementError("the signature's x5c header must be a list of base64-encoded certificates")
    try:
        key = x509.load_der_x509_certificate(base64.b64decode(chain[0])).public_key()
    except ValueError:  # binascii.Error included
        raise StatementError("the signature's x5c header does not hold a certificate") from None
    if not isinstance(key, RSAPublicKey):
        raise StatementError("the signature's certificate must hold an RSA key (RS256, RS384 or RS512)")
    return key


def _same_content(payload: dict, statement: dict) -> bool:
    ignored = {"attachments", "authority", "stored", "version"}
    if "id" not in payload:
        ignored.add("id")
    def strip(data):
        return {k: v for k, v in data.items() if k not in ignored}
    return strip(payload) == strip(statement)


def build(document: bytes, attachments: list) -> tuple[bytes, str]:
    """Return a ``multipart/mixed`` body (the JSON document, then each attachment) and its Content-Type."""
    boundary = "passerelle-" + secrets.token_hex(12)
    out = [b"--" + boundary.encode() + b"\r\nContent-Type: application/json\r\n\r\n" + document + b"\r\n"]
    for attachment in attachments:
        out.append(b"--" + boundary.encode() + b"\r\n" + (
            f"Content-Type: {attachment.content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {attachment.sha2}\r\n\r\n").encode("latin-1") + attachment.content + b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return b"".join(out), f"multipart/mixed; boundary={boundary}"
