"""Per-learner exports: asked for on the course's report, written in the background (a thread, or
``passerelle reports exports``), listed on the exports page and downloaded by whoever asked, read back with csv
and openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_text
import io
import re
import threading
import time

import openpyxl
import pytest
from sqlalchemy import select

from conftest import PUBLIC_URL, csrf_token
from learning_helpers import finish, finish_course
from lms.accounts import services as accounts
from lms.cohorts import services as cohorts
from lms.models import User, as_utc, utcnow
from lms.reports import jobs
from lms.reports.models import ReportExport
from lms.services import learning

REPORT = "/reports/crisis-management/"
EXPORTS = f"{REPORT}exports/"
TODAY = dt.date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def programme(db, users, course):
    """Three women from Senegal who complete the course (a low pre-test, then all right), two men from Moldova
    who read a page."""
    dakar = cohorts.create_cohort(db, course, "Dakar", TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30),
                                  "Africa/Dakar", "fr", trainers=[users["trainer"]])
    model = course.current.model
    for n in range(5):
        woman = n < 3
        user = accounts.create_user(db, f"awa{n}" if woman else f"ion{n}", None, "learner", f"Person {n}",
                                    country="SN" if woman else "MD", gender="female" if woman else "male")
        learner = learning.enrolled_learner(cohorts.enrol(db, dakar, user), "en", PUBLIC_URL)
        if woman:
            finish(db, learner, model, "consular-crisis-response", wrong=4)
            finish_course(db, learner, model)
        else:
            module = model.module("consular-crisis-response")
            learning.record_page_view(db, learner, model, module, module.pages[0])
    db.commit()
    return {"dakar": dakar}


def ask(client, extension="csv", **fields):
    """Post the course page's form, as a browser does; return the response (not followed)."""
    token = csrf_token(client, REPORT)
    return client.post(EXPORTS, data={"csrf_token": token, "format": extension, **fields})


def newest(app) -> ReportExport:
    """The newest export, read in a session of its own (the writer's commits show)."""
    with app.extensions["db"]() as session:
        return session.scalars(select(ReportExport).order_by(ReportExport.id.desc())).first()


def wait_until_written(app, export_id: int) -> ReportExport:
    """Poll the export's row until it is ready or failed (at most 30 s: a thread that never finishes fails)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with app.extensions["db"]() as session:
            export = session.get(ReportExport, export_id)
            if export.status in (jobs.READY, jobs.FAILED):
                return export
        time.sleep(0.05)
    pytest.fail(f"the export {export_id} is still {export.status}")


def asked_and_written(app, client, extension="csv", **fields) -> ReportExport:
    response = ask(client, extension, **fields)
    assert response.status_code == 303 and response.headers["Location"].startswith(EXPORTS), response.data[:500]
    return wait_until_written(app, newest(app).id)


def download(client, export: ReportExport):
    return client.get(f"{EXPORTS}{export.id}")


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def page_text(client, url: str = EXPORTS) -> str:
    """The page's words, as a reader sees them (no tags)."""
    return html_text.unescape(re.sub(r"<[^>]+>", "", client.get(url).get_data(as_text=True)))


def test_an_export_asked_for_is_written_in_the_background_and_downloaded_as_before(app, client, auth, programme,
                                                                                    db):
    auth.login("analyst")
    export = asked_and_written(app, client, "csv", country="SN")
    assert export.status == jobs.READY and export.finished is not None and export.error == ""
    response = download(client, export)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="crisis-management-learners-{dt.date.today().isoformat()}.csv"'
    rows = read_csv(response.data)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Learner", "Sex", "Country"] and len(body) == 3  # the women of Senegal only
    assert all(re.fullmatch(r"P-[0-9a-f]{16}", row[0]) for row in body) and len({row[0] for row in body}) == 3
    everything = "\n".join(",".join(row) for row in rows)
    for user in db.scalars(select(User)):
        assert user.actor_id not in everything and f",{user.username}," not in everything
    pre, post = header.index("Pre-test"), header.index("Post-test")
    assert {(row[pre], row[post]) for row in body} == {("0.4286", "1")}
    # The same learners get the same pseudonyms in every export.
    again = asked_and_written(app, client, "csv", country="SN")
    assert read_csv(download(client, again).data) == rows
    # The page lists both, newest first, with their filters in words and a link to each.
    text = page_text(client)
    assert text.count("Ready") == 2 and "Country: Senegal" in text
    html = client.get(EXPORTS).get_data(as_text=True)
    assert html.index(f"{EXPORTS}{again.id}") < html.index(f"{EXPORTS}{export.id}")
    assert 'http-equiv="refresh"' not in html  # nothing left to wait for


