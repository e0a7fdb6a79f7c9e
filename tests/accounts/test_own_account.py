"""The learner's own account: their name, language and time zone; changing their password (the current one
asked, limited like log-ins, other sessions ended); a forgotten password reset by a mailed one-time link that
tells no one which accounts exist; mail written to the log for demonstrations."""

from __future__ import annotations

import html
import logging
import re
import time

import pytest

from conftest import PASSWORDS, csrf_token
from lms.accounts import links
from lms.accounts import services as accounts
from people_fixtures import as_admin, mail_server  # noqa: F401 (fixtures)

NEW_PASSWORD = "river lantern copper seventy"
RESET_LINK = re.compile(r"https://lms\.example\.test(/account/reset/[\w.-]+)")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def eventually(check, what: str):
    """Wait for ``check()`` to be true (mail leaves in the background), and return it."""
    deadline = time.monotonic() + 10
    while not (found := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"still no {what}")
        time.sleep(0.02)
    return found


def logged_in(app, username: str):
    """A new browser, logged in as ``username``."""
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": username, "password": PASSWORDS[username],
                                                "csrf_token": token})
    assert response.status_code == 302
    return client


def change_password(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None, **extra):
    token = csrf_token(client, "/account/profile/password")
    return client.post("/account/profile/password", data={"current": current, "password": new,
                                                          "confirm": new if confirm is None else confirm,
                                                          "csrf_token": token, **extra})


def ask_for_a_link(client, name: str, **kwargs):
    token = csrf_token(client, "/account/forgot")
    return client.post("/account/forgot", data={"name": name, "csrf_token": token}, **kwargs)


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", page)


@pytest.fixture
def reachable(db, users):
    """The learner has an e-mail address and reads French."""
    accounts.update_user(db, users["learner"], email="Jonas.Learner@mfa.example.org", language="fr")
    db.commit()
    return users["learner"]


def test_a_user_changes_their_name_but_not_what_admins_set(app, client, auth, db, users):
    auth.login("learner")
    page = text(client.get("/account/profile"))
    assert "Ministry of Foreign Affairs" in page and "Set by the administrators" in page  # shown, read-only
    token = csrf_token(client, "/account/profile")
    saved = client.post("/account/profile", data={
        "display_name": "  Jonas <b>Adamou</b> ", "language": "en", "timezone": "Africa/Niamey",
        "role": "admin", "institution": "Elsewhere", "username": "root", "csrf_token": token})
    assert saved.status_code == 302
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Jonas &lt;b&gt;Adamou&lt;/b&gt;" in page and "<b>Adamou" not in page
    db.expire_all()
    learner = users["learner"]
    assert (learner.display_name, learner.timezone) == ("Jonas <b>Adamou</b>", "Africa/Niamey")
    assert (learner.role, learner.institution, learner.username) == ("learner", "Ministry of Foreign Affairs",
                                                                     "learner")


@pytest.mark.parametrize("name, reason", [("   ", "A name is required."),
                                          ("x" * 201, "name: at most 200 characters.")])
def test_a_name_the_accounts_service_refuses_is_not_saved(client, auth, db, users, name, reason):
    auth.login("learner")
    token = csrf_token(client, "/account/profile")
    refused = client.post("/account/profile", data={"display_name": name, "language": "en", "timezone": "",
                                                    "csrf_token": token})
    assert refused.status_code == 400 and reason in text(refused)
    db.expire_all()
    assert users["learner"].display_name == "Demo learner"


def test_a_wrong_current_password_changes_nothing(client, auth, db, users):
    auth.login("learner")
    refused = change_password(client, "not-my-password")
    assert refused.status_code == 400 and "This is not your current password." in text(refused)
    db.expire_all()
    assert accounts.authenticate(db, "learner", PASSWORDS["learner"]) is not None
    assert accounts.authenticate(db, "learner", NEW_PASSWORD) is None


