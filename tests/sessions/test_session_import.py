"""A cohort's schedule imported from a CSV file: the schedule form's rules on every line, all or nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from conftest import PASSWORDS, csrf_token
from lms.sessions import importing, services
from session_fixtures import LIVE, cohort, log_in  # noqa: F401 (cohort: a fixture)

UTC = dt.timezone.utc
HEADER = "module;date;start;duration;place;meeting_url;facilitators;occurrence\r\n"
# As Excel saves "CSV UTF-8" where the decimal mark is a comma: a byte order mark, ";" and CRLF.
# Moldova's clocks go forward on 29 March 2026 and back on 25 October 2026.
GOOD = (HEADER
        + f"{LIVE};2026-03-28;10:00;;Chisinau, room 4;;trainer;\r\n"
        + f"{LIVE};2026-03-30;10:00;90;;https://meet.example/x;;\r\n"
        + f"{LIVE};2026-10-26;10:00;;Room 4;https://meet.example/y;trainer;\r\n").encode("utf-8-sig")
GOOD_UTC = [dt.datetime(2026, 3, 28, 8, 0, tzinfo=UTC),  # UTC+2
            dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC),  # UTC+3
            dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)]  # UTC+2 again
BAD = (HEADER
       + f"{LIVE};2026-03-28;10:00;;Room 4;;;\r\n"  # good, but not stored: the file has problems
       + f"{LIVE};2026-03-29;02:30;;Room 4;;;\r\n"  # the clocks jump from 02:00 to 03:00
       + f"{LIVE};2026-10-25;02:30;;Room 4;;;\r\n"  # happens twice: which one?
       + f"{LIVE};2027-01-05;10:00;;Room 4;;;\r\n"  # after the cohort ends
       + "<b>tabletop</b>;2026-05-01;10:00;;Room 4;;;\r\n"
       + "consular-crisis-response;2026-05-01;10:00;;Room 4;;;\r\n").encode("utf-8-sig")
BAD_LINES = [(3, "does not exist in Europe/Chisinau"), (4, "happens twice in Europe/Chisinau"),
             (5, "within the cohort's dates"), (6, "no module called “<b>tabletop</b>”"),
             (7, "is a self-paced module")]


def starts(cohort):
    return [services.utc(live.starts_at) for live in cohort.sessions]


def test_an_excel_file_schedules_every_line_at_the_right_utc_instant(db, users, cohort):
    plan = importing.import_schedule(db, cohort, GOOD)
    db.commit()
    db.expire_all()
    assert plan.problems == []
    assert starts(cohort) == GOOD_UTC
    assert [live.duration for live in cohort.sessions] == [120, 90, 120]
    assert [[p.username for p in live.facilitators] for live in cohort.sessions] == [["trainer"], [], ["trainer"]]


def test_a_dry_run_says_what_would_be_scheduled_and_stores_nothing(db, cohort):
    plan = importing.import_schedule(db, cohort, GOOD, dry_run=True)
    db.commit()
    db.expire_all()
    assert [planned.starts_at for planned in plan.sessions] == GOOD_UTC
    assert cohort.sessions == []


def test_every_problem_is_listed_with_its_line_and_nothing_is_stored(db, cohort):
    plan = importing.import_schedule(db, cohort, BAD)
    db.commit()
    db.expire_all()
    assert [(problem.line, reason in str(problem)) for problem, (_, reason) in zip(plan.problems, BAD_LINES)] == \
        [(line, True) for line, _ in BAD_LINES]
    assert len(plan.problems) == len(BAD_LINES)
    assert cohort.sessions == []


@pytest.mark.parametrize("data, line, reason", [
    (b"modul;date;start;place\n" + f"{LIVE};2026-05-01;10:00;Room 4\n".encode(), 1, "with a module column"),
    (b"module;date;place\n" + f"{LIVE};2026-05-01;Room 4\n".encode(), 1, "no start column"),
    (HEADER.encode() + f"{LIVE};1 May;10h;an hour;Room 4;;nobody;third\n".encode(), 2, "is not a date"),
    (HEADER.encode() + f"{LIVE};2026-05-01;10:00;;Room 4;;learner;\n".encode(), 2, "is not a trainer of this cohort"),
    (HEADER.encode() + f"{LIVE};2026-05-01;10:00;;;ftp://x;;\n".encode(), 2, "must be an address starting"),
])
def test_a_wrong_header_or_cell_is_refused_with_its_line(db, cohort, data, line, reason):
    plan = importing.import_schedule(db, cohort, data)
    assert plan.problems and plan.problems[0].line == line and reason in str(plan.problems[0]), plan.problems
    assert cohort.sessions == []


def test_every_bad_cell_of_a_line_is_listed(db, cohort):
    plan = importing.import_schedule(db, cohort, HEADER.encode() + f"{LIVE};1 May;10h;an hour;Room 4;;nobody;third\n"
                                     .encode())
    assert [problem.message.split("%")[0] for problem in plan.problems] == [
        "", "", "", "The occurrence is first or second, not ", "There is no account "]
    assert all(problem.line == 2 for problem in plan.problems)


def test_a_time_that_happens_twice_is_imported_once_the_file_says_which(db, cohort):
    data = HEADER.encode() + f"{LIVE};2026-10-25;02:30;;Room 4;;;second\n".encode()
    importing.import_schedule(db, cohort, data)
    db.commit()
    db.expire_all()
    assert starts(cohort) == [dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]  # EET again, the second 02:30


def _upload(client, cohort, data: bytes, action: str):
    url = f"/sessions/cohorts/{cohort.id}/schedule"
    return client.post(f"{url}/import", data={"csrf_token": csrf_token(client, url), "action": action,
                                              "file": (io.BytesIO(data), "schedule.csv")},
                       content_type="multipart/form-data")


def test_a_trainer_checks_then_imports_a_file_on_the_schedule_page(client, db, cohort):
    log_in(client, "trainer", PASSWORDS["trainer"])
    page = client.get(f"/sessions/cohorts/{cohort.id}/schedule").get_data(as_text=True)
    assert "Import a schedule" in page and "module,date,start,duration" in page
    checked = _upload(client, cohort, GOOD, "check")
    assert checked.status_code == 200 and "The file is ready to import" in checked.get_data(as_text=True)
    db.expire_all()
    assert cohort.sessions == []
    imported = _upload(client, cohort, GOOD, "import")
    assert imported.status_code == 303
    db.expire_all()
    assert starts(cohort) == GOOD_UTC


def test_a_bad_file_on_the_page_lists_each_line_escaped_and_stores_nothing(client, db, cohort):
    log_in(client, "trainer", PASSWORDS["trainer"])
    response = _upload(client, cohort, BAD, "import")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for line, reason in BAD_LINES:
        assert f"Line {line}: " in html
    assert "no module called “&lt;b&gt;tabletop&lt;/b&gt;”" in html and "<b>tabletop" not in html
    db.expire_all()
    assert cohort.sessions == []


def test_only_the_cohorts_trainers_and_admins_import(client, db, cohort):
    log_in(client, "learner", PASSWORDS["learner"])
    url = f"/sessions/cohorts/{cohort.id}/schedule/import"
    response = client.post(url, data={"csrf_token": csrf_token(client, "/courses/"), "action": "import",
                                      "file": (io.BytesIO(GOOD), "schedule.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    db.expire_all()
    assert cohort.sessions == []


def test_the_cli_imports_a_file_and_lists_problems_as_sentences(runner, db, cohort, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    refused = runner.invoke(args=["cohorts", "schedule-import", str(cohort.id), str(bad)])
    assert refused.exit_code != 0
    for line, reason in BAD_LINES:
        assert f"line {line}: " in refused.output
    dry = runner.invoke(args=["cohorts", "schedule-import", str(cohort.id), str(good), "--dry-run"])
    assert dry.exit_code == 0 and "line 3: earthquake-tabletop at 2026-03-30 07:00 UTC" in dry.output, dry.output
    db.expire_all()
    assert cohort.sessions == []
    done = runner.invoke(args=["cohorts", "schedule-import", str(cohort.id), str(good)])
    assert done.exit_code == 0, done.output
    db.expire_all()
    assert starts(cohort) == GOOD_UTC
