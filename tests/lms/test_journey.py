"""The whole path: a learner studies a module and takes the quiz; the analyst
sees it; the statements are in the LRS, readable by a real xAPI client."""

from __future__ import annotations

import re

import tincan

from conftest import PUBLIC_URL, csrf_token, read_page
from xapi import credentials

MODULE = "/courses/crisis-management/modules/consular-crisis-response"
MODULE_IRI = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
PAGES = ["roles-in-a-consular-crisis", "registration-of-nationals-and-contingency-plans",
         "communicating-with-families"]
# Option indexes of the right answers in the sample quiz, and one wrong set.
RIGHT = {"q-crisis-lead": ["1"], "q-registration-value": ["0", "1"], "q-registration-compulsory": ["1"],
         "q-check-messages": "2", "q-wardens": " Wardens ", "q-confirm-death": ["1"], "q-plan-testing": ["1"]}
# Four of seven right (57%), under the 70% pass mark.
WRONG = RIGHT | {"q-crisis-lead": ["0"], "q-registration-value": ["0"], "q-check-messages": "4,5"}


def take_quiz(client, answers):
    return client.post(f"{MODULE}/quiz", data={"csrf_token": csrf_token(client, f"{MODULE}/quiz"), **answers})


def lrs_headers(app):
    with app.app_context():
        from lms.db import get_db

        session = get_db()
        credential, secret = credentials.create_credential(session, "M&E dashboard", ["all/read"])
        session.commit()
    return credential.key, secret


def test_learner_studies_and_analyst_sees_the_records(app, client, auth, enrolled):
    assert auth.login("learner").status_code == 302

    start = client.get(f"{MODULE}/")
    assert start.status_code == 200
    for page in PAGES:
        assert f"{MODULE}/pages/{page}" in start.get_data(as_text=True)

    for page in PAGES:
        response = read_page(client, f"{MODULE}/pages/{page}")
        assert response.status_code == 200
    assert "Give each family one contact person" in response.get_data(as_text=True)

    failed = take_quiz(client, WRONG)
    assert failed.status_code == 200
    assert "Not passed yet" in failed.get_data(as_text=True)
    assert "4 / 7 (57%)" in failed.get_data(as_text=True)
    assert "neither the\nmandate nor the means to lead" in failed.get_data(as_text=True)  # the chosen option's feedback

    passed = take_quiz(client, RIGHT)
    body = passed.get_data(as_text=True)
    assert "Passed" in body and "7 / 7 (100%)" in body and "Module completed." in body

    course_page = client.get("/courses/crisis-management/").get_data(as_text=True)
    assert "completed" in course_page and "best score 100%" in course_page

    auth.logout()
    auth.login("analyst")
    client.application.config["REPORTS_MIN_GROUP"] = 1  # one learner here: show the figures of a group of one
    report = client.get("/reports/crisis-management/")
    assert report.status_code == 200
    row = re.search(r'<tr data-module="consular-crisis-response">(.*?)</tr>', report.get_data(as_text=True), re.S)
    cells = re.findall(r"<td>(.*?)</td>", row[1], re.S)
    assert cells[1:4] == ["1", "1", "1"]  # enrolled, started, completed
    assert cells[4].startswith("100.0%")  # the learner's best score
    french = client.get("/reports/crisis-management/?lang=fr").get_data(as_text=True)
    row = re.search(r'<tr data-module="consular-crisis-response">(.*?)</tr>', french, re.S)
    assert re.findall(r"<td>(.*?)</td>", row[1], re.S)[4].startswith("100,0\u00a0%")  # the French way

    # The same events, as xAPI statements, over HTTP Basic.
    key, secret = lrs_headers(app)
    response = client.get("/xapi/statements", auth=(key, secret),
                          headers={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    statements = response.get_json()["statements"]
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]
    assert verbs.count("experienced") == 3
    assert verbs.count("answered") == 14
    assert verbs.count("failed") == 1 and verbs.count("passed") == 1 and verbs.count("completed") == 1
    learner = enrolled.user
    for statement in statements:
        assert statement["actor"]["account"] == {"homePage": PUBLIC_URL, "name": learner.actor_id}
        assert "mbox" not in statement["actor"]
        assert statement["context"]["registration"] == enrolled.registration
        assert statement["context"]["language"] == "en"
    completed = next(s for s in statements if s["verb"]["id"].endswith("/completed"))
    assert completed["object"]["id"] == MODULE_IRI
    passed_stmt = next(s for s in statements if s["verb"]["id"].endswith("/passed"))
    assert passed_stmt["object"]["id"] == MODULE_IRI + "/quiz"
    assert passed_stmt["result"]["score"]["scaled"] == 1.0


def test_module_completes_when_the_last_page_is_read_after_passing(app, client, auth, enrolled):
    auth.login("learner")
    read_page(client, f"{MODULE}/pages/{PAGES[0]}")
    body = take_quiz(client, RIGHT).get_data(as_text=True)
    assert "Passed" in body and "Read every page of the module to complete it." in body
    assert "Module completed." not in body
    for page in PAGES[1:]:
        assert "You have completed this module." not in client.get(f"{MODULE}/").get_data(as_text=True)
        read_page(client, f"{MODULE}/pages/{page}")
    assert "You have completed this module." in client.get(f"{MODULE}/").get_data(as_text=True)
    read_page(client, f"{MODULE}/pages/{PAGES[0]}")  # reading again does not complete twice
    take_quiz(client, RIGHT)
    completed = client.get("/xapi/statements?verb=http://adlnet.gov/expapi/verbs/completed",
                           auth=lrs_headers(app), headers={"X-Experience-API-Version": "1.0.3"})
    assert len(completed.get_json()["statements"]) == 1
    auth.logout()
    auth.login("analyst")
    client.application.config["REPORTS_MIN_GROUP"] = 1  # one learner here: show the figures of a group of one
    row = re.search(r'<tr data-module="consular-crisis-response">(.*?)</tr>',
                    client.get("/reports/crisis-management/").get_data(as_text=True), re.S)
    assert re.findall(r"<td>(.*?)</td>", row[1], re.S)[3] == "1"


def test_statements_are_read_by_tincan_remote_lrs(app, live_server, client, auth, enrolled):
    auth.login("learner")
    for page in PAGES:
        read_page(client, f"{MODULE}/pages/{page}")
    take_quiz(client, RIGHT)
    key, secret = lrs_headers(app)

    lrs = tincan.RemoteLRS(endpoint=f"{live_server}/xapi/", username=key, password=secret, version="1.0.3")
    about = lrs.about()
    assert about.success and "1.0.3" in about.content.version

    response = lrs.query_statements({"verb": tincan.Verb(id="http://adlnet.gov/expapi/verbs/completed"),
                                     "activity": tincan.Activity(id=MODULE_IRI)})
    assert response.success, response.data
    [completed] = response.content.statements
    assert completed.actor.account.name == enrolled.user.actor_id
    assert completed.result.score.scaled == 1.0

    everything = lrs.query_statements({"limit": 5})
    assert everything.success
    assert len(everything.content.statements) == 5
    assert everything.content.more  # 3 pages + 7 answers + passed + completed = 12 statements
    rest = lrs.more_statements(everything.content)
    assert rest.success and len(rest.content.statements) == 5
    assert rest.content.more

    refused = tincan.RemoteLRS(endpoint=f"{live_server}/xapi/", username=key, password="wrong",
                               version="1.0.3").query_statements({})
    assert not refused.success and refused.response.status == 401