@pytest.mark.parametrize("new, confirm, reason", [
    ("password1234", None, "too common"),
    ("learner", None, "at least 12 characters"),
    (NEW_PASSWORD, "river lantern copper seventy one", "The two passwords differ."),
])
def test_the_new_password_follows_the_policy(client, auth, db, users, new, confirm, reason):
    auth.login("learner")
    refused = change_password(client, PASSWORDS["learner"], new, confirm)
    assert refused.status_code == 400 and reason in text(refused)
    db.expire_all()
    assert accounts.authenticate(db, "learner", PASSWORDS["learner"]) is not None


def test_a_changed_password_ends_the_other_sessions_and_keeps_this_one(app, client, auth, db, users):
    auth.login("learner")
    phone = logged_in(app, "learner")
    colleague = logged_in(app, "trainer")
    assert phone.get("/account/profile").status_code == 200
    changed = change_password(client, PASSWORDS["learner"])
    assert changed.status_code == 302
    assert "Your password is changed." in text(client.get(changed.headers["Location"]))
    assert client.get("/account/profile").status_code == 200  # still logged in here
    assert phone.get("/account/profile").status_code == 302  # to the log-in page
    assert colleague.get("/account/profile").status_code == 200  # another account is left alone
    assert auth.login("learner").status_code == 401  # the old password
    assert auth.login("learner", NEW_PASSWORD).status_code == 302


def test_wrong_current_passwords_count_as_failed_log_ins(app, client, auth, users):
    app.config["LOGIN_LIMIT_ACCOUNT"] = "3 per 15 minutes"
    auth.login("learner")
    assert [change_password(client, f"guess number {n}").status_code for n in range(4)] == [400, 400, 400, 429]
    refused = change_password(client, PASSWORDS["learner"])  # the right one waits too
    assert refused.status_code == 429 and "Too many failed log-ins for this account" in text(refused)
    # The log-in form of the same account is held back as well, from anywhere.
    elsewhere = app.test_client()
    token = csrf_token(elsewhere, "/auth/login")
    blocked = elsewhere.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"],
                                                  "csrf_token": token}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert blocked.status_code == 429


