"""Ids in addresses, forms and commands that no table's key can hold name nothing: a 404 or a plain refusal,
never a database error (PostgreSQL's integer stops at 2**31 - 1; SQLite's at 2**63 - 1)."""

from __future__ import annotations

import io

import pytest

from conftest import PASSWORDS, csrf_token

BIG = "99999999999999999999"


@pytest.mark.parametrize("path", [f"/cohorts/{BIG}/", f"/sessions/{BIG}/attendance", f"/admin/accounts/{BIG}",
                                  f"/sessions/cohorts/{BIG}/schedule", f"/sessions/{BIG}.ics",
                                  f"/sessions/delivered/{BIG}", "/cohorts/2147483648/"])
def test_an_id_past_any_key_in_an_address_is_a_404(client, auth, users, path):
    auth.login("admin", PASSWORDS["admin"])
    assert client.get(path).status_code == 404


def test_an_id_past_any_key_in_a_form_is_refused_with_its_reason(client, auth, users):
    auth.login("admin", PASSWORDS["admin"])
    response = client.post("/admin/accounts/import", data={
        "csrf_token": csrf_token(client, "/admin/accounts/import"), "cohort": BIG, "action": "check",
        "file": (io.BytesIO(b"username\nnew.person\n"), "people.csv")})
    assert response.status_code == 400 and "There is no such cohort." in response.get_data(as_text=True)


@pytest.mark.parametrize("args", [["cohorts", "enrol", BIG, "learner"], ["cohorts", "sessions", BIG]])
def test_an_id_past_any_key_on_the_command_line_is_a_plain_sentence(runner, users, args):
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and f"there is no cohort {BIG}" in result.output
