"""The certificate as an Open Badges 3.0 credential signed by the academy: what it says, and that anyone can check
it with another JOSE library from the academy's published key alone, and that any change to it is refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import stat
import threading
from dataclasses import replace

import pytest
from jwcrypto import jwk, jws
from jwcrypto import jwt as jose_jwt
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from jwcrypto.common import JWException

from lms.certificates import credential
from lms.certificates.credential import CredentialError
from lms.certificates.details import Details

ISSUER = "https://lms.example.test/certificates/issuer"
ISSUED = dt.datetime(2025, 4, 2, 14, 30, 5, tzinfo=dt.timezone.utc)
DETAILS = Details(code="7KQ4M-2XD9T-PAVR3-EHC6W-0N5BZ", learner="Amina Diallo", course="Crisis management",
                  hours=12.5, cohort="Tunis autumn", cohort_start=dt.date(2025, 3, 1),
                  cohort_end=dt.date(2025, 5, 30), institution="Ministry of Foreign Affairs",
                  academy="Diplomatic Academy", language="en", completed=dt.date(2025, 4, 2),
                  verify_url="https://lms.example.test/certificates/verify/7KQ4M-2XD9T-PAVR3-EHC6W-0N5BZ")


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """The academy's key, made once for the module: an RSA key takes a while to make."""
    return credential.load_or_create_key(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    """Another academy's key."""
    return credential.load_or_create_key(tmp_path_factory.mktemp("elsewhere"))


@pytest.fixture
def published(key):
    """The key set as a verifier downloads it: JSON text."""
    return json.loads(json.dumps(credential.jwks(key)))


def make(details: Details = DETAILS, **changes) -> dict:
    arguments = {"credential_id": "urn:uuid:5b1c2f0e-2c33-4a57-9a51-8d6c1e0f4b21", "issuer_id": ISSUER,
                 "achievement_id": "https://lms.example.test/courses/crisis-management/#achievement",
                 "subject_id": "urn:uuid:0e9d5f4a-7c1b-4f0e-8a3d-2b6c9e1f7a55", "issued": ISSUED, **changes}
    return credential.achievement_credential(details, **arguments)


def segments(token: str) -> list[bytes]:
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]


def encoded(parts: list[bytes]) -> str:
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in parts)


def checked_elsewhere(token: str, key_set: dict) -> dict:
    """Verify a token with jwcrypto, knowing only the published key set: the key its ``kid`` names by fragment."""
    header = json.loads(segments(token)[0])
    name = header["kid"].rsplit("#", 1)[-1]
    public = jwk.JWK(**next(k for k in key_set["keys"] if k["kid"] == name))
    return json.loads(jose_jwt.JWT(jwt=token, key=public, algs=["RS256"], expected_type="JWS").claims)


def signed_elsewhere(payload: dict, key, alg: str = "RS256", **header) -> str:
    """Sign a payload with jwcrypto, as another issuing tool would."""
    token = jws.JWS(json.dumps(payload).encode())
    token.add_signature(jwk.JWK.from_pyca(key), None, json.dumps({"alg": alg, **header}))
    return token.serialize(compact=True)


def claims_of(document: dict) -> dict:
    """The JWT claims that go with a credential."""
    return {"iss": ISSUER, "jti": document["id"], "nbf": int(ISSUED.timestamp()),
            "sub": document["credentialSubject"]["id"]}


def test_another_library_verifies_the_credential_from_the_published_keys_alone(key, published):
    document = make()
    token = credential.sign(document, key)

    claims = checked_elsewhere(token, published)
    assert claims["iss"] == ISSUER == document["issuer"]["id"]
    assert claims["jti"] == document["id"]
    assert claims["sub"] == document["credentialSubject"]["id"]
    assert claims["nbf"] == int(ISSUED.timestamp())
    assert {name: value for name, value in claims.items() if name not in ("iss", "jti", "nbf", "sub")} == document
    assert credential.verify(token, published) == document
    assert json.loads(segments(token)[0]) == {"alg": "RS256", "typ": "JWT",
                                              "kid": f"{ISSUER}#{published['keys'][0]['kid']}"}