def test_changing_a_password_needs_a_log_in_and_a_csrf_token(client, auth, db, users):
    assert client.get("/account/profile/password").status_code == 302
    auth.login("learner")
    forged = client.post("/account/profile/password", data={"current": PASSWORDS["learner"],
                                                             "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert forged.status_code == 400
    db.expire_all()
    assert accounts.authenticate(db, "learner", NEW_PASSWORD) is None


def test_the_log_in_page_leads_to_the_forgotten_password_page(client):
    page = text(client.get("/auth/login"))
    assert 'href="/account/forgot"' in page and "Forgot your password?" in page


def test_without_mail_the_page_says_to_ask_an_administrator(client, users):
    page = client.get("/account/forgot")
    assert page.status_code == 200
    assert "Ask an administrator" in text(page) and 'name="name"' not in text(page)


def test_a_forgotten_password_is_reset_once_with_a_link_mailed_in_the_account_language(app, client, db, reachable,
                                                                                       mail_server):
    asked = ask_for_a_link(client, "learner")
    assert asked.status_code == 200 and "a message with a link to choose a new password is on its way" in text(asked)
    message, = eventually(lambda: mail_server.messages, "message")
    assert (message["To"], message["Subject"]) == ("Jonas.Learner@mfa.example.org",
                                                   "Un nouveau mot de passe pour Passerelle")
    body = message.get_content()
    assert "Bonjour Demo learner" in body and "pendant 2\u00a0heures" in body  # Babel's no-break space
    link = RESET_LINK.search(body)[1]

    stranger = app.test_client()
    assert "learner" in text(stranger.get(link))
    token = csrf_token(stranger, link)
    done = stranger.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and stranger.get("/account/profile").status_code == 200
    again = app.test_client().get(link)
    assert again.status_code == 400 and "This link has already been used." in text(again)
    db.expire_all()
    assert accounts.authenticate(db, "learner", NEW_PASSWORD) is not None
    assert accounts.authenticate(db, "learner", PASSWORDS["learner"]) is None


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, db, users, reachable, mail_server):
    accounts.update_user(db, users["trainer"], email="")  # an account no mail can reach
    db.commit()
    names = ("no-such-official", "trainer", "jonas.learner@MFA.example.org")
    answers = [ask_for_a_link(client, name) for name in names]
    assert {response.status_code for response in answers} == {200}
    assert len({without_tokens(response.get_data(as_text=True)) for response in answers}) == 1
    message, = eventually(lambda: mail_server.messages, "message")  # only the account with an address
    assert message["To"] == "Jonas.Learner@mfa.example.org"


def test_asking_for_links_is_limited_per_address_and_per_account(app, client, reachable, mail_server):
    app.config["RESET_LIMIT"] = "2 per hour"
    assert [ask_for_a_link(client, name).status_code for name in ("a", "b", "c")] == [200, 200, 429]
    answers = [ask_for_a_link(client, "learner", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code
               for n in range(3)]
    assert answers == [200, 200, 429]
    other = ask_for_a_link(client, "someone-else", environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert other.status_code == 200
    assert "Too many requests for a new password" in text(ask_for_a_link(client, "d"))
    eventually(lambda: len(mail_server.messages) == 2, "second message")


def test_asking_for_a_link_needs_a_csrf_token(client, reachable, mail_server, db):
    refused = client.post("/account/forgot", data={"name": "learner"})
    assert refused.status_code == 400
    asked = ask_for_a_link(client, "learner")  # the next, right request is mailed: the refused one never was
    assert asked.status_code == 200
    eventually(lambda: mail_server.messages, "message")
    assert len(mail_server.messages) == 1


def test_with_mail_to_the_log_the_link_is_in_the_log(app, client, db, reachable, caplog):
    app.config["MAIL_LOG"] = "1"
    caplog.set_level(logging.INFO, logger="passerelle.mail")
    assert "Send me a link" in text(client.get("/account/forgot"))
    assert ask_for_a_link(client, "learner").status_code == 200
    logged = eventually(lambda: [r.getMessage() for r in caplog.records if r.name == "passerelle.mail"], "log")
    assert "To: Jonas.Learner@mfa.example.org" in logged[0]
    link = RESET_LINK.search(logged[0])[1]
    token = csrf_token(client, link)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                   "csrf_token": token}).status_code == 302


def test_with_mail_to_the_log_new_accounts_links_are_in_the_log(app, client, as_admin, caplog):
    app.config["MAIL_LOG"] = "1"
    caplog.set_level(logging.INFO, logger="passerelle.mail")
    token = csrf_token(client, "/admin/accounts/new")
    created = client.post("/admin/accounts/new", data={"username": "awa", "display_name": "Awa Ba",
                                                       "email": "awa@example.org", "role": "learner",
                                                       "language": "en", "csrf_token": token})
    assert "were written to the application's log" in text(created)
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "passerelle.mail")
    assert "To: awa@example.org" in logged and "https://lms.example.test/account/password/" in logged


def test_a_reset_link_expires_after_its_hours_and_is_no_set_password_link(app, client, db, reachable, monkeypatch):
    import itsdangerous.timed

    token = links.make_token(app.config["SECRET_KEY"], reachable, links.RESET_SALT)
    assert client.get(f"/account/reset/{token}").status_code == 200
    refused = client.get(f"/account/password/{token}")  # the kind given by admins, valid for days
    assert refused.status_code == 400 and "This link is not valid." in text(refused)

    class Later:
        @staticmethod
        def time() -> float:
            return time.time() + 2 * 3600 + 60

    monkeypatch.setattr(itsdangerous.timed, "time", Later)
    expired = client.get(f"/account/reset/{token}")
    assert expired.status_code == 400 and "Forgot your password?" in text(expired)