def test_an_xlsx_export_reads_back_with_openpyxl(app, client, auth, programme):
    auth.login("analyst")
    export = asked_and_written(app, client, "xlsx")
    response = download(client, export)
    assert response.mimetype == XLSX and response.headers["Content-Disposition"].endswith(
        f'-learners-{dt.date.today().isoformat()}.xlsx"')  # the day of the download (a run may pass midnight)
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:3]) == ["Learner", "Sex", "Country"] and len(rows) == 1 + 5
    assert sorted(row[1] for row in rows[1:]) == ["female"] * 3 + ["male"] * 2
    assert all(re.fullmatch(r"P-[0-9a-f]{16}", row[0]) for row in rows[1:])


def test_headings_are_in_the_language_of_whoever_asked(app, client, auth, programme, users, db):
    users["analyst"].language = "fr"
    db.commit()
    auth.login("analyst")
    export = asked_and_written(app, client, "xlsx")
    assert export.language == "fr"
    workbook = openpyxl.load_workbook(io.BytesIO(download(client, export).data))
    assert [c.value for c in workbook.worksheets[0][1]][:3] == ["Apprenant", "Sexe", "Pays"]
    assert workbook.sheetnames[-1] == "À propos"


def test_names_only_for_admins_and_only_while_they_are(app, client, auth, programme, users, db):
    auth.login("analyst")
    assert ask(client, "csv", identified="1").status_code == 403
    assert 'name="identified"' not in client.get(REPORT).get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert 'name="identified"' in client.get(REPORT).get_data(as_text=True)
    export = asked_and_written(app, client, "xlsx", identified="1")
    sheet = openpyxl.load_workbook(io.BytesIO(download(client, export).data)).worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["Learner", "Username", "Name"]
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"awa0", "awa1", "awa2", "ion3",
                                                                                  "ion4"}
    assert "-learners-identified-" in download(client, export).headers["Content-Disposition"]
    users["admin"].role = "analyst"  # no longer an admin: the names stay where they are
    db.commit()
    assert download(client, export).status_code == 403


def test_only_whoever_asked_downloads_and_hostile_addresses_get_a_4xx(app, client, auth, programme):
    auth.login("analyst")
    export = asked_and_written(app, client)
    auth.logout()
    auth.login("admin")
    assert download(client, export).status_code == 404  # an admin too: it is not theirs
    assert f"{EXPORTS}{export.id}" not in client.get(EXPORTS).get_data(as_text=True)
    for address in (f"{EXPORTS}99999999999999999999", f"{EXPORTS}-1", f"{EXPORTS}abc", f"{EXPORTS}0",
                    f"/reports/no-such-course/exports/{export.id}", "/reports/no-such-course/exports/"):
        assert client.get(address).status_code == 404, address
    assert ask(client, "pdf").status_code == 400
    assert client.post(EXPORTS, data={"format": "csv"}).status_code == 400  # no CSRF token
    response = ask(client, "csv", institution="<script>" + "x" * 100_000, cohort="9" * 50, start="yesterday")
    assert response.status_code == 303
    assert wait_until_written(app, newest(app).id).status == jobs.READY
    assert "<script>" not in client.get(EXPORTS).get_data(as_text=True).split("<main>")[1]


def test_a_trainer_and_a_learner_cannot_ask(app, client, auth, programme):
    auth.login("trainer")
    assert 'reports/crisis-management/exports/' not in client.get(REPORT).get_data(as_text=True)
    assert ask(client, "csv").status_code == 403
    assert client.get(EXPORTS).status_code == 403
    assert client.get(f"{REPORT}learners.csv").status_code == 403
    auth.logout()
    auth.login("learner")
    assert client.get(EXPORTS).status_code == 403


def test_the_old_address_goes_to_the_exports_page_with_a_notice(app, client, auth, programme):
    auth.login("admin")
    response = client.get(f"{REPORT}learners.xlsx?identified=1&country=SN&cohort=abc")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(EXPORTS)
    text = html_text.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "prepared in the background" in text
    assert re.search(r'value="xlsx" checked', text) and re.search(r'name="identified" value="1" checked', text)
    assert '<input type="hidden" name="country" value="SN">' in text and "Country: Senegal" in text
    assert client.get(f"{REPORT}learners.pdf").status_code == 404