def test_the_kid_leads_to_the_public_key_in_the_issuer_profile_and_no_private_part_is_published(key, published):
    token = credential.sign(make(), key)
    kid = json.loads(segments(token)[0])["kid"]
    profile = json.loads(json.dumps(credential.issuer_profile(ISSUER, "Diplomatic Academy", key)))

    assert profile["id"] == kid.split("#")[0] == ISSUER
    assert profile["type"] == ["Profile"] and profile["name"] == "Diplomatic Academy"
    assert profile["@context"][:2] == [credential.VC_CONTEXT, credential.OB_CONTEXT]
    method, = [m for m in profile["verificationMethod"] if m["id"] == kid]
    assert method["type"] == "JsonWebKey" and method["controller"] == ISSUER and kid in profile["assertionMethod"]
    assert checked_elsewhere(token, {"keys": [method["publicKeyJwk"]]})["iss"] == ISSUER
    assert method["publicKeyJwk"] == published["keys"][0]
    for document in (profile, published):
        assert '"d"' not in json.dumps(document)


def test_the_key_is_a_3072_bit_rsa_key_named_by_its_rfc_7638_thumbprint(key, published):
    public, = published["keys"]
    assert public["kid"] == jwk.JWK.from_pyca(key.public_key()).thumbprint()
    assert public["kty"] == "RSA" and public["alg"] == "RS256" and public["use"] == "sig"
    assert public["e"] == "AQAB" and len(segments(public["n"])[0]) * 8 == 3072
    assert jwk.JWK(**public).get_op_key("verify").public_numbers() == key.public_key().public_numbers()


@pytest.mark.parametrize("part, change", [
    (0, lambda header: header.replace(b"/certificates/", b"/certificatez/")),
    (1, lambda payload: payload.replace(b"Crisis management", b"Crisis managemenT", 1)),
    (2, lambda signature: signature[:10] + bytes([signature[10] ^ 1]) + signature[11:]),
], ids=["header", "payload", "signature"])
def test_a_credential_with_one_byte_changed_is_refused_by_both_libraries(key, published, part, change):
    parts = segments(credential.sign(make(), key))
    altered = change(parts[part])
    assert len(altered) == len(parts[part]) and altered != parts[part]
    parts[part] = altered
    token = encoded(parts)

    with pytest.raises(CredentialError, match="signature does not match"):
        credential.verify(token, published)
    with pytest.raises(JWException):
        checked_elsewhere(token, published)


def test_any_character_changed_in_the_text_of_a_credential_is_refused(key, published):
    token = credential.sign(make(), key)
    for position, character in enumerate(token):
        altered = token[:position] + ("A" if character != "A" else "B") + token[position + 1:]
        with pytest.raises(CredentialError):
            credential.verify(altered, published)


def test_a_credential_whose_text_differs_but_decodes_to_the_same_bytes_is_refused(key, published):
    token = credential.sign(make(), key)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # The header's 124 bytes take 166 characters, the last of which has 4 bits that carry nothing (the
    # signature's 384 bytes fill their 512 characters exactly).
    header = token.split(".")[0]
    assert len(segments(token)[0]) % 3 == 1
    twin = header[:-1] + alphabet[alphabet.index(header[-1]) ^ 1] + token[len(header):]
    assert twin != token and segments(twin) == segments(token)
    with pytest.raises(CredentialError, match="altered"):
        credential.verify(twin, published)


def test_the_key_is_made_once_readable_by_its_owner_only_and_kept(tmp_path):
    folder = tmp_path / "instance" / "not-yet-made"
    first = credential.load_or_create_key(folder)
    path = folder / credential.KEY_FILE

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert credential.public_jwk(credential.load_or_create_key(folder)) == credential.public_jwk(first)
    assert credential.public_jwk(credential.load_or_create_key(str(folder)))["kid"] == \
        credential.public_jwk(first)["kid"]
    assert [p.name for p in folder.iterdir()] == [credential.KEY_FILE]


def test_processes_starting_at_once_end_up_with_one_key(tmp_path):
    folder = tmp_path / "instance"
    start, kids = threading.Barrier(8), []

    def start_up():
        start.wait()
        kids.append(credential.public_jwk(credential.load_or_create_key(folder))["kid"])

    threads = [threading.Thread(target=start_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(kids) == 8 and len(set(kids)) == 1
    assert [p.name for p in folder.iterdir()] == [credential.KEY_FILE]


def test_a_key_file_that_is_not_an_rsa_key_is_refused_with_its_name(tmp_path):
    (tmp_path / credential.KEY_FILE).write_text("not a key")
    with pytest.raises(ValueError, match=credential.KEY_FILE):
        credential.load_or_create_key(tmp_path)


@pytest.mark.parametrize("private, reason", [
    (ed25519.Ed25519PrivateKey.generate, "not an RSA key"),
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024), "1024 bits, too short"),
], ids=["ed25519", "rsa-1024"])
def test_a_key_file_with_a_key_that_cannot_sign_rs256_is_refused(tmp_path, private, reason):
    (tmp_path / credential.KEY_FILE).write_bytes(private().private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                                         NoEncryption()))
    with pytest.raises(ValueError, match=f"{credential.KEY_FILE}.*{reason}"):
        credential.load_or_create_key(tmp_path)


