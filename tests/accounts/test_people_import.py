"""Bulk import of accounts from CSV: every problem listed by line and nothing stored, or all of it stored."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from conftest import csrf_token
from lms.accounts import importing, services as accounts
from lms.cohorts import services as cohorts
from lms.models import User
from people_fixtures import as_admin, people_cohort  # noqa: F401 (fixtures)

HEADER = "username,name,email,country,institution,gender,role,language,timezone\n"
#: As Excel writes "CSV UTF-8" where the decimal mark is a comma: a byte order mark, semicolons, CRLF.
EXCEL = ("\ufeffusername;name;email;country;institution;gender;role;language;timezone\r\n"
         "kofi.mensah;Kofi Mensah;kofi@mfa.gov.gh;GH;Ministère des Affaires étrangères;male;;fr;Africa/Accra\r\n"
         "ama.owusu;Ama Owusu;;Ghana;\"Immigration; Accra\";female;trainer;en;\r\n"
         "fatou;Fatou Ndiaye;;senegal;;prefer not to say;;ar;Africa/Dakar\r\n").encode("utf-8")


def accounts_count(db) -> int:
    return db.scalar(select(func.count()).select_from(User))


def upload(client, data: bytes, action: str, cohort=None):
    token = csrf_token(client, "/admin/accounts/import")
    # Encoded here, in memory: the test client would keep a large body in a temporary file it never closes.
    boundary, body = encode_multipart({"csrf_token": token, "action": action,
                                       "cohort": str(cohort.id) if cohort else "",
                                       "file": FileStorage(io.BytesIO(data), "people.csv", content_type="text/csv")})
    return client.post("/admin/accounts/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def problems(response) -> list[str]:
    return [html.unescape(re.sub("<[^>]+>", "", item))
            for item in re.findall(r"<li>(Line .*?)</li>", response.get_data(as_text=True))]


@pytest.mark.parametrize("csv, expected", [
    ("user,name\nkofi,Kofi\n", ["Line 1: The first line must be the header, with a username column"]),
    ("username,nom\nkofi,Kofi\n", ["Line 1: Unknown column nom"]),
    (HEADER + "kofi,Kofi,,,,,,,\nama,Ama,,,,,,,\nkofi,Kofi M,,,,,,,\n",
     ["Line 4: The username kofi is already on line 2."]),
    (HEADER + "kofi,Kofi,,Atlantis,,,,,\n", ["Line 2: Unknown country Atlantis"]),
    (HEADER + "kofi,Kofi,,XX,,,,,\n", ["Line 2: XX is not an ISO 3166 country code."]),
    (HEADER + "kofi,Kofi,kofi@,,,,,,\n", ["Line 2: kofi@ is not an e-mail address."]),
    (HEADER + "kofi,Kofi,,,,,,,Africa/Atlantis\n", ["Line 2: Africa/Atlantis is not a time zone"]),
    (HEADER + "kofi,Kofi,,,,,chief,,\n", ["Line 2: Unknown role chief"]),
    (HEADER + "kofi,Kofi,,,,f,,,\n", ["Line 2: Unknown gender f"]),
    (HEADER + f"kofi,Kofi,,,{'x' * 201},,,,\n", ["Line 2: institution: at most 200 characters."]),
    (HEADER + "kofi,Kofi,,,,,,,,extra\n", ["Line 2: The line has 10 cells; the header has 9."]),
    # Every problem of a file, each with its line; a quoted cell across two lines counts as both.
    (HEADER + "kofi,\"Kofi\nMensah\",,GH,,,,,\n,Nobody,,,,,,,\nama,Ama,ama@x,Atlantis,,,,,Mars/Base\n",
     ["Line 4: A username is required.", "Line 5: ama@x is not an e-mail address.",
      "Line 5: Unknown country Atlantis", "Line 5: Mars/Base is not a time zone"]),
])
def test_each_problem_of_a_file_is_listed_with_its_line_and_nothing_is_imported(client, as_admin, db, people_cohort,
                                                                                 csv, expected):
    before = accounts_count(db)
    for action in ("check", "import"):
        response = upload(client, csv.encode(), action, people_cohort)
        assert response.status_code == 400
        listed = problems(response)
        assert len(listed) == len(expected) and all(line.startswith(start) for line, start in zip(listed, expected))
    assert accounts_count(db) == before


def test_a_file_from_excel_with_bom_and_semicolons_is_checked_then_imported_and_enrolled(client, as_admin, db,
                                                                                       people_cohort):
    checked = upload(client, EXCEL, "check", people_cohort)
    assert checked.status_code == 200 and "3 new accounts, 0 updated" in checked.get_data(as_text=True)
    assert accounts.find_user(db, "kofi.mensah") is None  # a dry run stores nothing

    done = upload(client, EXCEL, "import", people_cohort)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "Imported: 3 new accounts, 0 updated." in page
    assert "All are enrolled in Accra autumn." in page
    assert len(re.findall(r"<code>https://lms\.example\.test/account/password/[\w.-]+</code>", page)) == 3
    kofi, ama, fatou = (accounts.find_user(db, name) for name in ("kofi.mensah", "ama.owusu", "fatou"))
    assert (kofi.country, kofi.institution, kofi.role, kofi.language, kofi.timezone, kofi.email) == \
        ("GH", "Ministère des Affaires étrangères", "learner", "fr", "Africa/Accra", "kofi@mfa.gov.gh")
    assert (ama.country, ama.institution, ama.role, ama.gender) == ("GH", "Immigration; Accra", "trainer", "female")
    assert (fatou.country, fatou.gender, fatou.language) == ("SN", "prefer_not_to_say", "ar")
    assert {u.username for u in cohorts.learners(db, people_cohort)} == {"kofi.mensah", "ama.owusu", "fatou"}


def test_existing_accounts_are_updated_by_username_and_empty_cells_keep_their_values(db, users, people_cohort):
    plan = importing.read_csv(db, (HEADER + "learner,,learner@mfa.sn,,,,,,\nnew.one,,,,,,,,\n").encode())
    assert (plan.new, plan.updated, plan.problems) == (1, 1, [])
    importing.apply(db, plan)
    db.commit()
    learner = accounts.find_user(db, "learner")
    assert (learner.email, learner.display_name, learner.country) == ("learner@mfa.sn", "Demo learner", "SN")
    assert accounts.find_user(db, "new.one").display_name == "new.one"


def test_a_country_is_its_code_or_its_name_in_english_or_the_interface_language(db):
    plan = importing.read_csv(db, (HEADER + "a,,,sn,,,,,\nb,,,Senegal,,,,,\nc,,,Sénégal,,,,,\nd,,,Senegalia,,,,,\n")
                              .encode(), language="fr")
    assert [row.fields["country"] for row in plan.rows] == ["SN", "SN", "SN"]
    assert [str(problem) for problem in plan.problems] == [
        "line 5: Unknown country Senegalia; write its two-letter ISO code or its name."]


def test_an_import_that_fails_half_way_stores_nothing(client, as_admin, db, users, people_cohort):
    """The learner's account is deactivated, so it cannot be enrolled: the new accounts before it are not kept."""
    accounts.set_active(db, users["learner"], False)
    db.commit()
    before = accounts_count(db)
    response = upload(client, (HEADER + "kofi,Kofi,,,,,,,\nlearner,,,,,,,,\n").encode(), "import", people_cohort)
    assert response.status_code == 400 and "Nothing was imported" in response.get_data(as_text=True)
    assert accounts_count(db) == before and accounts.find_user(db, "kofi") is None


