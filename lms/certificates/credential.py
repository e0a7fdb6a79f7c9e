"""The certificate as a signed credential that anyone can check offline: an Open Badges 3.0 OpenBadgeCredential.

The credential is what the certificate states, in the Open Badges 3.0 data model (a W3C Verifiable Credential,
data model 2.0), signed with the academy's RSA key as a VC-JWT (alg RS256): a compact JWS whose payload is the
credential itself plus the claims ``iss``, ``jti``, ``nbf`` and ``sub`` that Open Badges 3.0 asks for (§ "JSON Web
Token Proof Format").  RS256 is the algorithm that every Open Badges 3.0 verifier must support, and one of the two
that 1EdTech's validator accepts.  The key is made on first use and kept in the instance folder.  Its public half
is published two ways: as a JSON Web Key Set, and in the academy's issuer profile, which is also a controlled
identifier document (W3C CID 1.0): the token's ``kid`` is ``<issuer id>#<key thumbprint>``, which dereferences to
the key there.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import jwt
from babel.dates import format_date, format_interval
from babel.numbers import format_decimal
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey, generate_private_key
from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat,
                                                          load_pem_private_key)

from authoring.locales import INTERFACE_LANGUAGES, interface_translations

from ..config import write_secret_once

if TYPE_CHECKING:
    from .details import Details

#: The contexts of every Open Badges 3.0 credential, in this order (OB 3.0 § "Serialization", "JSON-LD").
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: The context of controlled identifier documents, for the key in the issuer profile.
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
#: The 1EdTech JSON Schema an Open Badges 3.0 credential conforms to (OB 3.0 § "Verification", step 1).
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
#: The signing key's file in the instance folder.
KEY_FILE = "certificate-signing-key-rsa.pem"
#: The JWS algorithm: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 § 3.3), the minimum of OB 3.0 verifiers.
ALGORITHM = "RS256"
#: The size of a new key, in bits: 3072 bits match a 128-bit security level (NIST SP 800-57), for credentials
#: that are meant to be checked for years.
KEY_SIZE = 3072
#: The smallest RSA key that is trusted, from the file or from a key set (RFC 7518 § 3.3).
MIN_KEY_SIZE = 2048
#: The JWT claims that repeat the credential's own fields (OB 3.0 § "JWT Payload Format").
CLAIMS = ("iss", "jti", "nbf", "sub", "exp")
#: The JOSE header fields that OB 3.0 allows ("Additional JOSE Headers are NOT allowed").
HEADER_FIELDS = {"alg", "kid", "jwk", "typ"}
#: A credential is a few kilobytes; anything far longer is not one of ours, and is not parsed.
MAX_TOKEN = 100_000
#: Clock difference tolerated between the academy's server and a verifier's, for ``nbf``.
LEEWAY = dt.timedelta(minutes=1)

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")  # OB 3.0 LanguageCode


class CredentialError(Exception):
    """A signed credential that does not verify; the message says why in a plain sentence."""


# -- the academy's key ------------------------------------------------------------------------------------------


def load_or_create_key(instance_path: str | Path) -> RSAPrivateKey:
    """Return the academy's signing key from the instance folder, made there on first use (readable by its owner only).

    Raise :class:`ValueError` if the file there is not an RSA private key of at least 2048 bits.
    """
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_key(path)
    # Reading an RSA key checks it, which takes a tenth of a second, and the issuer profile and key set are
    # public pages that read it on every request: the key is read again only when its file is another one.
    status = path.stat()
    return _read_key(str(path), (status.st_ino, status.st_size, status.st_mtime_ns))


def _create_key(path: Path) -> None:
    """Write a new key at ``path``, unless another process gets there first: then its key is the one kept."""
    key = generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    write_secret_once(path, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))


@functools.lru_cache(maxsize=8)
def _read_key(path: str, version: tuple) -> RSAPrivateKey:
    """Read the key at ``path``; ``version`` tells one file there from the next."""
    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise ValueError(f"{path} is not a private key in PEM form without a password ({error}).") from None
    if not isinstance(key, RSAPrivateKey):
        raise ValueError(f"{path} holds a key that is not an RSA key; move it away to have a new one made.")
    if key.key_size < MIN_KEY_SIZE:
        raise ValueError(f"{path} holds an RSA key of {key.key_size} bits, too short to sign with (at least "
                         f"{MIN_KEY_SIZE}); move it away to have a new one made.")
    return key


def _public(key: RSAPrivateKey | RSAPublicKey) -> RSAPublicKey:
    return key.public_key() if isinstance(key, RSAPrivateKey) else key


def public_jwk(key: RSAPrivateKey | RSAPublicKey) -> dict:
    """Return the public half of a key as a JWK, named (``kid``) by its SHA-256 thumbprint (RFC 7638)."""
    numbers = _public(key).public_numbers()
    members = {"e": _b64(_unsigned(numbers.e)), "kty": "RSA", "n": _b64(_unsigned(numbers.n))}
    # RFC 7638 § 3: the required members only, in lexicographic order, without whitespace.
    thumbprint = _b64(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())
    return {**members, "kid": thumbprint, "alg": ALGORITHM, "use": "sig"}


def jwks(*keys: RSAPrivateKey | RSAPublicKey) -> dict:
    """Return the public halves of keys as a JSON Web Key Set (RFC 7517 § 5): what verifiers keep."""
    if not keys:
        raise TypeError("jwks() needs at least one key")
    return {"keys": [public_jwk(key) for key in keys]}


def key_id(issuer_id: str, key: RSAPrivateKey | RSAPublicKey) -> str:
    """Return the URL that names a key of the issuer: its profile's address, with the key's thumbprint as fragment."""
    return f"{issuer_id.split('#')[0]}#{public_jwk(key)['kid']}"


def issuer_profile(issuer_id: str, academy: str, *keys: RSAPrivateKey | RSAPublicKey,
                   url: str | None = None) -> dict:
    """Return the academy's issuer profile (OB 3.0 ``Profile``), publishing the public keys of its credentials.

    The profile, served at ``issuer_id``, is also a controlled identifier document (W3C CID 1.0): each key is a
    ``JsonWebKey`` verification method whose id is the ``kid`` of the tokens it signs, listed under
    ``assertionMethod``, the relationship for issuing credentials.
    """
    methods = [{"id": key_id(issuer_id, key), "type": "JsonWebKey", "controller": issuer_id,
                "publicKeyJwk": public_jwk(key)} for key in keys]
    profile = {"@context": [VC_CONTEXT, OB_CONTEXT, CID_CONTEXT], "id": issuer_id, "type": ["Profile"],
               "name": academy}
    if url:
        profile["url"] = url
    if methods:
        profile["verificationMethod"] = methods
        profile["assertionMethod"] = [method["id"] for method in methods]
    return profile


# -- the credential ---------------------------------------------------------------------------------------------


def achievement_credential(details: Details, *, credential_id: str, issuer_id: str, achievement_id: str,
                           subject_id: str, issued: dt.datetime, revoked_list_url: str | None = None) -> dict:
    """Return what a certificate states as an Open Badges 3.0 credential, unsigned.

    ``credential_id`` and ``subject_id`` are URIs that say nothing about the learner (a ``urn:uuid:``, never an
    e-mail address); the learner's name is in the subject's ``identifier``, so a verifier sees whose it is.
    ``achievement_id`` names the course's certificate, the same for every learner. ``issued`` without a time
    zone is taken as UTC (SQLite keeps none). With ``revoked_list_url``, verifiers look the credential up in the
    academy's revocation list there (1EdTech Revocation List Status Method).
    """
    language = details.language if details.language in INTERFACE_LANGUAGES else "en"
    gettext = interface_translations(language).gettext
    when = _timestamp(issued)
    hours = format_decimal(details.hours, locale=language) if details.hours > 0 else ""
    academy, course = details.academy, details.course

    if hours:
        description = gettext("Completion of the course “%(course)s” (%(hours)s hours of study), certified by "
                              "%(academy)s.") % {"course": course, "hours": hours, "academy": academy}
    else:
        description = gettext("Completion of the course “%(course)s”, certified by %(academy)s.") % {
            "course": course, "academy": academy}
    achievement = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": course,
        "description": description,
        "criteria": {"narrative": gettext("Complete every module that the course requires, as recorded by the "
                                          "academy.")},
    }
    if _LANGUAGE_CODE.match(details.language):
        achievement["inLanguage"] = details.language

    subject = {"id": subject_id, "type": ["AchievementSubject"], "achievement": achievement}
    if details.learner:
        # OB 3.0 has no name for a subject, but an identity of type "name"; shown as it is, since showing it
        # is what a certificate is for.
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                                  "identityHash": details.learner}]
    if details.cohort_start and details.cohort_start <= details.completed:
        subject["activityStartDate"] = _day(details.cohort_start)
    subject["activityEndDate"] = _day(details.completed)
    if details.cohort:
        subject["term"] = details.cohort

    credential = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": academy},
        "validFrom": when,
        "awardedDate": when,
        "name": gettext("Certificate of completion: %(course)s") % {"course": course},
        "description": " ".join(_statement(details, language, gettext)),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if revoked_list_url:
        credential["credentialStatus"] = {"id": revoked_list_url, "type": "1EdTechRevocationList"}
    return credential


def _statement(details: Details, language: str, gettext) -> list[str]:
    """The sentences that say, for people, what the certificate states, in its language."""
    sentences = [gettext("%(learner)s completed the course “%(course)s” on %(date)s.") % {
        "learner": details.learner, "course": details.course,
        "date": format_date(details.completed, format="long", locale=language)}]
    if details.institution:
        sentences.append(gettext("Institution: %(institution)s.") % {"institution": details.institution})
    if details.cohort:
        start, end = details.cohort_start, details.cohort_end
        if start and end and start <= end:
            dates = format_interval(start, end, "yMMMd", locale=language)
        else:
            dates = format_date(start or end, format="medium", locale=language) if start or end else ""
        if dates:
            sentences.append(gettext("Cohort: %(cohort)s (%(dates)s).") % {"cohort": details.cohort, "dates": dates})
        else:
            sentences.append(gettext("Cohort: %(cohort)s.") % {"cohort": details.cohort})
    if details.verify_url:
        sentences.append(gettext("Certificate %(code)s, which anyone can check at %(url)s.") % {
            "code": details.code, "url": details.verify_url})
    else:
        sentences.append(gettext("Certificate %(code)s.") % {"code": details.code})
    return sentences


def _timestamp(moment: dt.datetime) -> str:
    """An instant as OB 3.0 writes it (DateTimeZ): UTC, to the second, which is all a JWT's ``nbf`` can say."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _day(day: dt.date) -> str:
    """A day as an OB 3.0 DateTime (the JSON Schema asks for a date-time): its start, in UTC."""
    return f"{day.isoformat()}T00:00:00Z"


