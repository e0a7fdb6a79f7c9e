"""The cohort screens: admins create, edit and enrol; trainers see only their cohorts; learners join open ones."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import csrf_token
from cohort_fixtures import TODAY, cohort, in_cohort, other_trainer  # noqa: F401 (fixtures)
from lms.cohorts import services as cohorts
from lms.models import Enrolment
from lms.services import catalog


def form_values(**more) -> dict:
    values = {"course": "crisis-management", "name": "Accra autumn", "starts_on": "2025-09-01",
              "ends_on": "2025-12-15", "timezone": "Africa/Accra", "language": "fr"}
    values.update(more)
    return values


def test_admin_creates_a_cohort_with_trainers(client, auth, db, users, course, other_trainer):
    auth.login("admin")
    page = client.get("/cohorts/new?course=crisis-management")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'type="date"' in html and "Other trainer (trainer2)" in html and "Demo learner" not in html
    token = csrf_token(client, "/cohorts/new")
    response = client.post("/cohorts/new", data={
        **form_values(self_enrol="y"), "csrf_token": token,
        "trainers": [str(users["trainer"].id), str(other_trainer.id)]})
    assert response.status_code == 302
    db.expire_all()
    [made] = cohorts.list_cohorts(db)
    assert (made.name, made.starts_on, made.ends_on, made.timezone, made.language, made.self_enrol) == (
        "Accra autumn", dt.date(2025, 9, 1), dt.date(2025, 12, 15), "Africa/Accra", "fr", True)
    assert {t.username for t in made.trainers} == {"trainer", "trainer2"}
    assert response.headers["Location"].endswith(f"/cohorts/{made.id}/")


@pytest.mark.parametrize("change, field, reason", [
    ({"name": ""}, "name", "A name is required."),
    ({"ends_on": "2025-08-01"}, "ends_on", "The cohort cannot end (2025-08-01) before it starts (2025-09-01)."),
    ({"timezone": "Mars/Olympus"}, "timezone", "Mars/Olympus is not a time zone"),
    ({"language": "xx"}, "language", "Unknown language xx"),
    ({"starts_on": "2025-02-30"}, "starts_on", "Not a valid date value."),
    ({"course": "no-such-course"}, "course", "Choose a course."),
])
def test_cohort_form_errors_are_400_beside_the_field(client, auth, db, users, course, change, field, reason):
    auth.login("admin")
    token = csrf_token(client, "/cohorts/new")
    response = client.post("/cohorts/new", data={**form_values(**change), "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert re.search(rf'<p class="error" role="alert" id="{field}-error">{re.escape(reason)}', html), html
    assert cohorts.list_cohorts(db) == []


def test_a_learner_cannot_be_made_a_trainer(client, auth, db, users, course):
    auth.login("admin")
    token = csrf_token(client, "/cohorts/new")
    response = client.post("/cohorts/new", data={**form_values(), "csrf_token": token,
                                                 "trainers": [str(users["learner"].id)]})
    assert response.status_code == 400
    assert "Demo learner cannot train a cohort: only trainers and admins can." in response.get_data(as_text=True)
    assert cohorts.list_cohorts(db) == []


def test_form_errors_are_translated(client, auth, db, users, course):
    auth.login("admin")
    token = csrf_token(client, "/cohorts/new")
    response = client.post("/cohorts/new?lang=fr", data={**form_values(name=""), "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Un nom est requis." in html and "Nouvelle cohorte" in html


def test_admin_edits_a_cohort_and_its_trainers(client, auth, db, users, cohort, other_trainer):
    auth.login("admin")
    page = client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'value="Dakar spring"' in page
    token = csrf_token(client, f"/cohorts/{cohort.id}/edit")
    response = client.post(f"/cohorts/{cohort.id}/edit", data={
        **form_values(name="Dakar summer"), "csrf_token": token, "trainers": [str(other_trainer.id)]})
    assert response.status_code == 302
    db.expire_all()
    assert cohort.name == "Dakar summer" and [t.username for t in cohort.trainers] == ["trainer2"]
    assert cohort.course.slug == "crisis-management"


@pytest.mark.parametrize("url", ["/cohorts/new", "/cohorts/{id}/edit", "/cohorts/{id}/enrol"])
def test_only_admins_manage_cohorts(client, auth, users, cohort, url):
    auth.login("trainer")
    assert client.get(url.format(id=cohort.id)).status_code == 403


def test_trainer_sees_only_their_cohorts(client, auth, db, users, course, cohort, other_trainer):
    theirs = cohorts.create_cohort(db, course, "Lomé", TODAY, TODAY, "Africa/Lome", "fr", trainers=[other_trainer])
    db.commit()
    auth.login("trainer")
    mine = client.get("/cohorts/").get_data(as_text=True)
    assert "My cohorts" in mine and "Dakar spring" in mine and "Lomé" not in mine
    assert client.get(f"/cohorts/{cohort.id}/").status_code == 200
    other = client.get(f"/cohorts/{theirs.id}/")
    assert other.status_code == 403
    assert "not one of yours" in other.get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    every = client.get("/cohorts/").get_data(as_text=True)
    assert "Dakar spring" in every and "Lomé" in every


def test_learners_and_analysts_have_no_cohort_screens(client, auth, users, cohort):
    for role in ("learner", "analyst"):
        auth.login(role)
        assert client.get("/cohorts/").status_code == 403
        assert client.get(f"/cohorts/{cohort.id}/").status_code == 403
        assert "/cohorts/" not in client.get("/courses/").get_data(as_text=True)
        auth.logout()


def test_unknown_cohort_is_404(client, auth, users):
    auth.login("admin")
    assert client.get("/cohorts/999/").status_code == 404


def test_navigation_links_to_cohorts_for_trainers(client, auth, users):
    auth.login("trainer")
    assert '<a href="/cohorts/">My cohorts</a>' in client.get("/courses/").get_data(as_text=True)


def test_admin_enrols_learners_found_by_search(client, auth, db, users, cohort):
    auth.login("admin")
    page = client.get(f"/cohorts/{cohort.id}/enrol?q=learn").get_data(as_text=True)
    assert "Demo learner (learner)" in page and "Demo analyst" not in page
    token = csrf_token(client, f"/cohorts/{cohort.id}/enrol")
    response = client.post(f"/cohorts/{cohort.id}/enrol", data={
        "csrf_token": token, "users": [str(users["learner"].id), str(users["analyst"].id)]})
    assert response.status_code == 302
    db.expire_all()
    assert [u.username for u in cohorts.learners(db, cohort)] == ["analyst", "learner"]
    after = client.get(f"/cohorts/{cohort.id}/enrol").get_data(as_text=True)
    assert "Demo learner (learner)" not in after  # enrolled: no longer offered


@pytest.mark.parametrize("users_field", [[], ["999"], ["abc"]])
def test_enrolling_nobody_or_unknown_accounts_is_400(client, auth, db, users, cohort, users_field):
    auth.login("admin")
    token = csrf_token(client, f"/cohorts/{cohort.id}/enrol")
    response = client.post(f"/cohorts/{cohort.id}/enrol", data={"csrf_token": token, "users": users_field})
    assert response.status_code == 400
    assert cohorts.learners(db, cohort) == []


def test_the_roster_shows_progress_schedule_and_materials(client, auth, db, users, course, cohort, in_cohort):
    from lms.sessions import services as sessions

    cohorts.enrol(db, cohort, users["analyst"])
    past = sessions.schedule(db, cohort, "earthquake-tabletop", dt.datetime.combine(TODAY, dt.time(9)),
                             place="Room 2", facilitators=[users["trainer"]])
    sessions.mark(db, past, users["trainer"],
                  {users["learner"].id: ("late", ""), users["analyst"].id: ("absent", "")},
                  "https://lms.example.test/")
    db.commit()
    auth.login("learner")
    module = "/courses/crisis-management/modules/consular-crisis-response"
    answers = {"q-crisis-lead": ["1"], "q-registration-value": ["0", "1"], "q-registration-compulsory": ["1"],
               "q-check-messages": "2", "q-wardens": "Wardens", "q-confirm-death": ["0"], "q-plan-testing": ["0"]}
    client.post(f"{module}/quiz", data={"csrf_token": csrf_token(client, f"{module}/quiz"), **answers})  # 5 of 7
    auth.logout()

    auth.login("trainer")
    html = client.get(f"/cohorts/{cohort.id}/").get_data(as_text=True)
    rows = dict(re.findall(r'<tr><th scope="row">Demo (\w+) .*?</th>(.*?)</tr>', html, re.S))
    cells = {name: re.findall(r"<td>(.*?)</td>", row) for name, row in rows.items()}
    # The learner: the live module completed by attending (late counts), a best score of 71%, one session.
    assert cells["learner"] == ["1 of 6", "71%", "1"]
    assert cells["analyst"] == ["0 of 6", "—", "0"]
    assert f'href="/sessions/{past.id}/attendance"' in html
    assert f'href="/sessions/cohorts/{cohort.id}/schedule"' in html
    for material in ("deck.pptx", "guide.html"):
        assert f'href="/courses/crisis-management/modules/earthquake-tabletop/{material}"' in html
