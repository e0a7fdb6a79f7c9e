"""Log-in: attempts are limited per account and per address, every username costs the same work,
a session ends for good at log-out, and passwords that are guessed first are refused."""

from __future__ import annotations

import pytest

from conftest import PASSWORDS, csrf_token
from lms.db import get_db
from lms.accounts import services as accounts

#: More wrong passwords than any sensible limit lets through.
ATTEMPTS = 30


def wrong_passwords_until_refused(client, username: str, headers: dict | None = None) -> int:
    """Post wrong passwords for ``username`` until the log-in is refused with 429; return how many went through."""
    token = csrf_token(client, "/auth/login")
    for attempt in range(ATTEMPTS):
        response = client.post("/auth/login", data={"username": username, "password": f"wrong-password-{attempt}",
                                                    "csrf_token": token}, headers=headers or {})
        if response.status_code == 429:
            return attempt
        assert response.status_code == 401
    pytest.fail(f"{ATTEMPTS} wrong passwords for {username!r} and the log-in is still open")


def later(monkeypatch, seconds: float) -> None:
    """Move the clock of the in-memory attempt counter on by ``seconds``."""
    import time

    import limits.storage.memory

    class Clock:
        @staticmethod
        def time() -> float:
            return time.time() + seconds

    monkeypatch.setattr(limits.storage.memory, "time", Clock)


def test_wrong_passwords_lock_the_account_then_the_right_one_waits_for_the_window(client, auth, users,
                                                                                   monkeypatch):
    allowed = wrong_passwords_until_refused(client, "learner")
    assert allowed == 10
    refused = auth.login("learner")  # the right password, too late
    assert refused.status_code == 429
    assert "Too many failed log-ins for this account" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/courses/").status_code == 302  # not logged in
    # Another account is not held back by it.
    assert auth.login("trainer").status_code == 302
    later(monkeypatch, 15 * 60 + 1)
    assert auth.login("learner").status_code == 302


def test_an_unknown_username_is_limited_like_a_known_one(client, users):
    assert wrong_passwords_until_refused(client, "no-such-user") == 10


def test_a_right_log_in_does_not_count_against_the_limit(app, client, auth, users):
    app.config["LOGIN_LIMIT_ACCOUNT"] = "3 per 15 minutes"
    for _ in range(4):
        assert auth.login("learner").status_code == 302
        auth.logout()
    assert wrong_passwords_until_refused(client, "learner") == 3


def test_one_address_trying_many_accounts_is_limited(app, client, users):
    app.config["LOGIN_LIMIT_ADDRESS"] = "5 per 15 minutes"
    token = csrf_token(client, "/auth/login")
    statuses = [client.post("/auth/login", data={"username": f"official-{n}", "password": "wrong-password",
                                                 "csrf_token": token}).status_code
                for n in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    refused = client.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"],
                                               "csrf_token": token})
    assert refused.status_code == 429
    assert "Too many failed log-ins from your address" in refused.get_data(as_text=True)
    # Other addresses are not held back.
    other = client.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"],
                                             "csrf_token": token}, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 302


def test_known_and_unknown_usernames_cost_one_password_check_each(client, users, monkeypatch):
    checks = []
    real = accounts.check_password_hash

    def counted(stored: str, password: str) -> bool:
        checks.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counted)
    token = csrf_token(client, "/auth/login")
    for username in ("learner", "no-such-user"):
        response = client.post("/auth/login", data={"username": username, "password": "wrong-password",
                                                    "csrf_token": token})
        assert response.status_code == 401
    assert len(checks) == 2
    # The stand-in hash is made the way real ones are, so it costs the same work.
    assert checks[1].split("$")[0] == checks[0].split("$")[0]


@pytest.fixture
def learner(app):
    """The learner's account, made in an app context that is then closed, so each request loads its user afresh,
    as on a server (the ``users`` fixture keeps a context open, and its ``g`` would remember who logged in)."""
    with app.app_context():
        session = get_db()
        accounts.create_user(session, "learner", PASSWORDS["learner"], "learner", display_name="Demo learner")
        session.commit()


def test_a_session_cookie_copied_before_log_out_does_not_work_after_it(app, client, auth, learner):
    auth.login("learner")
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/courses/").status_code == 200  # the copy works while the session lasts
    auth.logout()
    assert thief.get("/courses/").status_code == 302  # sent to log in
    # Logging in again works, and the new session does.
    assert auth.login("learner").status_code == 302
    assert client.get("/courses/").status_code == 200
    assert thief.get("/courses/").status_code == 302


def test_log_out_ends_the_sessions_of_the_account_on_other_devices(app, client, auth, learner):
    auth.login("learner")
    phone = app.test_client()
    token = csrf_token(phone, "/auth/login")
    phone.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"], "csrf_token": token})
    assert phone.get("/courses/").status_code == 200
    auth.logout()
    assert phone.get("/courses/").status_code == 302


@pytest.mark.parametrize("password, reason", [
    ("12345678", "at least 12 characters"),
    ("short-pw", "at least 12 characters"),
    ("123456789012", "too common"),
    ("password1234", "too common"),
    ("Password1234!", "too common"),
    ("iloveyou2026", "too common"),
    ("qwertyuiop123", "too common"),
    ("passerelle2026", "too common"),
    ("aaaaaaaaaaaaaaaa", "too common"),
    ("amina.trainer", "the same as the username"),
    ("Amina.Trainer2026", "the same as the username"),
])
def test_weak_passwords_are_refused(db, password, reason):
    with pytest.raises(accounts.AccountError, match=reason):
        accounts.create_user(db, "amina.trainer", password, "trainer")


def test_passphrases_pass_where_a_common_password_with_digits_does_not(db):
    """The policy refuses what is guessed first, not what officials are told to use: long phrases."""
    from lms.cli import DEMO_ACCOUNTS

    good = [*PASSWORDS.values(), *(password for _, password, *_rest in DEMO_ACCOUNTS), "long-enough-pw",
            "correct horse battery staple", "Kafka on the shore 1Q84"]
    for number, password in enumerate(good):
        accounts.create_user(db, f"official-{number}", password, "learner")
    with pytest.raises(accounts.AccountError, match="too common"):
        accounts.create_user(db, "official", "password1234", "learner")


def test_the_cli_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create", "ali", "--password", "password1234"])
    assert result.exit_code == 1 and "too common" in result.output
