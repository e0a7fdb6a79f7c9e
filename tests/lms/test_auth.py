"""Logging in and out, CSRF, and who may see what."""

from __future__ import annotations

import pytest

from conftest import csrf_token


def test_login_and_logout(client, auth, users):
    response = auth.login("learner")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/"
    assert "Log out Demo learner" in client.get("/courses/").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert client.get("/courses/").status_code == 302  # back to the log-in page


def test_wrong_password_is_401_with_a_message(client, auth, users):
    response = auth.login("learner", "not-the-password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/courses/").status_code == 302


def test_missing_field_is_400(client, users):
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": "learner", "csrf_token": token})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/auth/login", data={"username": "learner", "password": "learner-secret-pw"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_next_only_follows_local_paths(client, users):
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login?next=https://evil.example/", data={
        "username": "learner", "password": "learner-secret-pw", "csrf_token": token})
    assert response.headers["Location"] == "/courses/"


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/reports/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("role, status", [("learner", 403), ("trainer", 200), ("analyst", 200), ("admin", 200)])
def test_reports_are_for_analysts_admins_and_trainers(client, auth, users, role, status):
    auth.login(role)
    response = client.get("/reports/")
    assert response.status_code == status
    if status == 403:
        assert "This page is for accounts with the role analyst / admin / trainer." in response.get_data(as_text=True)


def test_users_create_cli(runner, client, auth):
    result = runner.invoke(args=["users", "create", "fatou", "--role", "trainer", "--password", "long-enough-pw",
                                 "--country", "sn"])
    assert result.exit_code == 0, result.output
    assert auth.login("fatou", "long-enough-pw").status_code == 302
    again = runner.invoke(args=["users", "create", "fatou", "--password", "long-enough-pw"])
    assert again.exit_code == 1 and "The username fatou is taken." in again.output
    short = runner.invoke(args=["users", "create", "ali", "--password", "short"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output
