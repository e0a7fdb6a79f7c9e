"""Names and Role Provisioning: the members of a platform's course are enrolled in its cohort at once, its
instructors as trainers."""

from __future__ import annotations

from sqlalchemy import select

from conftest import csrf_token
from lms.cohorts import services as cohorts
from lms.integration.identities import ExternalIdentity
from lms.integration.lti.models import Context
from lti_platform import CLAIM, INSTRUCTOR, LEARNER, registered, platform  # noqa: F401 (fixtures)

MEMBERS = [
    {"user_id": "moodle-teacher-3", "name": "Kofi Mensah", "email": "kofi@example.test", "roles": [INSTRUCTOR],
     "status": "Active"},
    {"user_id": "moodle-user-21", "name": "Leila Haddad", "email": "leila@example.test", "roles": [LEARNER],
     "status": "Active"},
    {"user_id": "moodle-user-22", "given_name": "Tomás", "family_name": "Ruiz", "roles": ["Learner"]},
    {"user_id": "moodle-user-23", "name": "Gone Away", "roles": [LEARNER], "status": "Inactive"},
]


def launch_as_instructor(client, platform):
    return platform.launch(client, token_args={"sub": "moodle-teacher-3", "roles": (INSTRUCTOR,)},
                           name="Kofi Mensah", **{CLAIM + "launch_presentation": {"locale": "en"}},
                           **platform.nrps_claim())


def people(db, cohort):
    db.expire_all()
    return ({u.display_name for u in cohorts.learners(db, cohort)}, {u.display_name for u in cohort.trainers})


def test_an_instructor_enrols_the_platform_course_s_members_in_its_cohort(client, db, registered, platform, course):
    platform.members = MEMBERS
    answer = launch_as_instructor(client, platform)
    page = answer.headers["Location"]
    assert "Enrol the members of Consular crisis 2026" in client.get(page).get_data(as_text=True)
    done = client.post(f"{page}/members", data={"csrf_token": csrf_token(client, page)})
    assert done.status_code == 302
    context = db.scalar(select(Context))
    assert people(db, context.cohort) == ({"Leila Haddad", "Tomás Ruiz"}, {"Kofi Mensah"})
    roles = {i.subject: i.user.role for i in db.scalars(select(ExternalIdentity))}
    assert roles == {"moodle-teacher-3": "trainer", "moodle-user-21": "learner", "moodle-user-22": "learner"}
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "2 learners and 1 trainers of Consular crisis 2026" in shown
    # Done again, nobody is enrolled twice.
    client.post(f"{page}/members", data={"csrf_token": csrf_token(client, page)})
    assert people(db, context.cohort) == ({"Leila Haddad", "Tomás Ruiz"}, {"Kofi Mensah"})


def test_the_cli_enrols_them_too_and_says_when_the_platform_does_not_answer(client, db, runner, registered, platform,
                                                                             course):
    platform.members = MEMBERS[1:2]
    launch_as_instructor(client, platform)
    context = db.scalar(select(Context))
    result = runner.invoke(args=["lti", "enrol-members", str(context.id)])
    assert result.exit_code == 0 and "1 learners and 0 trainers" in result.output
    assert people(db, context.cohort)[0] == {"Leila Haddad"}
    platform.server.shutdown()  # the platform is unreachable
    platform.server.server_close()
    failed = runner.invoke(args=["lti", "enrol-members", str(context.id)])
    assert failed.exit_code == 1 and "did not give its list of members" in failed.output
    assert runner.invoke(args=["lti", "enrol-members", "999"]).exit_code == 1


def test_a_trainer_of_another_cohort_may_not_enrol_this_one_s_members(client, db, auth, users, registered,
                                                                     platform, course):
    launch_as_instructor(client, platform)
    context = db.scalar(select(Context))
    client.delete_cookie("session")
    auth.login("trainer")
    assert client.get(f"/lti/contexts/{context.id}").status_code == 403
    token = csrf_token(client, "/courses/")
    assert client.post(f"/lti/contexts/{context.id}/members", data={"csrf_token": token}).status_code == 403


def test_a_trainer_finds_the_platform_courses_they_train(client, db, auth, users, registered, platform, course):
    launch_as_instructor(client, platform)
    page = client.get("/lti/contexts/").get_data(as_text=True)
    context = db.scalar(select(Context))
    assert f'href="/lti/contexts/{context.id}">Consular crisis 2026</a>' in page
    client.delete_cookie("session")
    auth.login("trainer")
    assert "Consular crisis 2026" not in client.get("/lti/contexts/").get_data(as_text=True)
    client.delete_cookie("session")
    auth.login("admin")
    assert "Consular crisis 2026" in client.get("/lti/contexts/").get_data(as_text=True)
    client.delete_cookie("session")
    auth.login("learner")
    assert client.get("/lti/contexts/").status_code == 403


def test_a_list_of_members_without_end_is_read_for_a_hundred_pages_at_most(client, db, runner, registered, platform,
                                                                          course):
    platform.members = MEMBERS[1:2]
    launch_as_instructor(client, platform)
    context = db.scalar(select(Context))
    platform.members_without_end = True
    platform.member_pages = 0
    failed = runner.invoke(args=["lti", "enrol-members", str(context.id)])
    assert failed.exit_code == 1 and "past 100 pages" in failed.output
    assert platform.member_pages == 100
    assert people(db, context.cohort)[0] == set()


def test_an_answer_larger_than_five_megabytes_is_not_read(client, db, runner, registered, platform, course):
    launch_as_instructor(client, platform)
    context = db.scalar(select(Context))
    platform.members = [{"user_id": f"u{n}", "name": "x" * 1000, "roles": [LEARNER]} for n in range(6000)]
    failed = runner.invoke(args=["lti", "enrol-members", str(context.id)])
    assert failed.exit_code == 1 and "more than 5 MB" in failed.output
    assert people(db, context.cohort)[0] == set()
