"""Small groups stay hidden in the reports even beside the totals: in a breakdown, a column whose only hidden
group could be worked back as the headline less the shown groups hides one more group (the smallest shown);
a pass or response rate is hidden with its count. The page, its charts and its CSV and XLSX exports agree."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest
from lxml import etree

from conftest import PUBLIC_URL
from learning_helpers import finish
from lms.accounts import services as accounts
from lms.cohorts import services as cohorts
from lms.reports.indicators import protected, share
from lms.reports.tables import Suppressed
from lms.services import learning
from test_report_pages import cells

REPORT = "/reports/crisis-management/"
TODAY = dt.date.today()
QUIZ = "consular-crisis-response"
HIDDEN = "< 5"


def seed(db, course, groups: dict[str, tuple[int, int]]) -> None:
    """Per country, (learners enrolled, of whom trained: they pass the first module's quiz), all in one cohort."""
    cohort = cohorts.create_cohort(db, course, "Geneva", TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30),
                                   "Europe/Zurich", "en")
    model = course.current.model
    for country, (enrolled, trained) in groups.items():
        for n in range(enrolled):
            user = accounts.create_user(db, f"{country.lower()}{n}", None, "learner", f"{country} {n}",
                                        country=country, gender="female", institution="MFA")
            enrolment = cohorts.enrol(db, cohort, user)
            db.commit()
            if n < trained:
                finish(db, learning.enrolled_learner(enrolment, "en", PUBLIC_URL), model, QUIZ)


def csv_rows(client, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(f"{REPORT}{name}.csv").data.decode("utf-8-sig"))))[1:]


def chart_values(html: str, title: str) -> dict[str, str]:
    """Each bar of the chart above the table titled so: its label and the value it is drawn with."""
    svg = re.search(rf"<h3>{title}</h3>\s*<figure class=\"chart\">(.*?)</figure>", html, re.S)[1]
    found = {}
    for group in etree.fromstring(svg.encode("utf-8")).findall("{http://www.w3.org/2000/svg}g"):
        texts = ["".join(t.itertext()).strip("\u2068\u2069") for t in group.iter("{*}text")]
        if len(texts) == 2:
            found[texts[0]] = texts[1]
    return found


def assert_nothing_worked_back(rows: list[list[str]], totals: list[int]) -> None:
    """In each column, the hidden groups are none, or several whose sum (the total less the shown ones) can be
    split among them in more than one way: no hidden group's size follows from the figures shown."""
    for column, total in enumerate(totals, start=1):
        shown = [int(row[column]) for row in rows if row[column] != HIDDEN]
        hidden = sum(row[column] == HIDDEN for row in rows)
        assert hidden != 1, (column, rows)
        if hidden:
            assert total - sum(shown) > hidden, (column, rows)  # not all ones: more than one way to split it


@pytest.fixture
def three_from_moldova(db, users, course):
    """Eight learners from Senegal (trained), six from Jordan (not yet), three from Moldova (two trained)."""
    seed(db, course, {"SN": (8, 8), "JO": (6, 0), "MD": (3, 2)})


def test_a_lone_small_group_hides_the_smallest_other_group_beside_the_total(client, auth, three_from_moldova):
    auth.login("analyst")
    html = client.get(REPORT).get_data(as_text=True)
    assert cells(html, "reach") == [["Enrolled", "17"], ["Trained", "10"], ["Completed the course", "0"]]
    # Enrolled: Moldova's 3, and Jordan's 6 beside it (17 - 8 would give the 3 away). Trained: Moldova's 2, and
    # Senegal's 8, not Jordan's 0 (a zero protects nothing). Completed: zeros, shown.
    expected = [["Senegal", "8", HIDDEN, "0"], ["Jordan", HIDDEN, "0", "0"], ["Moldova", HIDDEN, HIDDEN, "0"]]
    assert cells(html, "by-country") == expected
    assert csv_rows(client, "by-country") == expected
    assert_nothing_worked_back(expected, [17, 10, 0])
    # The chart draws the trained column: the extra hidden group is drawn as hidden too.
    assert chart_values(html, "Reach by country") == {"Senegal": HIDDEN, "Jordan": "0", "Moldova": HIDDEN}
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{REPORT}by-country.xlsx").data))
    sheet = workbook[workbook.sheetnames[0]]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["Senegal", 8, HIDDEN, 0], ["Jordan", HIDDEN, 0, 0], ["Moldova", HIDDEN, HIDDEN, 0]]
    # One group of seventeen in the other dimensions: nothing to hide.
    assert cells(html, "by-sex") == [["Female", "17", "10", "0"]]


def test_two_small_groups_already_hidden_need_no_third(client, auth, db, users, course):
    seed(db, course, {"SN": (8, 6), "JO": (3, 3), "MD": (2, 1)})
    auth.login("analyst")
    html = client.get(REPORT).get_data(as_text=True)
    assert cells(html, "reach") == [["Enrolled", "13"], ["Trained", "10"], ["Completed the course", "0"]]
    expected = [["Senegal", "8", "6", "0"], ["Jordan", HIDDEN, HIDDEN, "0"], ["Moldova", HIDDEN, HIDDEN, "0"]]
    assert cells(html, "by-country") == expected
    assert csv_rows(client, "by-country") == expected
    assert_nothing_worked_back(expected, [13, 10, 0])


def test_a_pass_rate_is_hidden_with_the_small_number_who_passed(client, auth, db, users, course):
    cohort = cohorts.create_cohort(db, course, "Geneva", TODAY - dt.timedelta(days=30), TODAY + dt.timedelta(days=30),
                                   "Europe/Zurich", "en")
    model = course.current.model
    for n in range(7):  # three pass, four fail: 3 of 7 would read 42.9% beside the 7
        user = accounts.create_user(db, f"q{n}", None, "learner", f"Q {n}")
        enrolment = cohorts.enrol(db, cohort, user)
        db.commit()
        finish(db, learning.enrolled_learner(enrolment, "en", PUBLIC_URL), model, QUIZ, wrong=0 if n < 3 else 6)
    auth.login("analyst")
    title = model.module(QUIZ).title
    assert [row for row in csv_rows(client, "quizzes") if row[0] == title] == [[title, "7", HIDDEN, HIDDEN]]


def test_the_rule_on_a_column_of_counts():
    hide = Suppressed(5)
    assert protected([8, 6, 3], 5) == [8, hide, hide]
    assert protected([8, 0, 2], 5) == [hide, 0, hide]  # a zero is never the extra one
    assert protected([9, 5, 5, 2], 5) == [9, 5, hide, hide]  # equals: the last
    assert protected([7, 3, 4], 5) == [7, hide, hide]  # two hidden already
    assert protected([3], 5) == [hide] and protected([0, 0], 5) == [0, 0]  # a total from 3 is hidden itself
    assert protected([], 5) == []
    assert share(3, 7, 5) == hide and share(0, 7, 5) == 0 and share(6, 7, 5) == pytest.approx(6 / 7)
    assert share(0, 0, 5) is None and share(2, 3, 5) == hide