def test_a_key_file_moved_away_is_replaced_by_a_new_key_without_a_restart(tmp_path):
    first = credential.public_jwk(credential.load_or_create_key(tmp_path))
    (tmp_path / credential.KEY_FILE).rename(tmp_path / "retired.pem")

    second = credential.public_jwk(credential.load_or_create_key(tmp_path))
    assert second["kid"] != first["kid"]
    assert credential.public_jwk(credential.load_or_create_key(tmp_path)) == second


@pytest.mark.parametrize("learner", ["فاطمة الزهراء بن علي", "Мария Ивановна Петрова"])
def test_a_name_in_arabic_or_cyrillic_comes_back_as_written(key, published, learner):
    document = make(replace(DETAILS, learner=learner))
    token = credential.sign(document, key)

    for checked in (credential.verify(token, published), checked_elsewhere(token, published)):
        identity, = checked["credentialSubject"]["identifier"]
        assert identity == {"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": learner}
        assert checked["description"].startswith(learner)


def test_the_credential_has_what_open_badges_3_requires():
    document = make(revoked_list_url="https://lms.example.test/certificates/revoked.json")

    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["issuer"] == {"id": ISSUER, "type": ["Profile"], "name": "Diplomatic Academy"}
    assert document["validFrom"] == document["awardedDate"] == "2025-04-02T14:30:05Z"
    assert document["name"] == "Certificate of completion: Crisis management"
    subject = document["credentialSubject"]
    assert subject["id"].startswith("urn:uuid:") and subject["type"] == ["AchievementSubject"]
    assert subject["activityStartDate"] == "2025-03-01T00:00:00Z"
    assert subject["activityEndDate"] == "2025-04-02T00:00:00Z"
    assert subject["term"] == "Tunis autumn"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["name"] == "Crisis management"
    assert achievement["achievementType"] == "CertificateOfCompletion" and achievement["inLanguage"] == "en"
    assert "12.5 hours" in achievement["description"] and achievement["criteria"]["narrative"]
    for text in ("Amina Diallo", "Ministry of Foreign Affairs", DETAILS.code, DETAILS.verify_url, "Tunis autumn"):
        assert text in document["description"]
    assert document["credentialStatus"] == {"id": "https://lms.example.test/certificates/revoked.json",
                                            "type": "1EdTechRevocationList"}
    assert document["credentialSchema"] == [{"id": credential.OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}]


DATE_TIME_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
BARE = replace(DETAILS, hours=0, cohort="", cohort_start=None, cohort_end=None, institution="", verify_url="")


