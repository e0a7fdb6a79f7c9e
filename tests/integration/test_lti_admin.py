"""Registering platforms: the admin's page (the tool's values to enter in the platform, the form, removal) and
``passerelle lti``, each refusing wrong values with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from conftest import csrf_token
from lms.integration.lti.models import Platform

GOOD = {"name": "Academy Moodle", "issuer": "https://moodle.example.test", "client_id": "abc123",
        "deployment_ids": "1\n2\n", "jwks_url": "https://moodle.example.test/mod/lti/certs.php",
        "auth_login_url": "https://moodle.example.test/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.test/mod/lti/token.php", "auth_audience": ""}


def register(client, **values):
    return client.post("/lti/platforms", data={"csrf_token": csrf_token(client, "/lti/platforms"), **GOOD, **values})


def test_the_admin_page_shows_the_values_to_enter_in_the_platform(client, auth, users):
    auth.login("admin")
    # Under PUBLIC_URL, the address platforms reach Passerelle at, not the host the admin's request came to.
    page = client.get("/lti/platforms").get_data(as_text=True)
    for address in ("https://lms.example.test/lti/login", "https://lms.example.test/lti/launch",
                    "https://lms.example.test/lti/jwks"):
        assert f"<code>{address}</code>" in page
    assert "http://localhost/lti" not in page
    assert "No platform is registered yet." in page
    assert "launch container to “New window”" in page


def test_an_admin_registers_a_platform_and_removes_it(client, db, auth, users):
    auth.login("admin")
    answer = register(client)
    assert answer.status_code == 302
    page = client.get("/lti/platforms").get_data(as_text=True)
    assert "Registered Academy Moodle." in page and "abc123" in page and "1, 2" in page
    platform = db.scalar(select(Platform))
    assert platform.deployment_ids == ["1", "2"]
    token = csrf_token(client, "/lti/platforms")
    assert client.post(f"/lti/platforms/{platform.id}/remove", data={"csrf_token": token}).status_code == 302
    assert db.scalar(select(func.count()).select_from(Platform)) == 0
    assert client.post("/lti/platforms/999/remove", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("values, reason", [
    ({"issuer": ""}, "This address is required."),
    ({"issuer": "moodle"}, "is not an address"),
    ({"client_id": " "}, "The client id the platform gave the tool is required."),
    ({"deployment_ids": "\n"}, "At least one deployment id is required."),
    ({"jwks_url": "http://moodle.example.test/certs"}, "must use https"),
    ({"auth_token_url": "ftp://moodle.example.test/token"}, "is not an address"),
    ({"issuer": "https://moodle.example.test/" + "x" * 240}, "An issuer is at most 255 characters"),
])
def test_a_wrong_value_is_refused_beside_its_field(client, db, auth, users, values, reason):
    auth.login("admin")
    answer = register(client, **values)
    assert answer.status_code == 400
    assert reason in answer.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Platform)) == 0


def test_the_same_issuer_and_client_id_are_registered_once(client, db, auth, users):
    auth.login("admin")
    register(client)
    answer = register(client)
    assert answer.status_code == 400 and "already registered" in answer.get_data(as_text=True)
    assert register(client, client_id="another").status_code == 302


def test_only_admins_register_platforms(client, auth, users):
    auth.login("trainer")
    assert client.get("/lti/platforms").status_code == 403
    token = csrf_token(client, "/courses/")
    assert client.post("/lti/platforms", data={"csrf_token": token, **GOOD}).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(client, db, auth, users):
    auth.login("admin")
    assert client.post("/lti/platforms", data=GOOD).status_code == 400
    assert db.scalar(select(func.count()).select_from(Platform)) == 0


def test_the_cli_adds_lists_and_removes_platforms(runner, db):
    args = ["lti", "add-platform", "--issuer", GOOD["issuer"], "--client-id", "abc123", "--deployment", "1",
            "--deployment", "2", "--jwks-url", GOOD["jwks_url"], "--auth-url", GOOD["auth_login_url"],
            "--token-url", GOOD["auth_token_url"], "--name", "Academy Moodle"]
    added = runner.invoke(args=args)
    assert added.exit_code == 0, added.output
    assert "registered platform" in added.output
    assert "tool public keyset URL: https://lms.example.test/lti/jwks" in added.output
    listed = runner.invoke(args=["lti", "list"]).output
    assert "Academy Moodle\thttps://moodle.example.test\tabc123\t1,2" in listed
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already registered" in again.output
    wrong = runner.invoke(args=[*args[:-2], "--client-id", "x2", "--jwks-url", "http://moodle.example.test/c"])
    assert wrong.exit_code == 1 and "--jwks-url: http://moodle.example.test/c must use https" in wrong.output
    platform_id = listed.split("\t")[0]
    removed = runner.invoke(args=["lti", "remove", platform_id])
    assert removed.exit_code == 0 and runner.invoke(args=["lti", "list"]).output == ""
    missing = runner.invoke(args=["lti", "remove", platform_id])
    assert missing.exit_code == 1 and "there is no platform" in missing.output


def test_the_cli_rotates_the_tool_s_key(runner, client):
    first = client.get("/lti/jwks").get_json()["keys"]
    result = runner.invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0
    keys = client.get("/lti/jwks").get_json()["keys"]
    assert result.output.strip().endswith(keys[0]["kid"]) and keys[1:] == first
