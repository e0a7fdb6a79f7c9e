"""Prerequisites enforced: a module's pages, quiz, survey, scenarios and launch are refused (403, naming what to
complete first, with links) until the LMS has recorded its prerequisites completed; its overview stays open."""

from __future__ import annotations

import pytest

from conftest import PUBLIC_URL, csrf_token
from lms.services import learning
from xapi import statements as xs
from xapi.store import store_statements

COURSE = "/courses/crisis-management"
MIGRANTS = f"{COURSE}/modules/migrants-in-crisis"
# migrants-in-crisis needs registration-contingency and families-and-media; families-and-media needs the first.
LOCKED = [f"{MIGRANTS}/launch", f"{MIGRANTS}/pages/{{page}}", f"{MIGRANTS}/pages/{{page}}/seen", f"{MIGRANTS}/quiz",
          f"{MIGRANTS}/survey", f"{MIGRANTS}/scenarios/valdoria/"]


def complete(db, enrolment, *slugs, authority=None):
    """Record the completion of modules, under the LMS's authority unless another is given."""
    course = enrolment.course.current.model
    learner = learning.enrolled_learner(enrolment, "en", PUBLIC_URL)
    for slug in slugs:
        statement = xs.build(learner.agent, "completed", learning.module_activity(course, course.module(slug)),
                             language="en", registration=learner.registration)
        store_statements(db, [statement], authority or learning.authority(PUBLIC_URL))
    db.commit()


def first_page(enrolment) -> str:
    return enrolment.course.current.model.module("migrants-in-crisis").pages[0].id


@pytest.mark.parametrize("url", LOCKED)
def test_a_module_waits_for_its_prerequisites(client, auth, db, enrolled, url):
    complete(db, enrolled, "registration-contingency")  # one of the two
    auth.login("learner")
    response = client.get(url.format(page=first_page(enrolled)))
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "This module opens once you have completed:" in html
    assert f'href="{COURSE}/modules/families-and-media/"' in html and "registration-contingency/" not in html
    assert learning.progress(db, learning.enrolled_learner(enrolled, "en", PUBLIC_URL),
                             enrolled.course.current.model.module("migrants-in-crisis")).pages_seen == set()


def test_posting_to_a_locked_quiz_records_nothing(client, auth, db, enrolled):
    auth.login("learner")
    token = csrf_token(client, f"{COURSE}/")
    response = client.post(f"{MIGRANTS}/quiz", data={"csrf_token": token, "q-reach": "1", "q-partners": "4"})
    assert response.status_code == 403
    state = learning.progress(db, learning.enrolled_learner(enrolled, "en", PUBLIC_URL),
                              enrolled.course.current.model.module("migrants-in-crisis"))
    assert state.attempts == 0


def test_the_overview_stays_open_and_names_what_to_complete(client, auth, db, enrolled):
    auth.login("learner")
    overview = client.get(f"{MIGRANTS}/")
    assert overview.status_code == 200
    html = overview.get_data(as_text=True)
    assert "This module opens once you have completed:" in html
    assert f'href="{COURSE}/modules/registration-contingency/"' in html
    assert f'href="{COURSE}/modules/families-and-media/"' in html
    course_page = client.get(f"{COURSE}/").get_data(as_text=True)
    assert f'href="{MIGRANTS}/"' in course_page and f'href="{MIGRANTS}/launch"' not in course_page
    assert "complete first: " in course_page


def test_completed_prerequisites_open_the_module(client, auth, db, enrolled):
    complete(db, enrolled, "registration-contingency", "families-and-media")
    auth.login("learner")
    for url in LOCKED[1:]:
        assert client.get(url.format(page=first_page(enrolled))).status_code in (200, 204), url
    assert client.get(LOCKED[0]).status_code == 303  # launched
    assert "opens once you have completed" not in client.get(f"{MIGRANTS}/").get_data(as_text=True)
    assert f'href="{MIGRANTS}/launch"' in client.get(f"{COURSE}/").get_data(as_text=True)


def test_a_completion_the_learner_claims_does_not_open_the_module(client, auth, db, enrolled, users):
    learner_authority = learning.enrolled_learner(enrolled, "en", PUBLIC_URL).agent.as_version(xs.VERSION)
    complete(db, enrolled, "registration-contingency", "families-and-media", authority=learner_authority)
    auth.login("learner")
    assert client.get(f"{MIGRANTS}/quiz").status_code == 403


def test_a_module_without_prerequisites_opens(client, auth, enrolled):
    auth.login("learner")
    assert client.get(f"{COURSE}/modules/consular-crisis-response/quiz").status_code == 200


def test_the_refusal_is_translated(client, auth, enrolled):
    auth.login("learner")
    html = client.get(f"{MIGRANTS}/quiz?lang=fr").get_data(as_text=True)
    assert "Terminez d’abord" in html