@pytest.mark.parametrize("document", [
    make(), make(BARE), make(replace(BARE, learner="")), make(replace(DETAILS, cohort_start=dt.date(2025, 6, 1))),
    make(revoked_list_url="https://lms.example.test/revoked"),
], ids=["full", "bare", "no-learner", "cohort-starting-after-completion", "revocation-list"])
def test_every_credential_has_the_fields_open_badges_3_requires_and_no_empty_ones(document):
    assert {"@context", "id", "type", "issuer", "validFrom", "credentialSubject", "name"} <= set(document)
    assert document["@context"][:2] == [credential.VC_CONTEXT, credential.OB_CONTEXT]
    assert "VerifiableCredential" in document["type"] and "OpenBadgeCredential" in document["type"]
    assert document["issuer"]["id"] and document["issuer"]["type"] == ["Profile"]
    subject = document["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert {"id", "type", "criteria", "description", "name"} <= set(achievement)
    assert achievement["type"] == ["Achievement"] and achievement["criteria"]["narrative"]
    for moment in (document["validFrom"], document["awardedDate"], *(subject.get(name) for name in (
            "activityStartDate", "activityEndDate") if name in subject)):
        assert DATE_TIME_Z.fullmatch(moment)
    if "activityStartDate" in subject:
        assert subject["activityStartDate"] <= subject["activityEndDate"]
    for identity in subject.get("identifier", []):
        assert {"type", "hashed", "identityHash", "identityType"} <= set(identity) and identity["identityHash"]
    if "credentialStatus" in document:
        assert document["credentialStatus"]["id"] and document["credentialStatus"]["type"]

    def values(node):
        if isinstance(node, dict):
            for value in node.values():
                yield from values(value)
        elif isinstance(node, list):
            for value in node:
                yield from values(value)
        else:
            yield node
    assert all(value not in ("", None, [], {}) for value in values(document))


def test_a_certificate_in_french_is_written_in_french():
    document = make(replace(DETAILS, language="fr", course="Gestion de crise"))
    assert document["name"] == "Certificat de réussite : Gestion de crise"
    assert document["description"].startswith("Amina Diallo a achevé le cours « Gestion de crise » le 2 avril 2025.")
    assert document["credentialSubject"]["achievement"]["inLanguage"] == "fr"
    assert "12,5 heures" in document["credentialSubject"]["achievement"]["description"]


def test_times_are_written_in_utc_to_the_second_as_the_jwt_says_them(key, published):
    tunis = dt.timezone(dt.timedelta(hours=1))
    assert make(issued=dt.datetime(2025, 4, 2, 15, 30, 5, 999999, tzinfo=tunis))["validFrom"] == "2025-04-02T14:30:05Z"
    naive = make(issued=dt.datetime(2025, 4, 2, 14, 30, 5, 250000))  # as SQLite gives it back
    assert naive["validFrom"] == "2025-04-02T14:30:05Z"
    assert credential.verify(credential.sign(naive, key), published) == naive


def test_a_credential_not_valid_yet_is_refused(key, published):
    tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    with pytest.raises(CredentialError, match="not valid yet"):
        credential.verify(credential.sign(make(issued=tomorrow), key), published)


def test_a_credential_signed_by_another_tool_with_the_academy_key_verifies(key, published):
    document = make()
    claims = claims_of(document)
    by_kid = signed_elsewhere({**document, **claims}, key, kid=published["keys"][0]["kid"], typ="JWT")
    by_jwk = signed_elsewhere({**document, **claims}, key, jwk=json.loads(jwk.JWK.from_pyca(key.public_key())
                                                                           .export_public()))
    assert credential.verify(by_kid, published) == document
    assert credential.verify(by_jwk, published) == document


@pytest.mark.parametrize("claim, value, reason", [
    ("iss", "https://elsewhere.example/issuer", "“iss” differs from issuer.id"),
    ("jti", "urn:uuid:00000000-0000-0000-0000-000000000000", "“jti” differs from id"),
    ("sub", "urn:uuid:11111111-1111-1111-1111-111111111111", "“sub” differs from credentialSubject.id"),
    ("nbf", int(ISSUED.timestamp()) - 86400, "“nbf” differs from validFrom"),
])
def test_claims_that_disagree_with_the_credential_are_refused(key, published, claim, value, reason):
    document = make()
    claims = {**claims_of(document), claim: value}
    token = signed_elsewhere({**document, **claims}, key, kid=published["keys"][0]["kid"])
    with pytest.raises(CredentialError, match=reason):
        credential.verify(token, published)


def test_a_credential_without_a_claim_open_badges_requires_is_refused(key, published):
    document = make()
    claims = {"iss": ISSUER, "jti": document["id"], "nbf": int(ISSUED.timestamp())}
    token = signed_elsewhere({**document, **claims}, key, kid=published["keys"][0]["kid"])
    with pytest.raises(CredentialError, match="“sub” claim"):
        credential.verify(token, published)


def _forged(header: dict, payload: dict, signature: bytes = b"") -> str:
    return encoded([json.dumps(header).encode(), json.dumps(payload).encode(), signature])


@pytest.mark.parametrize("forge, reason", [
    (lambda token, other: credential.sign(make(), other), "does not publish"),
    (lambda token, other: _forged({"alg": "none", "typ": "JWT"}, {"iss": ISSUER}), "not a signed credential"),
    (lambda token, other: _forged({"alg": "HS256", "kid": json.loads(segments(token)[0])["kid"]}, {}, b"x" * 32),
     "signed with “HS256”"),
    (lambda token, other: encoded([b'{"alg":"RS256","typ":"JWT"}', *segments(token)[1:]]), "which key"),
    (lambda token, other: encoded([json.dumps({**json.loads(segments(token)[0]), "x5u": "https://evil.example/"})
                                   .encode(), *segments(token)[1:]]), "does not allow: x5u"),
    (lambda token, other: "not a credential", "three parts"),
    (lambda token, other: token + "." + token, "three parts"),
    (lambda token, other: "A" * (credential.MAX_TOKEN + 1), "short text"),
    (lambda token, other: None, "short text"),
], ids=["another-key", "alg-none", "hmac", "no-kid", "extra-header", "not-a-token", "too-many-parts", "huge",
        "none"])
def test_what_the_academy_did_not_sign_is_refused_with_a_reason(key, other, published, forge, reason):
    with pytest.raises(CredentialError, match=reason):
        credential.verify(forge(credential.sign(make(), key), other), published)


def test_a_key_set_without_the_signing_key_says_so(key):
    token = credential.sign(make(), key)
    with pytest.raises(CredentialError, match="not a JSON Web Key Set"):
        credential.verify(token, {"key": []})
    with pytest.raises(CredentialError, match="does not publish"):
        credential.verify(token, {"keys": [{"kty": "RSA", "kid": "x"}]})


@pytest.mark.parametrize("secret", [
    lambda public: public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
    lambda public: public.public_bytes(Encoding.PEM, PublicFormat.PKCS1),
    lambda public: public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
    lambda public: json.dumps(credential.public_jwk(public)).encode(),
], ids=["pem", "pem-pkcs1", "der", "jwk"])
def test_a_credential_forged_with_hmac_keyed_by_the_public_key_is_refused(key, published, secret):
    # The "algorithm confusion" attack: anyone has the public key, so a verifier that let the token choose HS256
    # and took the published key as the HMAC secret would accept whatever the forger wrote.
    document = {**make(), "name": "Certificate of completion: Anything at all"}
    header = {"alg": "HS256", "typ": "JWT", "kid": credential.key_id(ISSUER, key)}
    signing_input = encoded([json.dumps(header).encode(), json.dumps({**document, **claims_of(document)}).encode()])
    shared = secret(key.public_key())
    forged = signing_input + "." + encoded([hmac.new(shared, signing_input.encode(), hashlib.sha256).digest()])
    naive = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(shared).rstrip(b"=").decode())
    assert json.loads(jose_jwt.JWT(jwt=forged, key=naive, algs=["HS256"]).claims)["name"] == document["name"]

    with pytest.raises(CredentialError, match="signed with “HS256”; the academy signs with RS256"):
        credential.verify(forged, published)
    with pytest.raises(JWException):
        checked_elsewhere(forged, published)


