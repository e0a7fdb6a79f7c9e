"""The session cookie: never read by scripts, never sent by another site's form posts, https only when the
platform is; behind a reverse proxy, the client's own address and scheme are the ones counted."""

from __future__ import annotations

import pytest

from conftest import PASSWORDS, PUBLIC_URL, csrf_token
from lms import create_app


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build more apps on the test database with other settings."""
    made = []

    def make(**settings):
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "other"),
                          "SECRET_KEY": "test-secret", "PUBLIC_URL": PUBLIC_URL, **settings})
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["db.engine"].dispose()


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie"
    return cookies[-1]


def test_the_session_cookie_is_http_only_same_site_and_secure_on_https(auth, users):
    cookie = session_cookie(auth.login("learner"))
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie and "; Secure" in cookie


def test_the_session_cookie_is_not_secure_when_the_platform_is_served_over_http(make_app, users):
    client = make_app(PUBLIC_URL="http://127.0.0.1:5000/").test_client()
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": "learner", "password": PASSWORDS["learner"],
                                                "csrf_token": token})
    cookie = session_cookie(response)
    assert "; Secure" not in cookie and "; SameSite=Lax" in cookie and "; HttpOnly" in cookie


def fail_log_ins(client, count: int, **headers) -> list[int]:
    token = csrf_token(client, "/auth/login")
    return [client.post("/auth/login", data={"username": f"official-{n}", "password": "wrong-password",
                                             "csrf_token": token}, headers=headers).status_code
            for n in range(count)]


def test_behind_a_trusted_proxy_each_client_address_is_limited_on_its_own(make_app, users):
    client = make_app(TRUSTED_PROXIES=1, LOGIN_LIMIT_ADDRESS="3 per 15 minutes").test_client()
    assert fail_log_ins(client, 4, **{"X-Forwarded-For": "203.0.113.1"}) == [401, 401, 401, 429]
    assert fail_log_ins(client, 1, **{"X-Forwarded-For": "203.0.113.2"}) == [401]


def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_limit(app, client, users):
    app.config["LOGIN_LIMIT_ADDRESS"] = "3 per 15 minutes"
    statuses = [fail_log_ins(client, 1, **{"X-Forwarded-For": f"203.0.113.{n}"})[0] for n in range(4)]
    assert statuses == [401, 401, 401, 429]
