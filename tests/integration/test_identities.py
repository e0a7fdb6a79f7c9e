"""People who sign in elsewhere get one account each, created the first time they are seen."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from lms.accounts import services as accounts
from lms.integration import identities
from lms.integration.identities import ExternalIdentity, account_for
from lms.models import User
from lms.privacy import services as privacy

HOST = "https://intranet.example.org/"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_person_seen_first_gets_an_account_with_what_the_host_knows(db):
    user = account_for(db, "host", HOST, "1042", display_name="Aminata Diallo", email="a.diallo@mfa.example.sn",
                       username="adiallo", profile={"country": "sn", "institution": "Ministry of Foreign Affairs",
                                                    "gender": "female", "language": "fr", "timezone": "Africa/Dakar"})
    db.commit()
    assert (user.username, user.display_name, user.email, user.role) == \
        ("adiallo", "Aminata Diallo", "a.diallo@mfa.example.sn", "learner")
    assert (user.country, user.institution, user.gender, user.language, user.timezone) == \
        ("SN", "Ministry of Foreign Affairs", "female", "fr", "Africa/Dakar")
    assert user.active and len(user.actor_id) == 32
    # No password anyone knows: the host signs the person in, not a password here.
    assert accounts.authenticate(db, "adiallo", "") is None and accounts.authenticate(db, "adiallo", "1042") is None
    identity = db.scalar(select(ExternalIdentity))
    assert (identity.issuer, identity.subject, identity.user_id) == ("host:" + HOST, "1042", user.id)
    assert identity.created_at is not None


def test_the_same_person_gets_the_same_account_and_another_issuer_another(db):
    first = account_for(db, "host", HOST, "1042", username="adiallo")
    db.commit()
    again = account_for(db, "host", HOST, "1042", username="someone-else", role="admin")
    other = account_for(db, "host", "https://moodle.example.org", "1042", username="adiallo")
    db.commit()
    assert again.id == first.id and again.actor_id == first.actor_id
    assert (again.username, again.role) == ("adiallo", "learner")  # the account's own once made
    assert other.id != first.id and other.username == "adiallo-2"
    assert count(db, User) == count(db, ExternalIdentity) == 2


@pytest.mark.parametrize(("wishes", "expected"), [
    ({"username": "  k.mensah "}, "k.mensah"),
    ({"email": "kofi.mensah@mfa.example.gh"}, "kofi.mensah"),
    ({"username": "", "email": "kofi@mfa.example.gh"}, "kofi"),
    ({}, "8f14e45f-ceea-467f"),  # the subject, when the host gives nothing else
    ({"username": "Kofi Mensah / Accra"}, "Kofi-Mensah-Accra"),
    ({"username": "@@@ ///"}, "8f14e45f-ceea-467f"),
    ({"username": "x" * 200}, "x" * 71),
])
def test_a_new_username_is_made_from_what_the_host_gives(db, wishes, expected):
    user = account_for(db, "host", HOST, "8f14e45f-ceea-467f", **wishes)
    assert user.username == expected


def test_a_username_taken_gets_a_number(db):
    accounts.create_user(db, "kofi", None, "learner")
    names = [account_for(db, "host", HOST, f"s{n}", username="kofi").username for n in range(3)]
    assert names == ["kofi-2", "kofi-3", "kofi-4"]
    many = [account_for(db, "host", HOST, f"t{n}", email="kofi@example.org").username for n in range(8)]
    assert many[:5] == ["kofi-5", "kofi-6", "kofi-7", "kofi-8", "kofi-9"]
    assert all(name.startswith("kofi-") for name in many[5:]) and len(set(many)) == 8


def test_what_the_host_says_later_updates_the_profile_and_nothing_else(db):
    user = account_for(db, "host", HOST, "1042", display_name="Aminata Diallo", username="adiallo",
                       profile={"country": "SN", "gender": "female"})
    db.commit()
    actor = user.actor_id
    user = account_for(db, "host", HOST, "1042", display_name="Aminata Diallo-Sow", email="aminata@mfa.example.sn",
                       username="asow", profile={"country": "ML", "language": "fr-FR", "institution": "",
                                                 "gender": None})
    db.commit()
    db.expire_all()
    user = db.get(User, user.id)
    assert (user.display_name, user.email, user.country, user.language) == \
        ("Aminata Diallo-Sow", "aminata@mfa.example.sn", "ML", "fr")
    assert (user.username, user.gender, user.actor_id) == ("adiallo", "female", actor)


def test_values_not_valid_here_are_left_out_rather_than_refusing_the_person(db):
    user = account_for(db, "host", HOST, "1042", display_name="x" * 300, email="not an address",
                       profile={"country": "Senegal", "gender": "f", "language": "tlh", "timezone": "Dakar",
                                "institution": "Ministry", "password_hash": "x", "role": "admin"})
    assert (user.display_name, user.email, user.country, user.gender, user.language, user.timezone) == \
        ("1042", "", "", "", "en", "")
    assert (user.institution, user.role) == ("Ministry", "learner")


@pytest.mark.parametrize(("issuer", "subject", "role"), [
    ("", "1042", "learner"), (HOST, "  ", "learner"), (HOST, None, "learner"),
    ("https://" + "x" * 250, "1042", "learner"), (HOST, "x" * 256, "learner"), (HOST, "1042", "owner"),
])
def test_an_identity_without_issuer_or_subject_or_with_an_unknown_role_is_refused(db, issuer, subject, role):
    with pytest.raises(accounts.AccountError):
        account_for(db, "host", issuer, subject, role=role)
    assert count(db, User) == 0


def test_a_trainer_role_is_given_to_a_new_account(db):
    assert account_for(db, "host", HOST, "77", role="trainer").role == "trainer"


def other_request(app, monkeypatch, name: str) -> dict:
    """Make ``identities.name`` run, on its first call, another request that creates the person 1042 and
    commits; what that request got is put in the dict returned."""
    real = getattr(identities, name)
    theirs = {}

    def first_call(session, *args):
        monkeypatch.setattr(identities, name, real)  # the other request's own calls, and later ones, are real
        found = real(session, *args)
        with app.extensions["db"]() as other:
            theirs["id"] = account_for(other, "host", HOST, "1042", username="adiallo").id
            other.commit()
        return found

    monkeypatch.setattr(identities, name, first_call)
    return theirs


def test_a_person_created_by_another_request_after_this_one_looked_is_the_same_account(app, db, monkeypatch):
    theirs = other_request(app, monkeypatch, "find_identity")
    mine = account_for(db, "host", HOST, "1042", username="adiallo", display_name="Aminata Diallo")
    db.commit()
    assert mine.id == theirs["id"] and mine.display_name == "Aminata Diallo"
    assert count(db, User) == count(db, ExternalIdentity) == 1


def test_a_person_created_by_another_request_after_this_one_chose_a_username_is_the_same_account(
        app, db, monkeypatch):
    if db.get_bind().dialect.name == "sqlite":
        pytest.skip("on SQLite a request holds the right to write before it chooses the username")
    theirs = other_request(app, monkeypatch, "free_username")
    mine = account_for(db, "host", HOST, "1042", username="adiallo")
    db.commit()
    assert mine.id == theirs["id"]
    assert count(db, User) == count(db, ExternalIdentity) == 1


def test_requests_meeting_a_new_person_at_once_share_one_account(app, db):
    clients = 4
    barrier = threading.Barrier(clients, timeout=60)

    def request(_n):
        with app.extensions["db"]() as session:
            barrier.wait()
            user = account_for(session, "host", HOST, "1042", username="adiallo")
            session.commit()
            return user.id

    with ThreadPoolExecutor(clients) as pool:
        ids = list(pool.map(request, range(clients)))
    assert len(set(ids)) == 1
    assert count(db, User) == count(db, ExternalIdentity) == 1


def test_erasing_the_account_forgets_the_identity_and_the_person_is_met_anew(db):
    admin = accounts.create_user(db, "admin", None, "admin")
    user = account_for(db, "host", HOST, "1042", username="adiallo")
    db.commit()
    actor = user.actor_id
    privacy.erase(db, user, admin, "https://lms.example.test/")
    db.commit()
    assert count(db, ExternalIdentity) == 0
    again = account_for(db, "host", HOST, "1042", username="adiallo")
    db.commit()
    assert again.actor_id != actor and again.username == "adiallo"


def test_a_host_and_a_platform_of_the_same_issuer_never_share_a_person(db):
    """A platform registered with the issuer of a host (its PUBLIC_URL) does not sign in the host's user 7 as its
    own subject "7"."""
    from lms.integration.lti import services as lti

    host_user = account_for(db, "host", HOST, "7", username="host-seven", role="admin")
    platform = lti.register_platform(db, issuer=HOST, client_id="c", deployment_ids=["1"],
                                     jwks_url="https://moodle.example.org/jwks",
                                     auth_login_url="https://moodle.example.org/auth",
                                     auth_token_url="https://moodle.example.org/token")
    launched = lti.admit(db, platform, {"sub": "7", lti.ROLES_CLAIM: ["Learner"]}).user
    assert launched.id != host_user.id and launched.role == "learner"
    assert count(db, User) == count(db, ExternalIdentity) == 2
    assert account_for(db, "host", HOST, "7").id == host_user.id
    assert identities.find_identity(db, "lti", HOST, "7").user_id == launched.id