# -- signing and verifying ----------------------------------------------------------------------------------------


def sign(credential: dict, key: RSAPrivateKey) -> str:
    """Sign a credential as a VC-JWT (compact JWS, alg RS256) whose ``kid`` the issuer profile dereferences."""
    claims = _claims(credential)
    header = {"typ": "JWT", "kid": key_id(claims["iss"], key)}
    return jwt.encode({**credential, **claims}, key, algorithm=ALGORITHM, headers=header)


def _claims(credential: dict) -> dict:
    """The JWT claims that OB 3.0 derives from a credential's issuer, id, validity and subject."""
    issuer = credential.get("issuer")
    subject = credential.get("credentialSubject")
    claims = {"iss": issuer.get("id") if isinstance(issuer, dict) else issuer,
              "jti": credential.get("id"),
              "nbf": _numeric_date(credential.get("validFrom")),
              "sub": subject.get("id") if isinstance(subject, dict) else None}
    if "validUntil" in credential:
        claims["exp"] = _numeric_date(credential["validUntil"])
    missing = [name for name, value in claims.items() if not value]
    if missing:
        raise ValueError(f"The credential cannot be signed: it lacks what the JWT claims {', '.join(missing)} "
                         "repeat (issuer.id, id, validFrom with its time zone, credentialSubject.id).")
    return claims


