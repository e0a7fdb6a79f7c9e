"""LTI 1.3 launches as a platform sends them: the OIDC log-in, a resource link launch that signs the person in with
the role the platform gives them, and every launch that must be refused with nothing created."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from lms.integration.identities import LTI, ExternalIdentity, issuer_key
from lms.integration.lti.models import SeenNonce
from lms.models import Enrolment, User, utcnow
from lti_platform import CLAIM, CLIENT_ID, INSTRUCTOR, ISSUER, registered, platform, rsa_key  # noqa: F401

MODULE = "consular-crisis-response"


def counts(db) -> tuple[int, ...]:
    """Accounts, external identities, enrolments and nonces kept: what a refused launch must leave as they were."""
    db.rollback()
    return tuple(db.scalar(select(func.count()).select_from(table))
                 for table in (User, ExternalIdentity, Enrolment, SeenNonce))


def test_the_log_in_sends_the_browser_to_the_platform_with_a_state_and_nonce(client, registered, platform):
    answer = platform.log_in(client)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{platform.url}/auth"
    sent = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert sent["client_id"] == CLIENT_ID and sent["login_hint"] == "17" and sent["lti_message_hint"] == "hint-1"
    assert sent["redirect_uri"] == "http://localhost/lti/launch"
    assert (sent["scope"], sent["response_type"], sent["response_mode"], sent["prompt"]) == (
        "openid", "id_token", "form_post", "none")
    assert len(sent["nonce"]) >= 32 and sent["state"].startswith("state-")
    # The state is bound to this browser by a cookie; a second log-in gets another state and nonce.
    assert any(c.key == f"lti1p3-{sent['state']}" for c in client._cookies.values())
    again = parse_qs(urlsplit(platform.log_in(client).headers["Location"]).query)
    assert again["nonce"][0] != sent["nonce"] and again["state"][0] != sent["state"]


def test_a_log_in_from_a_platform_not_registered_is_refused(client, registered, platform):
    answer = platform.log_in(client, iss="https://unknown.example.test")
    assert answer.status_code == 403
    assert "not registered here" in answer.get_data(as_text=True)


def test_a_learner_launched_into_a_course_is_signed_in_enrolled_in_the_platform_course_s_cohort(
        client, db, registered, platform, course):
    answer = platform.launch(client)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/courses/crisis-management/"
    identity = db.scalar(select(ExternalIdentity).where(ExternalIdentity.issuer == issuer_key(LTI, ISSUER)))
    user = identity.user
    assert (identity.subject, user.display_name, user.email, user.role, user.language) == (
        "moodle-user-17", "Aminata Diallo", "aminata.diallo@example.test", "learner", "fr")
    enrolment = db.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.course.slug == "crisis-management"
    assert enrolment.cohort.name == "Consular crisis 2026 (Academy Moodle)"
    # Signed in, in the language the platform gave: the course page names them, in French.
    page = client.get("/courses/crisis-management/")
    assert page.status_code == 200
    assert '<html lang="fr"' in page.get_data(as_text=True) and "Aminata Diallo" in page.get_data(as_text=True)


def test_the_launch_s_claims_are_not_kept_once_it_is_done(client, db, registered, platform, course):
    from lms.integration.lti.models import LaunchData

    assert platform.launch(client).status_code == 303
    db.rollback()
    kept = " ".join(row.value for row in db.scalars(select(LaunchData)))
    assert "aminata" not in kept.lower()


def test_a_learner_launched_into_a_module_is_sent_to_its_cmi5_launch(client, db, registered, platform, course):
    target = f"http://localhost/lti/courses/crisis-management/modules/{MODULE}/"
    answer = platform.launch(client, target=target)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/courses/crisis-management/modules/{MODULE}/launch"
    started = client.get(answer.headers["Location"])
    assert started.status_code == 303 and "fetch=" in started.headers["Location"]


def test_an_instructor_becomes_a_trainer_of_the_platform_course_s_cohort(client, db, registered, platform, course):
    answer = platform.launch(client, token_args={"sub": "moodle-teacher-3", "roles": (INSTRUCTOR,)},
                             name="Kofi Mensah", email="kofi@example.test")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/lti/contexts/")
    user = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "moodle-teacher-3")).user
    assert user.role == "trainer"
    assert db.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == user.id)) == 0
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Consular crisis 2026" in page and "Crisis management" in page


def test_over_https_the_log_in_is_kept_under_cookies_that_follow_the_platform_s_cross_site_post(
        client, db, registered, platform, course):
    answer = platform.log_in(client, base_url="https://localhost")
    cookies = {header.split("=", 1)[0]: header for header in answer.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"lti1p3-session-id", next(name for name in cookies if name.startswith("lti1p3-state-"))}
    for header in cookies.values():
        assert "Secure" in header and "HttpOnly" in header and "SameSite=None" in header
    launched = platform.launch(client, base_url="https://localhost")
    assert launched.status_code == 303


def test_a_launch_posted_by_a_browser_that_kept_no_cookie_of_the_log_in_is_refused(
        app, client, db, registered, platform, course):
    other = app.test_client()
    text = refused(other, db, lambda: platform.launch(client, base_url="https://localhost", browser=other))
    assert "open Passerelle in a new window" in text


def test_the_same_person_launched_again_keeps_one_account(client, db, registered, platform, course):
    platform.launch(client)
    sign_out(client)
    assert platform.launch(client).status_code == 303
    assert db.scalar(select(func.count()).select_from(ExternalIdentity)) == 1


def sign_out(client) -> None:
    """The browser forgets its Passerelle session (the LTI cookies stay)."""
    client.delete_cookie("session")
    assert client.get("/courses/").status_code == 302


def refused(client, db, answer_of, status=403) -> str:
    before = counts(db)
    answer = answer_of()
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "text/html"
    assert counts(db) == before
    # Nobody is signed in by it.
    assert client.get("/courses/").status_code == 302
    return answer.get_data(as_text=True)


def test_an_expired_id_token_is_refused(client, db, registered, platform, course):
    past = int(time.time()) - 3600
    text = refused(client, db, lambda: platform.launch(client, iat=past - 300, exp=past))
    assert "signature is not valid, or it has expired" in text


def launched_once(client, platform) -> dict:
    """Log in and launch from the platform (accepted), sign out, and return the form it posted, to send again."""
    answer = platform.log_in(client)
    sent = parse_qs(urlsplit(answer.headers["Location"]).query)
    form = {"id_token": platform.id_token(sent["nonce"][0]), "state": sent["state"][0]}
    assert client.post("/lti/launch", data=form).status_code == 303
    sign_out(client)
    return form


def test_a_launch_sent_again_is_refused(client, db, registered, platform, course):
    form = launched_once(client, platform)
    text = refused(client, db, lambda: client.post("/lti/launch", data=form))
    assert "already used" in text
    assert db.scalar(select(func.count()).select_from(SeenNonce)) == 1


def test_a_nonce_the_tool_never_gave_is_refused(client, db, registered, platform, course):
    answer = platform.log_in(client)
    state = parse_qs(urlsplit(answer.headers["Location"]).query)["state"][0]
    form = {"id_token": platform.id_token("a-nonce-of-its-own"), "state": state}
    assert "expired or was already used" in refused(client, db, lambda: client.post("/lti/launch", data=form))


def test_a_launch_without_the_log_in_s_state_is_refused(client, db, registered, platform, course):
    answer = platform.log_in(client)
    nonce = parse_qs(urlsplit(answer.headers["Location"]).query)["nonce"][0]
    form = {"id_token": platform.id_token(nonce), "state": "state-forged"}
    assert "does not follow a log-in" in refused(client, db, lambda: client.post("/lti/launch", data=form))


def test_a_token_for_another_audience_is_refused(client, db, registered, platform, course):
    text = refused(client, db, lambda: platform.launch(client, aud="another-tool"))
    assert "not registered here" in text


def test_an_unknown_deployment_is_refused(client, db, registered, platform, course):
    text = refused(client, db, lambda: platform.launch(client, **{CLAIM + "deployment_id": "99"}))
    assert "deployment of this launch is not registered" in text


def test_an_unknown_issuer_is_refused(client, db, registered, platform, course):
    text = refused(client, db, lambda: platform.launch(client, iss="https://unknown.example.test"))
    assert "not registered here" in text


def test_a_token_signed_with_another_key_is_refused(client, db, registered, platform, course):
    other, _jwk = rsa_key()
    text = refused(client, db, lambda: platform.launch(client, token_args={"key": other}))
    assert "signature is not valid" in text


def test_a_token_that_is_no_jwt_is_refused(client, db, registered, platform, course):
    answer = platform.log_in(client)
    state = parse_qs(urlsplit(answer.headers["Location"]).query)["state"][0]
    form = {"id_token": "not.a-jwt", "state": state}
    assert "no readable id_token" in refused(client, db, lambda: client.post("/lti/launch", data=form))


@pytest.mark.parametrize("missing", ["sub", CLAIM + "roles", CLAIM + "resource_link"])
def test_a_launch_missing_a_required_claim_is_refused(client, db, registered, platform, course, missing):
    refused(client, db, lambda: platform.launch(client, **{missing: None}))


def test_a_deactivated_account_is_not_let_in(client, db, registered, platform, course):
    platform.launch(client)
    sign_out(client)
    user = db.scalar(select(ExternalIdentity)).user
    user.active = False
    db.commit()
    text = refused(client, db, lambda: platform.launch(client))
    assert "deactivated" in text


def test_the_tool_s_key_set_publishes_the_key_it_signs_with(client, db, registered):
    keys = client.get("/lti/jwks").get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert "d" not in keys[0]  # never the private half
    from lms.integration.lti import services

    old = keys[0]["kid"]
    services.rotate_key(db)
    db.commit()
    kids = [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]]
    assert len(kids) == 2 and kids[1] == old and kids[0] != old
    assert services.current_key(db).kid == kids[0]


def test_a_launch_or_log_in_with_nothing_in_it_is_a_plain_refusal(client, db, registered, platform, course):
    assert "no readable id_token" in refused(client, db, lambda: client.post("/lti/launch", data={}))
    assert client.post("/lti/login", data={}).status_code == 403
    assert client.get("/lti/login").status_code == 403
    assert client.get("/lti/launch").status_code == 405


def test_a_token_whose_claims_have_the_wrong_shape_is_refused(client, db, registered, platform, course):
    answer = platform.log_in(client)
    sent = parse_qs(urlsplit(answer.headers["Location"]).query)
    for nonce, claims in ((["a", "list"], {}), (sent["nonce"][0], {"aud": {"client": CLIENT_ID}}),
                          (sent["nonce"][0], {CLAIM + "deployment_id": ["1"]}),
                          (sent["nonce"][0], {CLAIM + "roles": "Learner"})):
        token = platform.id_token(nonce, **claims)
        refused(client, db, lambda: client.post("/lti/launch", data={"id_token": token, "state": sent["state"][0]}))


@pytest.mark.parametrize("missing", ["exp", "iat"])
def test_a_token_that_does_not_say_when_it_expires_or_was_issued_is_refused(client, db, registered, platform,
                                                                            course, missing):
    text = refused(client, db, lambda: platform.launch(client, **{missing: None}))
    assert "signature is not valid, or it has expired" in text


def test_a_launch_sent_again_once_its_nonce_is_forgotten_is_still_refused(client, db, registered, platform, course):
    from lms.integration.lti.adapter import forget_expired

    form = launched_once(client, platform)
    # The nonce kept of the launch expires and is deleted, as a later log-in does with what expired.
    db.execute(update(SeenNonce).values(expires=utcnow() - dt.timedelta(seconds=1)))
    db.commit()
    forget_expired(db)
    db.commit()
    assert db.scalar(select(func.count()).select_from(SeenNonce)) == 0
    text = refused(client, db, lambda: client.post("/lti/launch", data=form))
    assert "expired or was already used" in text


def test_a_log_in_begun_more_than_ten_minutes_ago_is_refused(client, db, registered, platform, course):
    from lms.integration.lti.models import LaunchData

    answer = platform.log_in(client)
    sent = parse_qs(urlsplit(answer.headers["Location"]).query)
    db.rollback()
    for row in db.scalars(select(LaunchData)):
        assert row.expires.replace(tzinfo=dt.timezone.utc) <= utcnow() + dt.timedelta(minutes=10)
        row.expires = utcnow() - dt.timedelta(seconds=1)  # ten minutes later
    db.commit()
    form = {"id_token": platform.id_token(sent["nonce"][0]), "state": sent["state"][0]}
    refused(client, db, lambda: client.post("/lti/launch", data=form))


def test_log_ins_from_one_address_are_limited(app, client, registered, platform):
    app.config["LTI_LOGIN_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert platform.log_in(client).status_code == 302
    answer = platform.log_in(client)
    assert answer.status_code == 429
    assert "Too many launches from your address" in answer.get_data(as_text=True)
    assert client.get("/lti/login").status_code == 429
    # Another address is not held up.
    other = client.post("/lti/login", data={}, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 403


def test_an_instructor_whose_account_here_is_a_learner_s_goes_in_as_a_learner(client, db, registered, platform,
                                                                               course):
    """A launch does not promote an account: the person met first as a learner is sent where a learner goes."""
    assert platform.launch(client, token_args={"sub": "moodle-user-5"}).status_code == 303
    sign_out(client)
    answer = platform.launch(client, token_args={"sub": "moodle-user-5", "roles": (INSTRUCTOR,)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/courses/crisis-management/"
    assert client.get(answer.headers["Location"]).status_code == 200
    db.rollback()
    user = db.scalar(select(ExternalIdentity).where(ExternalIdentity.subject == "moodle-user-5")).user
    assert user.role == "learner"
    assert db.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == user.id)) == 1
    # Made a trainer here by an administrator, the same person is sent to the platform course's page.
    user.role = "trainer"
    db.commit()
    sign_out(client)
    answer = platform.launch(client, token_args={"sub": "moodle-user-5", "roles": (INSTRUCTOR,)})
    assert answer.headers["Location"].startswith("/lti/contexts/")
    assert client.get(answer.headers["Location"]).status_code == 200


@pytest.mark.parametrize("claim", ["lineitem", "lineitems", "memberships", "deep_link_return_url"])
def test_a_launch_naming_a_service_away_from_the_platform_s_host_is_refused(client, db, registered, platform, course,
                                                                            claim):
    elsewhere = "https://elsewhere.example.test/collect"
    claims = {**platform.ags_claim(), **platform.nrps_claim()}
    if claim == "memberships":
        claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]["context_memberships_url"] = elsewhere
    elif claim == "deep_link_return_url":
        claims = platform.deep_linking_claims()
        settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
        settings[claim] = elsewhere
        claims["token_args"] = {"roles": (INSTRUCTOR,)}
    else:
        claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"][claim] = elsewhere
    text = refused(client, db, lambda: platform.launch(client, **claims))
    assert "elsewhere.example.test/collect, which is not the platform" in text


def test_the_platform_s_key_set_is_fetched_once_for_several_launches(client, db, registered, platform, course):
    assert platform.launch(client).status_code == 303
    sign_out(client)
    assert platform.launch(client, token_args={"sub": "moodle-user-18"}).status_code == 303
    assert platform.key_set_fetches == 1


def test_a_key_the_platform_rotated_in_is_fetched_at_once(client, db, registered, platform, course):
    assert platform.launch(client).status_code == 303
    sign_out(client)
    platform.private_pem, platform.jwk = rsa_key()  # the platform signs with a new key, published in its key set
    assert platform.launch(client, token_args={"sub": "moodle-user-18"}).status_code == 303
    assert platform.key_set_fetches == 2
