"""The truth of the M&E figures: recomputed from the raw statements an outside analyst reads through
``GET /xapi/statements``, they match the report's pages and exports, on a seeded programme with known answers —
re-taken quizzes, a voided completion, device claims that earn nothing, learners in two cohorts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import defaultdict

import pytest

from conftest import PUBLIC_URL
from learning_helpers import finish, finish_course
from lms.accounts import services as accounts
from lms.cohorts import services as cohorts
from lms.services import learning
from xapi.statements import VERBS

REPORT = "/reports/crisis-management/"
TODAY = dt.date.today()
LMS = learning.authority(PUBLIC_URL)


@pytest.fixture
def seeded(app, db, users, course, lrs):
    """Ten learners in two cohorts with known journeys; returns what the report must say."""
    app.config["REPORTS_MIN_GROUP"] = 1  # compare every figure exactly
    model = course.current.model
    dakar = cohorts.create_cohort(db, course, "Dakar", TODAY - dt.timedelta(days=40), TODAY + dt.timedelta(days=20),
                                  "Africa/Dakar", "fr")
    amman = cohorts.create_cohort(db, course, "Amman", TODAY - dt.timedelta(days=40), TODAY + dt.timedelta(days=20),
                                  "Asia/Amman", "ar")
    learners = []
    for n in range(10):
        user = accounts.create_user(db, f"p{n}", None, "learner", f"P {n}", country="SN" if n < 6 else "JO",
                                    gender="female" if n % 2 else "male", institution=f"Inst {n % 3}")
        enrolment = cohorts.enrol(db, dakar if n < 6 else amman, user)
        learners.append(learning.enrolled_learner(enrolment, "en", PUBLIC_URL))
    db.commit()
    for n, learner in enumerate(learners):
        if n < 4:  # complete the course, after failing the quiz first
            finish(db, learner, model, "consular-crisis-response", wrong=3)
            finish_course(db, learner, model)
        elif n < 7:  # pass the quiz at once, stop there
            finish(db, learner, model, "consular-crisis-response", wrong=1)
        elif n == 7:  # read one page
            module = model.module("consular-crisis-response")
            learning.record_page_view(db, learner, model, module, module.pages[0])
            db.commit()
    # learner 8 claims a pass and a completion from their device: kept, earns nothing
    claim = {"actor": learners[8].agent.as_version("1.0.3"), "verb": {"id": VERBS["completed"]},
             "object": {"id": model.module("consular-crisis-response").iri},
             "context": {"registration": learners[8].registration}}
    lrs.send(claim)  # under the key's authority, not the LMS's
    # the LMS's completion of learner 6's quiz module is voided by the data controller
    completion = next(s for s in lrs.query(verb=VERBS["completed"], agent=learners[6].agent.as_version("1.0.3"))
                      if s["object"]["id"] == model.module("consular-crisis-response").iri)
    lrs.send({"id": str(uuid.uuid4()), "actor": LMS, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
              "object": {"objectType": "StatementRef", "id": completion["id"]}})
    # learner 0 moves to the Amman cohort: their registration, and so their records, move with them
    cohorts.enrol(db, amman, accounts.find_user(db, "p0"))
    db.commit()
    return learners


def every_statement(lrs) -> list[dict]:
    """All statements, page by page, as an outside analyst reads them (voided ones are not returned)."""
    found, response = [], lrs.get("statements", params={"limit": 500}).get_json()
    found += response["statements"]
    while response.get("more"):
        response = lrs.client.get(response["more"], auth=lrs.auth,
                                  headers={"X-Experience-API-Version": "1.0.3"}).get_json()
        found += response["statements"]
    return found


def recompute(statements: list[dict], model) -> dict:
    """The report's reach and module figures, from raw statements and the rules the README states."""
    by_learner = defaultdict(list)
    for statement in statements:
        account = statement["actor"].get("account") or {}
        if account.get("homePage") == PUBLIC_URL:
            by_learner[account["name"]].append(statement)
    trained, completed = set(), set()
    started, module_done, scores = defaultdict(set), defaultdict(set), defaultdict(list)
    quiz = model.module("consular-crisis-response").quiz_iri
    for actor, mine in by_learner.items():
        for s in sorted(mine, key=lambda s: s["stored"]):
            ours = s["authority"] == LMS
            verb, obj = s["verb"]["id"], s["object"].get("id", "")
            for module in model.modules:
                about = obj == module.iri or obj.startswith(module.iri + "/")
                if about and (verb == VERBS["experienced"] or (ours and verb in (VERBS["passed"], VERBS["failed"],
                                                                                  VERBS["completed"]))):
                    started[module.slug].add(actor)
                if ours and verb == VERBS["completed"] and obj == module.iri:
                    module_done[module.slug].add(actor)
                    trained.add(actor)
            if ours and verb == VERBS["completed"] and obj == model.iri:
                completed.add(actor)
            if ours and verb in (VERBS["passed"], VERBS["failed"]) and obj == quiz:
                scores[actor].append(s["result"]["score"]["scaled"])
    # the same quiz before and after: the first graded attempt, then the best of the later ones
    pairs = [(graded[0], max(graded[1:])) for graded in scores.values() if len(graded) > 1]
    return {"trained": len(trained), "completed": len(completed),
            "started": {slug: len(a) for slug, a in started.items()},
            "done": {slug: len(a) for slug, a in module_done.items()},
            "pairs": pairs}


def table(client, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(f"{REPORT}{name}.csv").data.decode("utf-8-sig"))))[1:]


def test_the_report_says_what_the_raw_statements_say(client, auth, lrs, seeded, course):
    model = course.current.model
    truth = recompute(every_statement(lrs), model)
    assert truth["trained"] == 4 + 2 and truth["completed"] == 4  # learner 6's completion is voided; 8's a claim
    auth.login("analyst")
    reach = dict(table(client, "reach"))
    assert reach == {"Enrolled": "10", "Trained": str(truth["trained"]),
                     "Completed the course": str(truth["completed"])}
    modules = {row[0]: row for row in table(client, "funnel")}
    for m in model.modules:
        row = modules[m.title]
        assert row[2] == str(truth["started"].get(m.slug, 0)), m.slug
        assert row[3] == str(truth["done"].get(m.slug, 0)), m.slug
    [knowledge] = table(client, "knowledge")
    pre = sum(p for p, _ in truth["pairs"]) / len(truth["pairs"])
    post = sum(q for _, q in truth["pairs"]) / len(truth["pairs"])
    assert int(knowledge[1]) == len(truth["pairs"]) == 4
    assert float(knowledge[2]) == pytest.approx(pre, abs=1e-4) and float(knowledge[3]) == pytest.approx(post, abs=1e-4)
    assert float(knowledge[4]) == pytest.approx((post - pre) / (1 - pre), abs=1e-4)
    by_cohort = {row[0]: row[1:] for row in table(client, "by-cohort")}
    assert by_cohort == {"Dakar": ["5", "5", "3"], "Amman": ["5", "1", "1"]}  # p0 moved to Amman with their records
