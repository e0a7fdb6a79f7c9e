"""What a learner downloads is what an employer can check: the PDF's QR code leads to the verification page, and
the signed credential verifies, with another library, against the key the academy publishes."""

from __future__ import annotations

import pytest
import zxingcpp

from certificate_fixtures import completed, in_cohort  # noqa: F401 (fixtures)
from conftest import PUBLIC_URL, csrf_token
from learning_helpers import finish_course
from lms.certificates import services as certificates
from lms.services import learning
from test_certificate_credential import checked_elsewhere
from test_certificate_pdf import page_of, text_of

ARABIC_NAME = "ليلى حداد"
ARABIC_COURSE = "إدارة الأزمات وحماية المواطنين في الخارج"


@pytest.fixture
def arabic_certificate(db, in_cohort, users):
    """The learner, who reads Arabic, completes the course and gets a certificate in Arabic."""
    users["learner"].language, users["learner"].display_name = "ar", ARABIC_NAME
    db.commit()
    course = in_cohort.course.current.model
    finish_course(db, learning.enrolled_learner(in_cohort, "en", PUBLIC_URL), course)
    return certificates.certificate_for(db, users["learner"], in_cohort.course)


def test_the_pdfs_qr_code_leads_to_the_verification_page_of_the_same_certificate(client, auth, arabic_certificate):
    auth.login("learner")
    pdf = client.get(f"/certificates/{arabic_certificate.id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = text_of(pdf.data)
    for stated in (ARABIC_NAME, ARABIC_COURSE, arabic_certificate.code):
        assert stated in text
    [address] = [found.text for image in page_of(pdf.data).images for found in zxingcpp.read_barcodes(image.image)]
    assert address == f"{PUBLIC_URL}certificates/verify/{arabic_certificate.code}"
    auth.logout()
    page = client.get(address.removeprefix(PUBLIC_URL.rstrip("/")))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert ARABIC_NAME in body and ARABIC_COURSE in body and arabic_certificate.code in body


def test_the_signed_credential_verifies_against_the_published_key_and_not_once_altered(client, auth, completed,
                                                                                      users):
    made = certificates.certificate_for(client.application.extensions["db"](), users["learner"], completed.course)
    auth.login("learner")
    token = client.get(f"/certificates/{made.id}/credential.jwt").get_data(as_text=True)
    auth.logout()
    keys = client.get("/.well-known/jwks.json").get_json()
    assert keys == client.get("/certificates/issuer/jwks.json").get_json()
    claims = checked_elsewhere(token, keys)
    assert claims["id"] == f"urn:uuid:{made.uuid}"
    assert claims["issuer"]["id"] == f"{PUBLIC_URL}certificates/issuer"
    assert claims["credentialSubject"]["achievement"]["name"] == "Crisis management and protection of citizens abroad"
    assert claims["credentialSubject"]["identifier"][0]["identityHash"] == "Demo learner"
    profile = client.get("/certificates/issuer").get_json()
    assert profile["id"] == claims["issuer"]["id"]
    header, payload, signature = token.split(".")
    altered = payload[:40] + ("A" if payload[40] != "A" else "B") + payload[41:]
    with pytest.raises(Exception):
        checked_elsewhere(".".join((header, altered, signature)), keys)


def test_a_revoked_credential_is_on_the_academys_revocation_list(client, auth, completed, users):
    made = certificates.certificate_for(client.application.extensions["db"](), users["learner"], completed.course)
    assert client.get("/certificates/revoked.json").get_json()["revokedCredential"] == []
    auth.login("admin")
    client.post(f"/certificates/{made.id}/revoke",
                data={"csrf_token": csrf_token(client, "/certificates/admin"), "reason": "Issued in error"})
    listed = client.get("/certificates/revoked.json").get_json()["revokedCredential"]
    assert listed == [{"id": f"urn:uuid:{made.uuid}", "revoked": True, "revocationReason": "Issued in error"}]