def test_a_credential_signed_with_an_ed25519_key_is_refused_even_if_that_key_is_published(key, published):
    earlier = ed25519.Ed25519PrivateKey.generate()
    earlier_jwk = {**json.loads(jwk.JWK.from_pyca(earlier.public_key()).export_public()), "kid": "earlier"}
    document = make()
    token = signed_elsewhere({**document, **claims_of(document)}, earlier, alg="EdDSA", kid=f"{ISSUER}#earlier")
    assert json.loads(jose_jwt.JWT(jwt=token, key=jwk.JWK(**earlier_jwk), algs=["EdDSA"]).claims)["jti"] == \
        document["id"]

    with pytest.raises(CredentialError, match="signed with “EdDSA”"):
        credential.verify(token, {"keys": [*published["keys"], earlier_jwk]})


def test_a_credential_signed_with_the_academy_key_but_another_rsa_algorithm_is_refused(key, published):
    document = make()
    for alg in ("RS512", "PS256"):
        token = signed_elsewhere({**document, **claims_of(document)}, key, alg=alg, kid=published["keys"][0]["kid"])
        with pytest.raises(CredentialError, match=f"signed with “{alg}”"):
            credential.verify(token, published)


def test_a_published_rsa_key_too_short_to_trust_is_refused():
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    weak_jwk = {**json.loads(jwk.JWK.from_pyca(weak.public_key()).export_public()), "kid": "weak"}
    document = make()
    token = signed_elsewhere({**document, **claims_of(document)}, weak, kid=f"{ISSUER}#weak")
    with pytest.raises(CredentialError, match="too short to be trusted"):
        credential.verify(token, {"keys": [weak_jwk]})