def _numeric_date(text) -> int | float | None:
    """A credential's timestamp as a JWT NumericDate (seconds since 1970), or None if it is not a timestamp."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    seconds = moment.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def verify(token: str, jwks: dict) -> dict:
    """Check a signed credential against the academy's published keys and return the credential.

    Follows OB 3.0 § "Verify a Credential" and "Verify a Credential VC-JWT Signature": the signature, then the
    claims against the credential. Raise :class:`CredentialError`, saying why, if anything is amiss.
    Revocation is not checked here: that needs the academy's current list.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        raise CredentialError("This is not a signed credential: a credential is a short text of three parts.")
    token = token.strip()
    header = _header(token)
    key = _published_key(header, jwks)
    try:
        payload = jwt.decode(token, key, algorithms=[ALGORITHM], leeway=LEEWAY,
                             options={"require": ["iss", "jti", "nbf", "sub"], "verify_aud": False})
    except jwt.InvalidSignatureError:
        raise CredentialError("The signature does not match the credential: it was altered, or it was not "
                              "signed with this key.") from None
    except jwt.ImmatureSignatureError:
        raise CredentialError("The credential is not valid yet.") from None
    except jwt.ExpiredSignatureError:
        raise CredentialError("The credential has expired.") from None
    except jwt.MissingRequiredClaimError as error:
        raise CredentialError(f"The credential lacks the “{error.claim}” claim that Open Badges 3.0 requires.") \
            from None
    except jwt.PyJWTError as error:
        raise CredentialError(f"The credential cannot be read: {error}.") from None
    if not isinstance(payload, dict):
        raise CredentialError("The credential cannot be read: its payload is not a JSON object.")
    return _checked(payload)