def test_the_page_reloads_itself_while_an_export_waits_and_the_command_writes_it(app, client, auth, programme,
                                                                                 runner):
    app.config["EXPORTS_IN_BACKGROUND"] = "0"
    auth.login("analyst")
    assert ask(client, "csv").status_code == 303
    export = newest(app)
    assert export.status == jobs.QUEUED
    response = client.get(EXPORTS)
    head, body = response.get_data(as_text=True).split("</head>")
    assert response.headers["Refresh"] == "5" and '<meta http-equiv="refresh" content="5">' in head.split("<head>")[1]
    assert "http-equiv" not in body and "Queued" in body
    assert download(client, export).status_code == 409
    result = runner.invoke(args=["reports", "exports"])
    assert result.exit_code == 0 and "exports written: 1, failed: 0" in result.output, result.output
    assert newest(app).status == jobs.READY
    assert len(read_csv(download(client, export).data)) == 1 + 5
    response = client.get(EXPORTS)
    assert "Refresh" not in response.headers and "http-equiv" not in response.get_data(as_text=True)


def test_the_command_writes_exports_cut_short_but_not_those_being_written(app, client, auth, programme, runner,
                                                                          users):
    app.config["EXPORTS_IN_BACKGROUND"] = "0"
    auth.login("analyst")
    ask(client, "csv")
    ask(client, "xlsx")
    with app.extensions["db"]() as session:
        cut_short, busy = session.scalars(select(ReportExport).order_by(ReportExport.id)).all()
        cut_short.status, cut_short.started = jobs.RUNNING, utcnow() - dt.timedelta(minutes=20)
        busy.status, busy.started = jobs.RUNNING, utcnow() - dt.timedelta(minutes=1)
        session.commit()
        ids = cut_short.id, busy.id
    assert "Cut short" in page_text(client)
    result = runner.invoke(args=["reports", "exports"])
    assert "exports written: 1, failed: 0" in result.output, result.output
    with app.extensions["db"]() as session:
        assert [session.get(ReportExport, i).status for i in ids] == [jobs.READY, jobs.RUNNING]


