"""The M&E pages: a course's indicators with filters in the address, small groups hidden, readers scoped to
what they may see, every table downloadable as CSV and XLSX that csv and openpyxl read back."""

from __future__ import annotations

import csv
import html as html_text
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from sqlalchemy import select

from conftest import PUBLIC_URL
from learning_helpers import finish, finish_course
from lms.accounts import services as accounts
from lms.cohorts import services as cohorts
from lms.models import User
from lms.services import learning

REPORT = "/reports/crisis-management/"
TODAY = dt.date.today()


def people(db, course, cohort, count: int, prefix: str, **profile):
    """``count`` learners enrolled in ``cohort``, with the same profile."""
    made = []
    for n in range(count):
        user = accounts.create_user(db, f"{prefix}{n}", None, "learner", f"{prefix} {n}", **profile)
        made.append(cohorts.enrol(db, cohort, user))
    db.commit()
    return made


@pytest.fixture
def programme(db, users, course):
    """Two cohorts: six women from Senegal who all complete the course, three men from Moldova who read a page."""
    dakar = cohorts.create_cohort(db, course, "Dakar", TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30),
                                  "Africa/Dakar", "fr", trainers=[users["trainer"]])
    chisinau = cohorts.create_cohort(db, course, "Chisinau", TODAY - dt.timedelta(days=30),
                                     TODAY + dt.timedelta(days=30), "Europe/Chisinau", "ru")
    model = course.current.model
    women = people(db, course, dakar, 6, "awa", country="SN", gender="female", institution="MFA Senegal")
    men = people(db, course, chisinau, 3, "ion", country="MD", gender="male", institution="MFA Moldova")
    for enrolment in women:
        learner = learning.enrolled_learner(enrolment, "en", PUBLIC_URL)
        finish(db, learner, model, "consular-crisis-response", wrong=4)  # a low first attempt: the pre-test
        finish_course(db, learner, model)  # the quiz again, right: the post-test
    for enrolment in men:
        module = model.module("consular-crisis-response")
        learning.record_page_view(db, learning.enrolled_learner(enrolment, "en", PUBLIC_URL), model, module,
                                  module.pages[0])
    db.commit()
    return {"dakar": dakar, "chisinau": chisinau}


def cells(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table class="figures" id="table-{table}">(.*?)</table>', html, re.S)[1]
    return [[html_text.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>")[1], re.S)]


def test_reach_and_its_breakdowns_hide_groups_under_five(client, auth, programme):
    auth.login("analyst")
    html = client.get(REPORT).get_data(as_text=True)
    assert cells(html, "reach") == [["Enrolled", "9"], ["Trained", "6"], ["Completed the course", "6"]]
    # Three men among nine enrolled: shown as 6 women beside the total, they would be 9 - 6; the 6 is hidden too.
    assert cells(html, "by-sex") == [["Female", "< 5", "6", "6"], ["Male", "< 5", "0", "0"]]
    assert cells(html, "by-cohort") == [["Dakar", "< 5", "6", "6"], ["Chisinau", "< 5", "0", "0"]]
    assert "<svg" in html and 'role="img"' in html


def titles(html: str, table: str) -> list[str]:
    """The tooltips of a table's hidden cells."""
    body = re.search(rf'<table class="figures" id="table-{table}">(.*?)</table>', html, re.S)[1]
    return [html_text.unescape(t) for t in re.findall(r'<span class="suppressed" title="([^"]*)">', body)]


def test_a_hidden_cell_says_it_may_hide_a_group_the_total_would_give_away(client, auth, programme):
    auth.login("analyst")
    html = client.get(REPORT).get_data(as_text=True)
    why = "fewer than 5 people, or hidden so that such a group cannot be worked out from the total"
    assert f"“< 5”: {why}." in html_text.unescape(html)
    # Six women are hidden beside three men, or 9 - 6 would give the men away: the cells say why either may be.
    assert titles(html, "by-sex") == [f"{why[0].upper()}{why[1:]}: not shown"] * 2
    html = client.get(f"{REPORT}?cohort={programme['chisinau'].id}").get_data(as_text=True)
    assert titles(html, "reach") == ["Fewer than 5 people: not shown"]  # three enrolled; the headline has no total
    html = html_text.unescape(client.get(f"{REPORT}?lang=fr").get_data(as_text=True))
    assert "« < 5 » : moins de 5 personnes, ou masqué pour qu’un si petit groupe ne puisse pas être déduit du " \
           "total." in html
    assert titles(html, "by-sex")[0].startswith("Moins de 5 personnes, ou masqué")


def test_filters_live_in_the_address_and_narrow_every_figure(client, auth, programme):
    auth.login("analyst")
    html = client.get(f"{REPORT}?country=SN").get_data(as_text=True)
    assert cells(html, "reach") == [["Enrolled", "6"], ["Trained", "6"], ["Completed the course", "6"]]
    assert 'name="country"' in html and '<option value="SN" selected>' in html
    assert f"{REPORT}reach.csv?country=SN" in html
    # Tomorrow as of now, in UTC as periods are: the programme may have been recorded after midnight passed.
    later = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)).isoformat()
    html = client.get(f"{REPORT}?start={later}").get_data(as_text=True)
    assert cells(html, "reach")[1:] == [["Trained", "0"], ["Completed the course", "0"]]  # nothing happened since


def test_knowledge_gain_counts_learners_with_both_scores(client, auth, programme):
    auth.login("analyst")
    [row] = cells(client.get(REPORT).get_data(as_text=True), "knowledge")
    assert row[1] == "6"  # learners with both
    assert row[2] == "42.9%" and row[3] == "100.0%"  # 3 of 7 first, then all right
    assert row[4] == "100.0%" and row[5] == "100.0%"  # gain (1 - 3/7) / (1 - 3/7); all improved


def test_a_trainer_sees_only_the_cohorts_they_train_and_a_learner_nothing(client, auth, programme):
    auth.login("trainer")
    html = client.get(REPORT).get_data(as_text=True)
    assert cells(html, "reach")[0] == ["Enrolled", "6"]  # Dakar only
    assert "Chisinau" not in html
    auth.logout()
    auth.login("learner")
    assert client.get(REPORT).status_code == 403


def test_every_table_downloads_as_csv_and_xlsx_with_the_pages_figures(client, auth, programme):
    auth.login("analyst")
    text = client.get(f"{REPORT}by-sex.csv").data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["Sex", "Enrolled", "Trained", "Completed the course"],
                                                   ["Female", "< 5", "6", "6"], ["Male", "< 5", "0", "0"]]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{REPORT}all.xlsx?cohort="
                                                            f"{programme['dakar'].id}").data))
    sheet = workbook[workbook.sheetnames[0]]
    assert [c.value for c in sheet[1]] == ["Step", "Learners"] and sheet.freeze_panes in ("A2", "B2")
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["Enrolled", 6], ["Trained", 6], ["Completed the course", 6]]
    assert client.get(f"{REPORT}nonsense.csv").status_code == 404


