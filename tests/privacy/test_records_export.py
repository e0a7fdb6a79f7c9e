"""Downloading everything held about me: a page that says what is held, one JSON file with every record, and a
readable summary that no hostile name can turn into a script."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

from sqlalchemy import select

from lms.models import Course
from lms.services import catalog
from privacy_fixtures import (  # noqa: F401 (fixtures)
    SHARED, agent_of, forwarding, log_in, lrs_key, make_learner, ottilie, programme, zoltan)
from xapi.statements import VERBS
from xapi.store import store_statements


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="passerelle-data-\d{4}-\d{2}-\d{2}\.(json|html)"', disposition)
    assert dt.date.today().isoformat() in disposition
    return response


def test_the_data_page_says_what_is_held_and_offers_both_downloads(client, zoltan):
    log_in(client, zoltan.username)
    page = client.get("/account/data").get_data(as_text=True)
    assert "Your data" in page
    assert "Enrolments in courses: 1" in page and "Certificates awarded to you: 1" in page
    assert "Attendance marks at live sessions: 1" in page
    assert "Saved states and profiles, such as where you stopped in a module: 3" in page
    assert 'href="/account/data.json"' in page and 'href="/account/data.html"' in page


def test_a_visitor_is_sent_to_log_in(client):
    for url in ("/account/data", "/account/data.json", "/account/data.html"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_json_holds_every_record_about_the_learner_and_none_of_another(client, zoltan, ottilie):
    log_in(client, zoltan.username)
    response = download(client, "/account/data.json")
    assert response.mimetype == "application/json"
    body = response.get_data(as_text=True)
    data = json.loads(body)
    profile = data["profile"]
    assert (profile["username"], profile["display_name"], profile["email"], profile["actor_id"]) == (
        zoltan.username, zoltan.name, zoltan.email, zoltan.actor_id)
    assert "password_hash" not in profile and "session_token" not in profile
    assert zoltan.user.password_hash not in body and zoltan.user.session_token not in body

    [enrolment] = data["enrolments"]
    assert enrolment["cohort"]["name"] == "Chisinau autumn"
    assert enrolment["registration"] == zoltan.enrolment.registration
    [mark] = data["attendance"]
    assert (mark["status"], mark["remark"], mark["marked_by"]) == ("present", "Zoltan Quibblewick came early",
                                                                    "Demo trainer")
    assert mark["module"] == "earthquake-tabletop" and mark["session_starts"]
    [certificate] = data["certificates"]
    assert certificate["code"] == "CODE-ZOLTAN.QUIBBLE" and certificate["details"]["learner"] == zoltan.name
    [key] = data["lrs_keys"]
    assert key["name"].startswith("Launch ") and "secret" not in json.dumps(key)

    # The statements as the LRS returns them: the answers the learner gave in the player are there.
    statements = data["statements"]
    answers = {s["object"]["id"].rsplit("/", 1)[-1]: s["result"]["response"] for s in statements
               if s["verb"]["id"] == VERBS["answered"]}
    assert answers["wardens"] == "Wardens" and answers["registration-value"] == "0[,]1"
    assert any(s["verb"]["id"] == VERBS["passed"] for s in statements)
    assert any(s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/attended" for s in statements)
    assert all("authority" in s and "stored" in s for s in statements)
    assert all(s["actor"]["account"]["name"] == zoltan.actor_id for s in statements)
    # Nothing of the other learner of the cohort.
    assert ottilie.actor_id not in body and ottilie.name not in body and ottilie.email not in body

    documents = {d.get("stateId") or d.get("profileId"): d for d in data["documents"]}
    assert set(documents) == {"LMS.LaunchData", "passerelle.bookmark", "nickname"}
    assert json.loads(documents["nickname"]["content"]) == {"nickname": zoltan.name, "email": zoltan.email}
    assert documents["nickname"]["kind"] == "agent_profile"
    attachments = {base64.b64decode(a["contentBase64"]) for a in data["attachments"]}
    assert attachments == {zoltan.essay, SHARED}


def test_a_long_history_comes_whole_and_in_order(app, client, db, users, course):
    user = make_learner(db, "tamsin.long", "Tamsin Long", "tl@mail.example")
    enrolment = catalog.enrol(db, user, course)
    agent = agent_of(user)
    batch = [{"actor": agent, "verb": {"id": VERBS["experienced"]},
              "object": {"objectType": "Activity", "id": f"https://academy.example.org/pages/{n}"},
              "context": {"registration": enrolment.registration}} for n in range(1234)]
    ids = store_statements(db, batch, agent)
    db.commit()
    log_in(client, "tamsin.long")
    data = json.loads(download(client, "/account/data.json").get_data(as_text=True))
    assert [s["id"] for s in data["statements"]] == ids  # more than two chunks, oldest first, each once
    summary = download(client, "/account/data.html").get_data(as_text=True)
    assert summary.count("https://academy.example.org/pages/") == 1234
    assert "Learning records (1234)" in summary


def test_the_summary_is_one_page_that_escapes_hostile_names(client, db, users, course, programme):
    hostile = '<script>alert("pwned")</script>'
    user = make_learner(db, "hostile.name", hostile, "hn@mail.example")
    cohort, _ = programme
    cohort.name = '<img src=x onerror=alert(1)>'
    db.scalar(select(Course).where(Course.id == course.id)).title = "</td><script>steal()</script>"
    from lms.cohorts import services as cohorts

    cohorts.enrol(db, cohort, user)
    db.commit()
    log_in(client, "hostile.name")
    response = download(client, "/account/data.html")
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script" not in page and "<img" not in page and "<link" not in page  # no script, nothing fetched
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;/td&gt;&lt;script&gt;steal()" in page
    assert "Data held about" in page

    # The same name in the JSON is data, written as JSON writes it.
    data = json.loads(download(client, "/account/data.json").get_data(as_text=True))
    assert data["profile"]["display_name"] == hostile


def test_the_summary_lists_statements_by_verb_object_and_time(client, course, zoltan):
    quiz = course.current.model.module("consular-crisis-response").quiz
    log_in(client, zoltan.username)
    page = download(client, "/account/data.html").get_data(as_text=True)
    assert "Zoltan Quibblewick" in page and "Chisinau autumn" in page and "CODE-ZOLTAN.QUIBBLE" in page
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d \d\d:\d\d UTC)</td><td>([^<]*)</td><td>([^<]*)</td>", page)
    verbs = {verb for _, verb, _ in rows}
    assert {"answered", "passed", "attended", "launched"} <= verbs
    assert any(verb == "passed" and what == quiz.title for _, verb, what in rows), rows
    assert "Wardens" in page  # the typed answer
