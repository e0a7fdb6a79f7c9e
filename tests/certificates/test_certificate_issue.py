"""A certificate is issued once, when the LMS records a course's completion; it is shown on the course page and
the catalogue, verified by anyone at its public page, revoked by an admin, and each award and revocation is a
statement in the LRS."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from authoring.model import CompletionRule
from certificate_fixtures import ENDS, STARTS, certificate, completed, in_cohort  # noqa: F401 (fixtures)
from conftest import PUBLIC_URL, csrf_token
from learning_helpers import SAMPLE_COMPLETION, finish, finish_course
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.services import learning

COURSE = "/courses/crisis-management"
COURSE_IRI = "https://courses.passerelle.example/crisis-management"
EARNED = "http://id.tincanapi.com/verb/earned"
REVOKED = f"{PUBLIC_URL}xapi-vocabulary/verbs/revoked"


def test_completing_the_course_issues_one_certificate_stating_what_the_pdf_states(db, certificate, users):
    details = certificate.details
    assert details.learner == "Demo learner"
    assert details.course == "Crisis management and protection of citizens abroad"
    assert details.hours == pytest.approx(380 / 60, abs=0.01)  # 45 + 90 + 120 + 35 + 50 + 40 minutes
    assert (details.cohort, details.cohort_start, details.cohort_end) == ("Tunis autumn", STARTS, ENDS)
    assert details.institution == "Ministry of Foreign Affairs"
    assert details.academy == "Passerelle Academy"
    assert details.verify_url == f"{PUBLIC_URL}certificates/verify/{certificate.code}"
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){4}[0-9A-HJKMNP-TV-Z]{5}", certificate.code)


def test_a_course_completed_again_issues_no_second_certificate(db, completed, certificate, users):
    course = completed.course.current.model
    finish(db, learning.enrolled_learner(completed, "en", PUBLIC_URL), course, SAMPLE_COMPLETION[-1])
    assert db.query(Certificate).count() == 1
    assert certificates.certificate_for(db, users["learner"], completed.course).code == certificate.code


def test_no_certificate_before_every_rule_is_met(db, in_cohort, users):
    course = in_cohort.course.current.model
    learner = learning.enrolled_learner(in_cohort, "en", PUBLIC_URL)
    for slug in SAMPLE_COMPLETION[:-1]:
        finish(db, learner, course, slug)
    assert certificates.certificate_for(db, users["learner"], in_cohort.course) is None


def test_the_certificate_is_written_in_the_learners_language(db, in_cohort, users):
    users["learner"].language = "ru"
    db.commit()
    course = in_cohort.course.current.model
    finish_course(db, learning.enrolled_learner(in_cohort, "en", PUBLIC_URL), course)
    made = certificates.certificate_for(db, users["learner"], in_cohort.course)
    assert made.details.language == "ru"
    assert made.details.course == "Управление кризисами и защита граждан за рубежом"


def test_the_award_is_a_statement_the_lms_vouches_for(app, lrs, certificate, completed):
    [award] = lrs.query(verb=EARNED)
    assert award["object"]["id"] == f"{PUBLIC_URL}certificates/{certificate.uuid}"
    assert award["context"]["registration"] == completed.registration
    assert award["context"]["contextActivities"]["parent"][0]["id"] == COURSE_IRI
    assert award["authority"] == learning.authority(PUBLIC_URL)
    assert certificate.code not in str(award)  # the code opens the public page: it stays on the paper


def codes_on(page: str) -> set[str]:
    return set(re.findall(r"(?:[0-9A-Z]{5}-){4}[0-9A-Z]{5}", page))


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_course_page_and_catalogue_say_completed_on_the_learners_day_in_their_language(
        client, auth, db, users, certificate, zone):
    """Kiritimati (UTC+14) and Pago Pago (UTC-11) never share a date: at least one of them is not UTC's."""
    users["learner"].timezone, users["learner"].language = zone, "fr"
    db.commit()
    day = dt.datetime.now(ZoneInfo(zone)).date()
    from babel.dates import format_date
    expected = f"Terminé le {format_date(day, 'long', locale='fr')}"
    auth.login("learner")
    course_page = client.get(f"{COURSE}/").get_data(as_text=True)
    catalogue = client.get("/courses/").get_data(as_text=True)
    assert expected in course_page and expected in catalogue
    assert "<strong>inscrit</strong>" not in catalogue  # completed, no longer only "enrolled"


def test_before_completion_the_course_page_lists_the_rules_that_remain(client, auth, db, in_cohort):
    course = in_cohort.course.current.model
    finish(db, learning.enrolled_learner(in_cohort, "en", PUBLIC_URL), course, "consular-crisis-response")
    auth.login("learner")
    page = client.get(f"{COURSE}/").get_data(as_text=True)
    assert "To complete the course:" in page and "Completed on" not in page
    remaining = re.search(r'<ul class="meta remaining">(.*?)</ul>', page, re.S).group(1)
    titles = {m.slug: m.title for m in course.modules}
    for slug in SAMPLE_COMPLETION[1:]:
        assert titles[slug] in remaining
    assert titles["consular-crisis-response"] not in remaining