def _header(token: str) -> dict:
    """The JOSE header of a token in compact form, checked before anything else is read."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.fullmatch(part) for part in parts):
        raise CredentialError("This is not a signed credential: it should be three parts in base64url, "
                              "separated by dots.")
    # base64url leaves a few bits unused at the end of a part; a token that sets them differs from the one
    # signed, however harmless that may be: any change to the text is refused.
    for part in parts:
        try:
            if _b64(_unb64(part)) != part:
                raise CredentialError("The credential was altered: its text is not as it was signed.")
        except (binascii.Error, ValueError):
            raise CredentialError("This is not a signed credential: a part of it is not base64url.") from None
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise CredentialError("This is not a signed credential: its header cannot be read.") from None
    # Only RS256: not "none", not an HMAC keyed with the public key (which anyone has), not another key type.
    if header.get("alg") != ALGORITHM:
        raise CredentialError(f"The credential is signed with “{header.get('alg')}”; the academy signs with "
                              f"{ALGORITHM}.")
    if set(header) - HEADER_FIELDS:
        raise CredentialError("The credential's header has fields that Open Badges 3.0 does not allow: "
                              f"{', '.join(sorted(set(header) - HEADER_FIELDS))}.")
    if header.get("typ", "JWT") != "JWT":
        raise CredentialError("The credential's header says it is not a JWT.")
    return header


def _published_key(header: dict, published: dict) -> RSAPublicKey:
    """The published key that the token's header names: by ``kid`` (whole, or its last part), or as its ``jwk``."""
    keys = published.get("keys") if isinstance(published, dict) else None
    if not isinstance(keys, list):
        raise CredentialError("The academy's published keys are not a JSON Web Key Set.")
    kid, embedded = header.get("kid"), header.get("jwk")
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("alg", ALGORITHM) != ALGORITHM \
                or jwk.get("use", "sig") != "sig":
            continue
        if isinstance(kid, str):
            name = jwk.get("kid")
            found = bool(name) and isinstance(name, str) and (kid == name or kid.endswith(("#" + name, "/" + name)))
        else:
            # OB 3.0 allows the key itself in the header instead of its name; it counts only if it is published.
            found = isinstance(embedded, dict) and embedded.get("kty") == "RSA" and bool(embedded.get("n")) \
                and (embedded.get("n"), embedded.get("e")) == (jwk.get("n"), jwk.get("e"))
        if found:
            try:
                key = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
            except (jwt.PyJWTError, ValueError, TypeError):
                raise CredentialError("The academy's published key is not a valid RSA key.") from None
            if not isinstance(key, RSAPublicKey):
                raise CredentialError("The academy's published key is not an RSA public key.")
            if key.key_size < MIN_KEY_SIZE:
                raise CredentialError(f"The academy's published key is too short to be trusted ({key.key_size} "
                                      f"bits; RS256 needs at least {MIN_KEY_SIZE}).")
            return key
    if kid is None and embedded is None:
        raise CredentialError("The credential does not say which key signed it (no “kid” in its header).")
    raise CredentialError("The credential was signed with a key that the academy does not publish.")


def _checked(payload: dict) -> dict:
    """The credential in a verified payload, once its claims agree with it (OB 3.0 § "Verify a Credential VC-JWT
    Signature")."""
    credential = {name: value for name, value in payload.items() if name not in CLAIMS}
    types = credential.get("type")
    types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    if "VerifiableCredential" not in types or not {"OpenBadgeCredential", "AchievementCredential"} & set(types):
        raise CredentialError("This is not an Open Badges 3.0 credential.")
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if payload["iss"] != issuer_id:
        raise CredentialError("The credential's issuer is not the one signed (“iss” differs from issuer.id).")
    if payload["jti"] != credential.get("id"):
        raise CredentialError("The credential's id is not the one signed (“jti” differs from id).")
    if payload["sub"] != subject_id:
        raise CredentialError("The credential's holder is not the one signed (“sub” differs from "
                              "credentialSubject.id).")
    if _numeric_date(credential.get("validFrom")) != payload["nbf"]:
        raise CredentialError("The credential's date is not the one signed (“nbf” differs from validFrom).")
    if ("exp" in payload or "validUntil" in credential) and \
            _numeric_date(credential.get("validUntil")) != payload.get("exp"):
        raise CredentialError("The credential's end of validity is not the one signed (“exp” differs from "
                              "validUntil).")
    return credential


def _unsigned(number: int) -> bytes:
    """An RSA modulus or exponent as a JWK writes it: big-endian, in as few bytes as it takes (RFC 7518 § 6.3.1)."""
    return number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