@pytest.mark.parametrize("data, reason", [
    (HEADER.encode() + b"kofi,Kofi,,,Minist\xe8re,,,,\n", "The file is not UTF-8 (line 2)"),
    (HEADER.encode() + b"x" * importing.MAX_BYTES, "The file is larger than 2 MB"),
    ((HEADER + "".join(f"user{n},,,,,,,,\n" for n in range(importing.MAX_ROWS + 1))).encode(),
     "The file has more than 5000 accounts"),
])
def test_a_file_that_cannot_be_read_is_refused_with_its_reason(client, as_admin, data, reason):
    response = upload(client, data, "check")
    assert response.status_code == 400 and reason in html.unescape(response.get_data(as_text=True))


def test_the_cli_checks_then_imports_a_file_into_a_cohort(runner, db, tmp_path, people_cohort):
    path = tmp_path / "people.csv"
    path.write_bytes(HEADER.encode() + b"kofi,Kofi,,Atlantis,,,,,\n")
    refused = runner.invoke(args=["users", "import", str(path)])
    assert refused.exit_code == 1 and "line 2: Unknown country Atlantis" in refused.output
    path.write_bytes(EXCEL)
    dry = runner.invoke(args=["users", "import", str(path), "--cohort", str(people_cohort.id), "--dry-run"])
    assert dry.exit_code == 0 and "3 new accounts" in dry.output and accounts.find_user(db, "fatou") is None
    done = runner.invoke(args=["users", "import", str(path), "--cohort", str(people_cohort.id)])
    assert done.exit_code == 0, done.output
    assert "fatou\thttps://lms.example.test/account/password/" in done.output
    db.expire_all()
    assert len(cohorts.learners(db, people_cohort)) == 3