def test_the_verification_page_needs_no_log_in_and_shows_what_the_certificate_states(client, certificate):
    page = client.get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200 and page.headers["X-Robots-Tag"] == "noindex"
    body = page.get_data(as_text=True)
    for shown in ("Demo learner", "Crisis management and protection of citizens abroad", "Tunis autumn",
                  "Ministry of Foreign Affairs", "Passerelle Academy", certificate.code, "Valid."):
        assert shown in body
    assert certificate.user.actor_id not in body  # nothing else about the learner
    typed = client.get(f"/certificates/verify?code={certificate.code.lower().replace('-', ' ')}")
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/certificates/verify/{certificate.code}")


@pytest.mark.parametrize("code", ["0000000000000000000000000", "nonsense", "<img src=x onerror=alert(1)>", "A" * 5000])
def test_a_code_that_names_no_certificate_is_a_404_with_a_sentence(client, certificate, code):
    page = client.get(f"/certificates/verify/{code}")
    assert page.status_code == 404
    assert "No certificate has this code" in page.get_data(as_text=True)
    assert "<img src=x" not in page.get_data(as_text=True)


def test_codes_are_random_enough_not_to_be_guessed():
    """25 symbols of a 32-letter alphabet: 125 bits; a thousand codes share no prefix longer than chance allows."""
    codes = {certificates.new_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert len(certificates.ALPHABET) ** certificates.CODE_LENGTH >= 2 ** 80
    assert len({c[:5] for c in codes}) > 950  # 32**5 = 33 million prefixes


def test_an_admin_revokes_a_certificate_which_stays_verifiable_as_revoked(client, auth, lrs, certificate):
    auth.login("admin")
    token = csrf_token(client, f"/certificates/admin?q={certificate.code}")
    refused = client.post(f"/certificates/{certificate.id}/revoke", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 400
    done = client.post(f"/certificates/{certificate.id}/revoke",
                       data={"csrf_token": token, "reason": "Attendance sheet falsified"})
    assert done.status_code == 302
    auth.logout()
    page = client.get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Revoked on" in body and "Valid." not in body and "Demo learner" in body
    [revocation] = lrs.query(verb=REVOKED)
    assert revocation["object"]["id"] == f"{PUBLIC_URL}certificates/{certificate.uuid}"
    assert revocation["result"]["response"] == "Attendance sheet falsified"


def test_only_admins_revoke_and_only_the_holder_downloads(client, auth, certificate):
    auth.login("trainer")
    token = csrf_token(client, "/certificates/")
    assert client.post(f"/certificates/{certificate.id}/revoke",
                       data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert client.get(f"/certificates/{certificate.id}/certificate.pdf").status_code == 404
    assert client.get(f"/certificates/{certificate.id}/credential.jwt").status_code == 404
    auth.logout()
    auth.login("learner")
    mine = client.get("/certificates/").get_data(as_text=True)
    assert certificate.code in mine
    pdf = client.get(f"/certificates/{certificate.id}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="certificate-{certificate.code}.pdf"'


def test_a_course_that_asks_for_a_live_session_is_certified_once_the_session_is_attended(db, in_cohort, users):
    """Completion by attendance (lms.sessions records it through learning.record_live_completion) issues too."""
    sample = in_cohort.course.current.model
    course = dataclasses.replace(sample, completion=[*sample.completion, CompletionRule("earthquake-tabletop")])
    learner = learning.enrolled_learner(in_cohort, "en", PUBLIC_URL)
    finish_course(db, learner, course)
    assert certificates.certificate_for(db, users["learner"], in_cohort.course) is None
    learning.record_live_completion(db, learner, course, course.module("earthquake-tabletop"))
    db.commit()
    assert certificates.certificate_for(db, users["learner"], in_cohort.course) is not None


def test_courses_completed_before_certificates_existed_get_theirs_from_the_command(runner, db, completed, users):
    """A completion recorded with no certificate (as before certificates existed) is certified, dated by it."""
    made = certificates.certificate_for(db, users["learner"], completed.course)
    completion_day = made.details.completed
    db.delete(made)
    db.commit()
    result = runner.invoke(args=["certificates", "issue"])
    assert result.exit_code == 0 and "certificates issued: 1" in result.output
    again = certificates.certificate_for(db, users["learner"], completed.course)
    assert again.code != made.code and again.details.completed == completion_day
    assert "certificates issued: 0" in runner.invoke(args=["certificates", "issue"]).output
