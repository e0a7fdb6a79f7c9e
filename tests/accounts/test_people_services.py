"""Accounts through their services: profile fields checked, search, deactivation, one-time password links."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner

from lms.accounts import links, services as accounts

SECRET = "test-secret"


def test_countries_are_the_iso_codes_named_in_the_interface_language():
    french = accounts.countries("fr")
    assert len(french) == 249 and french["SN"] == "Sénégal" and accounts.countries("ar")["GH"] == "غانا"
    assert not {"EU", "UN", "ZZ", "XK", "XA", "001"} & set(french)


@pytest.mark.parametrize("field, value, reason", [
    ("country", "XX", "not an ISO 3166 country code"),
    ("country", "EU", "not an ISO 3166 country code"),
    ("email", "amina@", "not an e-mail address"),
    ("email", "amina diallo@mfa.gov.sn", "not an e-mail address"),
    ("timezone", "Africa/Atlantis", "not a time zone"),
    ("gender", "f", "Unknown gender"),
    ("language", "de", "Unknown language"),
    ("role", "root", "Unknown role"),
    ("institution", "x" * 201, "at most 200 characters"),
])
def test_a_wrong_profile_value_is_refused_and_nothing_changes(db, users, field, value, reason):
    learner = users["learner"]
    with pytest.raises(accounts.AccountError, match=reason):
        accounts.update_user(db, learner, display_name="Renamed", **{field: value})
    db.rollback()
    assert learner.display_name == "Demo learner" and learner.country == "SN"
    profile = {"role": value} if field == "role" else {"role": "learner", field: value}
    with pytest.raises(accounts.AccountError, match=reason):
        accounts.create_user(db, "new.one", None, **profile)
    assert accounts.find_user(db, "new.one") is None


def test_a_profile_is_stored_with_stable_codes(db):
    user = accounts.create_user(db, " fatou.ndiaye ", None, "trainer", "Fatou Ndiaye", email="fatou@mfa.gov.sn",
                                country="sn", institution="Ministère", gender="prefer_not_to_say",
                                language="fr", timezone="Africa/Dakar")
    db.commit()
    assert (user.username, user.country, user.gender, user.timezone, user.language) == \
        ("fatou.ndiaye", "SN", "prefer_not_to_say", "Africa/Dakar", "fr")
    assert accounts.authenticate(db, "fatou.ndiaye", "") is None  # no one knows its password yet


def test_search_matches_username_name_email_and_institution_with_filters_and_pages(db, users):
    accounts.create_user(db, "kofi", None, "learner", "Kofi Mensah", email="kofi@mfa.gov.gh", institution="MFA Ghana")
    accounts.create_user(db, "ama", None, "learner", "Ama Owusu", institution="Immigration 100%")
    accounts.set_active(db, accounts.find_user(db, "ama"), False)
    db.commit()
    names = lambda *args, **kwargs: [u.username for u in accounts.search_users(db, *args, **kwargs)[0]]  # noqa: E731
    assert names("mensah") == names("KOFI@mfa") == names("ghana") == ["kofi"]
    assert names("100%") == ["ama"] and names("1_0") == []
    assert names("", role="learner", active=True) == ["learner", "kofi"]
    assert names("", active=False) == ["ama"]
    page, total = accounts.search_users(db, "", per_page=2, page=3)
    assert total == 6 and [u.username for u in page] == ["trainer", "kofi"]


def test_deactivating_ends_the_sessions(db, users):
    learner = users["learner"]
    token = learner.session_token
    accounts.set_active(db, learner, False)
    assert not learner.is_active and not learner.holds_session(token)


def test_a_set_password_link_works_once(db, users):
    user = accounts.create_user(db, "kofi", None, "learner")
    db.commit()
    token = links.make_token(SECRET, user)
    assert links.user_for_token(db, SECRET, token, 7) is user
    accounts.set_password(db, user, "a long phrase of words")
    with pytest.raises(accounts.AccountError, match="already been used"):
        links.user_for_token(db, SECRET, token, 7)
    assert accounts.authenticate(db, "kofi", "a long phrase of words") is user


@pytest.mark.parametrize("token, reason", [("forged", "not valid"), ("", "not valid")])
def test_a_forged_link_is_refused(db, users, token, reason):
    with pytest.raises(accounts.AccountError, match=reason):
        links.user_for_token(db, SECRET, token, 7)
    with pytest.raises(accounts.AccountError, match="not valid"):  # signed with another key
        links.user_for_token(db, SECRET, links.make_token("another key", users["learner"]), 7)


def test_a_link_expires(db, users, monkeypatch):
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_ago)
    token = links.make_token(SECRET, users["learner"])
    monkeypatch.undo()
    with pytest.raises(accounts.AccountError, match="expired"):
        links.user_for_token(db, SECRET, token, 7)
    assert links.user_for_token(db, SECRET, token, 9) is users["learner"]