@pytest.mark.parametrize("query", ["?start=yesterday&cohort=99999999999999", "?country=<script>&sex=%00",
                                   "?institution=" + "x" * 5000])
def test_hostile_filters_are_ignored_or_escaped_never_a_500(client, auth, programme, query):
    auth.login("analyst")
    response = client.get(REPORT + query)
    assert response.status_code == 200 and "<script>" not in response.get_data(as_text=True).split("<main>")[1]


def test_item_analysis_reads_each_learners_first_answers(client, auth, programme):
    auth.login("trainer")
    html = client.get(f"{REPORT}modules/consular-crisis-response/").get_data(as_text=True)
    assert html.count('class="card"') == 7  # one per question
    assert "Discrimination" in html


def test_the_old_per_learner_address_goes_to_the_exports_page_and_gives_names_to_admins_only(app, client, auth,
                                                                                          programme, db, runner):
    """learners.<csv|xlsx> (bookmarked) now leads to the exports page with its format and filters; the export asked
    for there is the one the address gave: every learner in scope, pseudonymised."""
    app.config["EXPORTS_IN_BACKGROUND"] = "0"  # written by the command below, as a worker would
    auth.login("analyst")
    response = client.get(f"{REPORT}learners.csv?identified=1&start=2020-01-01&sex=nonsense")
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 303 and location.path == f"{REPORT}exports/"
    assert parse_qs(location.query) == {"format": ["csv"], "start": ["2020-01-01"]}  # no names for an analyst
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'value="csv" checked', page) and 'name="identified"' not in page
    assert dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)) == {"start": "2020-01-01"}
    fields = {"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]}
    assert client.post(f"{REPORT}exports/", data={**fields, "format": "csv", "start": "2020-01-01",
                                                   "identified": "1"}).status_code == 403
    assert client.post(f"{REPORT}exports/", data={**fields, "format": "csv", "start": "2020-01-01"}).status_code == 303
    assert "exports written: 1, failed: 0" in runner.invoke(args=["reports", "exports"]).output
    link = re.search(r'href="(/reports/crisis-management/exports/\d+)"', client.get(location.path).get_data(
        as_text=True))[1]
    rows = list(csv.reader(io.StringIO(client.get(link).data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Learner", "Sex", "Country"] and len(body) == 9  # both cohorts
    assert all(re.fullmatch(r"P-[0-9a-f]{16}", row[0]) for row in body) and len({row[0] for row in body}) == 9
    everything = "\n".join(",".join(row) for row in rows)
    for user in db.scalars(select(User)):
        assert user.actor_id not in everything and f",{user.username}," not in everything
    auth.logout()
    auth.login("admin")
    response = client.get(f"{REPORT}learners.xlsx?identified=1&cohort={programme['dakar'].id}")
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 303 and location.path == f"{REPORT}exports/"
    assert parse_qs(location.query) == {"format": ["xlsx"], "cohort": [str(programme["dakar"].id)],
                                        "identified": ["1"]}


def test_a_single_table_export_computes_that_table_alone(app, client, auth, programme, monkeypatch):
    from lms.reports import indicators

    def not_this_one(*args, **kwargs):
        raise AssertionError("a table nobody asked for was computed")

    auth.login("analyst")
    monkeypatch.setattr(indicators, "knowledge", not_this_one)
    monkeypatch.setattr(indicators, "reaction", not_this_one)
    assert client.get(f"{REPORT}by-sex.csv").status_code == 200
    assert client.get(f"{REPORT}reach.xlsx").status_code == 200