def test_an_export_that_cannot_be_written_says_why(app, client, auth, programme, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(jobs, "learners_table", broken)
    auth.login("analyst")
    export = asked_and_written(app, client)
    assert export.status == jobs.FAILED and export.data is None
    text = page_text(client)
    assert "Failed: Something went wrong while writing it" in text and "the database went away" not in text
    assert download(client, export).status_code == 409


def test_a_person_waits_for_three_exports_at_most(app, client, auth, programme):
    app.config["EXPORTS_IN_BACKGROUND"] = "0"
    auth.login("analyst")
    for _ in range(jobs.MAX_PENDING):
        assert ask(client, "csv").status_code == 303
    response = ask(client, "xlsx")
    assert response.status_code == 429
    assert "You already wait for 3 exports" in html_text.unescape(response.get_data(as_text=True))
    with app.extensions["db"]() as session:
        assert session.scalar(select(ReportExport.id).where(ReportExport.extension == "xlsx")) is None
    auth.logout()
    auth.login("admin")  # someone else is not held up
    assert ask(client, "csv").status_code == 303


def test_exports_older_than_a_week_are_deleted_when_one_is_asked_for(app, client, auth, programme, users):
    app.config["EXPORTS_IN_BACKGROUND"] = "0"
    with app.extensions["db"]() as session:
        for days in (8, 6):
            session.add(ReportExport(course_id=programme["dakar"].course_id, requested_by_id=users["admin"].id,
                                     extension="csv", filters="", language="en", status=jobs.READY,
                                     requested=utcnow() - dt.timedelta(days=days), filename="old.csv", data=b"x",
                                     error=""))
        session.commit()
    auth.login("analyst")
    ask(client, "csv")
    with app.extensions["db"]() as session:
        ages = sorted((utcnow() - as_utc(e.requested)).days for e in session.scalars(select(ReportExport)))
    assert ages == [0, 6]


def test_of_two_writers_at_once_only_one_writes_the_export(app, client, auth, programme):
    """The app's thread and the command may both find an export due: one claims it, the other leaves it."""
    from lms.db import get_db

    app.config["EXPORTS_IN_BACKGROUND"] = "0"
    auth.login("analyst")
    ask(client, "csv")
    export_id = newest(app).id
    start, outcomes = threading.Barrier(2), []

    def writer() -> None:
        with app.app_context():
            start.wait()
            outcomes.append(jobs.write(get_db(), export_id))

    writers = [threading.Thread(target=writer) for _ in range(2)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    assert sorted(outcomes, key=str) == [None, jobs.READY]


def left_behind(app, users, programme, fresh: bool = True) -> dict[str, int]:
    """Exports saved while no thread wrote them (PASSERELLE_EXPORTS_IN_BACKGROUND was off), as a server that stopped
    at once leaves them: the analyst's queued two minutes ago, queued just now, cut short 20 minutes into being
    written, and the admin's queued two minutes ago; their ids by name (without the one just queued unless
    ``fresh``)."""
    now, made = utcnow(), {}
    states = {"lost": (users["analyst"], jobs.QUEUED, now - dt.timedelta(minutes=2), None),
              "fresh": (users["analyst"], jobs.QUEUED, now, None),
              "cut_short": (users["analyst"], jobs.RUNNING, now - dt.timedelta(minutes=21),
                            now - dt.timedelta(minutes=20)),
              "someone_elses": (users["admin"], jobs.QUEUED, now - dt.timedelta(minutes=2), None)}
    with app.extensions["db"]() as session:
        for name, (user, status, requested, started) in states.items():
            if name == "fresh" and not fresh:
                continue
            export = ReportExport(course_id=programme["dakar"].course_id, requested_by_id=user.id, extension="csv",
                                  filters="", language="en", status=status, requested=requested, started=started,
                                  filename="", error="")
            session.add(export)
            session.flush()
            made[name] = export.id
        session.commit()
    return made


def statuses(app, ids: dict[str, int]) -> dict[str, str]:
    with app.extensions["db"]() as session:
        return {name: session.get(ReportExport, export_id).status for name, export_id in ids.items()}


@pytest.mark.parametrize("comes_back", ["views the exports page", "asks for another"])
def test_exports_a_restarted_server_left_are_written_when_whoever_asked_comes_back(app, client, auth, programme,
                                                                                    users, comes_back):
    """Where the app's threads write exports, no command may run to pick up one whose thread never started (the
    server stopped between saving its row and starting it) or stopped mid-way: whoever asked, coming back, does."""
    auth.login("analyst")
    ids = left_behind(app, users, programme, fresh=comes_back != "asks for another")  # 3 would be too many
    if comes_back == "asks for another":
        assert ask(client, "xlsx").status_code == 303
        assert wait_until_written(app, newest(app).id).status == jobs.READY
    else:
        assert client.get(EXPORTS).status_code == 200
    # Claimed by the request itself: its thread writes them and no other writer can.
    after = statuses(app, ids)
    assert after["lost"] in (jobs.RUNNING, jobs.READY) and after["cut_short"] in (jobs.RUNNING, jobs.READY)
    assert after.get("fresh", jobs.QUEUED) == jobs.QUEUED  # its own thread may still be starting
    assert after["someone_elses"] == jobs.QUEUED  # left for its owner, or the command
    for name in ("lost", "cut_short"):
        export = wait_until_written(app, ids[name])
        assert export.status == jobs.READY and len(read_csv(download(client, export).data)) == 1 + 5
    assert "Cut short" not in page_text(client)


def test_with_the_command_writing_exports_the_page_leaves_them_to_it(app, client, auth, programme, users):
    app.config["EXPORTS_IN_BACKGROUND"] = "0"
    auth.login("analyst")
    ids = left_behind(app, users, programme)
    assert "Cut short" in page_text(client)
    assert set(statuses(app, ids).values()) == {jobs.QUEUED, jobs.RUNNING}
    assert statuses(app, ids)["lost"] == jobs.QUEUED


def test_of_two_requests_coming_back_at_once_only_one_writes_what_was_left(app, client, auth, programme, users):
    from lms.db import get_db

    ids = left_behind(app, users, programme)
    start, claimed = threading.Barrier(2), []

    def comes_back() -> None:
        with app.app_context():
            start.wait()
            claimed.append(jobs.resume(app, get_db(), users["analyst"]))

    requests = [threading.Thread(target=comes_back) for _ in range(2)]
    for thread in requests:
        thread.start()
    for thread in requests:
        thread.join(timeout=60)
    assert sorted(sum(claimed, [])) == sorted([ids["lost"], ids["cut_short"]])
    for name in ("lost", "cut_short"):
        assert wait_until_written(app, ids[name]).status == jobs.READY
