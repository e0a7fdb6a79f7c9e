"""Erasing an account: an admin (web or CLI) deletes the person and every record about them in one transaction,
leaving only a line in the erasure log; a dump of the whole database then finds nothing of them."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from conftest import csrf_token
from lms.certificates.models import Certificate
from lms.cohorts.models import Attendance
from lms.models import Enrolment, Launch, User
from lms.privacy import services
from lms.privacy.models import Erasure
from privacy_fixtures import (  # noqa: F401 (fixtures)
    SHARED, dump_database, forwarding, found_in, lrs_key, ottilie, programme, zoltan)
from xapi.models import Attachment, Credential, Document, OutboxEntry, StatementAgent, StatementRecord
from xapi.store import agent_key


def erase_page(user) -> str:
    return f"/admin/accounts/{user.id}/erase"


def post_erase(client, user, confirm: str):
    return client.post(erase_page(user), data={"csrf_token": csrf_token(client, erase_page(user)),
                                               "confirm": confirm})


def count(db, stmt) -> int:
    return db.scalar(select(func.count()).select_from(stmt.subquery()))


def test_a_dump_of_the_database_finds_nothing_of_an_erased_learner(app, client, db, auth, zoltan, ottilie):
    # Before: the dump holds both learners, so the search below can find what it looks for.
    before = dump_database(app)
    for person in (zoltan, ottilie):
        assert all(found_in(before, trace) for trace in person.traces())
        assert found_in(before, person.essay.decode())
    key = agent_key(zoltan.agent)
    assert count(db, select(OutboxEntry.id).join(StatementRecord, StatementRecord.seq == OutboxEntry.statement_seq)
                 .where(StatementRecord.actor_key == key)) >= 1  # queued for the external LRS
    assert count(db, select(Credential.id).where(Credential.agent.is_not(None))) == 2  # both learners' launch keys

    auth.login("admin")
    page = client.get(erase_page(zoltan.user)).get_data(as_text=True)
    assert "Zoltan Quibblewick" in page and "zoltan.quibble" in page
    assert "not erased from it" in page  # forwarding is on: the external LRS keeps what it already has
    response = post_erase(client, zoltan.user, "zoltan.quibble")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/erasures")
    log = client.get("/admin/erasures").get_data(as_text=True)
    assert f"<td>{zoltan.user.id}</td><td>admin</td>" in log

    after = dump_database(app)
    for trace in zoltan.traces() + [zoltan.essay.decode(), hashlib.sha256(zoltan.essay).hexdigest()]:
        assert not found_in(after, trace), trace
    # The other learner of the same cohort keeps everything, the attachment both carried included.
    for trace in ottilie.traces() + [ottilie.essay.decode(), SHARED.decode()]:
        assert found_in(after, trace), trace
    db.expire_all()
    assert db.scalar(select(Attachment.sha2).where(Attachment.sha2 == hashlib.sha256(SHARED).hexdigest()))
    other = agent_key(ottilie.agent)
    assert count(db, select(StatementRecord.seq).where(StatementRecord.actor_key == other)) >= 5
    assert count(db, select(Document.id).where(Document.agent_key == other)) == 3  # launch data, bookmark, profile
    assert count(db, select(Attendance.id)) == 1 and count(db, select(Certificate.id)) == 1
    assert count(db, select(Credential.id).where(Credential.agent.is_not(None))) == 1
    assert count(db, select(OutboxEntry.id)) >= 1
    assert [(e.account, e.erased_by) for e in db.scalars(select(Erasure))] == [(zoltan.user.id, "admin")]


def test_the_erased_learner_can_no_longer_log_in_and_the_cohort_lists_only_the_other(app, client, db, zoltan,
                                                                                      ottilie, programme, users):
    erased = services.erase(db, zoltan.user, users["admin"], app.config["PUBLIC_URL"])
    db.commit()
    assert erased.enrolments == 1 and erased.attendance == 1 and erased.certificates == 1 and erased.launches == 1
    assert erased.records.statements >= 5 and erased.records.documents == 3 and erased.records.credentials == 1
    assert erased.records.attachments == 1 and erased.records.outbox >= 1
    response = client.post("/auth/login", data={"username": "zoltan.quibble", "password": "a-long-enough-pass",
                                                "csrf_token": csrf_token(client, "/auth/login")})
    assert response.status_code == 401
    db.expire_all()
    assert [e.user.username for e in db.scalars(select(Enrolment))] == ["ottilie.marchbank"]
    assert count(db, select(Launch.id)) == 1
    assert count(db, select(StatementAgent.id).where(StatementAgent.agent_key == agent_key(zoltan.agent))) == 0


def test_only_an_admin_erases_and_only_with_the_username_typed(client, db, auth, users):
    learner = users["learner"]
    auth.login("trainer")
    assert client.get(erase_page(learner)).status_code == 403
    token = csrf_token(client, "/courses/")
    assert client.post(erase_page(learner), data={"confirm": "learner", "csrf_token": token}).status_code == 403
    assert client.get("/admin/erasures").status_code == 403
    auth.logout()

    auth.login("admin")
    wrong = post_erase(client, learner, "Learner")
    assert wrong.status_code == 400
    assert "Type the username learner exactly" in wrong.get_data(as_text=True)
    no_token = client.post(erase_page(learner), data={"confirm": "learner"})
    assert no_token.status_code == 400
    assert client.get("/admin/accounts/999999/erase").status_code == 404
    db.expire_all()
    assert db.get(User, learner.id) is not None and count(db, select(Erasure.id)) == 0


def test_an_admin_cannot_erase_their_own_account(client, db, auth, users):
    auth.login("admin")
    page = client.get(erase_page(users["admin"])).get_data(as_text=True)
    assert "You cannot erase your own account." in page and 'name="confirm"' not in page
    response = post_erase(client, users["admin"], "admin")
    assert response.status_code == 400
    assert "You cannot erase your own account." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, users["admin"].id) is not None


def test_the_last_active_admin_is_never_erased(app, db, users):
    from lms.accounts import services as accounts

    stand_in = accounts.create_user(db, "admin2", "another-long-pass", "admin", display_name="Second admin")
    stand_in.active = False
    db.flush()
    try:
        services.check_erasable(db, users["admin"], stand_in, app.config["PUBLIC_URL"])
    except services.ErasureRefused as exc:
        assert "last active administrator" in str(exc)
    else:
        raise AssertionError("the last active administrator was erasable")
    stand_in.active = True
    services.check_erasable(db, users["admin"], stand_in, app.config["PUBLIC_URL"])  # now there is another


def test_a_trainer_who_marked_others_attendance_is_refused_and_keeps_their_records(client, db, auth, users, zoltan):
    auth.login("admin")
    page = client.get(erase_page(users["trainer"])).get_data(as_text=True)
    assert "attendance records" in page and 'name="confirm"' not in page
    response = post_erase(client, users["trainer"], "trainer")
    assert response.status_code == 400 and "Deactivate the account instead" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, users["trainer"].id) is not None and count(db, select(Attendance.id)) == 1


def test_a_trainer_who_marked_nothing_is_erased_and_leaves_their_cohorts(client, db, auth, users, programme):
    cohort, live = programme
    assert live.facilitators == [users["trainer"]]
    auth.login("admin")
    assert post_erase(client, users["trainer"], "trainer").status_code == 302
    db.expire_all()
    assert cohort.trainers == [] and live.facilitators == [] and db.get(User, users["trainer"].id) is None


def test_the_cli_erases_an_account_after_asking(runner, db, users, enrolled):
    learner_id = users["learner"].id
    kept = runner.invoke(args=["accounts", "erase", "learner", "--by", "admin"], input="n\n")
    assert kept.exit_code == 1 and "Aborted" in kept.output
    db.expire_all()
    assert db.get(User, learner_id) is not None
    done = runner.invoke(args=["accounts", "erase", "learner", "--by", "admin"], input="y\n")
    assert done.exit_code == 0, done.output
    assert f"erased account {learner_id}: 1 enrolments" in done.output
    db.expire_all()
    assert db.get(User, learner_id) is None
    assert [(e.account, e.erased_by) for e in db.scalars(select(Erasure))] == [(learner_id, "admin")]


def test_the_cli_refuses_with_a_sentence(runner, db, users):
    for args, message in ((["nobody", "--by", "admin"], "there is no account 'nobody'"),
                          (["learner", "--by", "trainer"], "'trainer' is not an active administrator's username"),
                          (["admin", "--by", "admin"], "You cannot erase your own account.")):
        result = runner.invoke(args=["accounts", "erase", *args, "--yes"])
        assert result.exit_code == 1 and message in result.output, result.output
        assert "Traceback" not in result.output
    assert count(db, select(Erasure.id)) == 0


def test_an_account_erased_twice_is_logged_once(app, db, users, enrolled):
    learner = users["learner"]
    services.erase(db, learner, users["admin"], app.config["PUBLIC_URL"])
    db.commit()
    try:
        services.erase(db, learner, users["admin"], app.config["PUBLIC_URL"])  # a second admin, a moment later
    except services.ErasureRefused as exc:
        assert str(exc) == "This account is already erased."
        db.rollback()
    else:
        raise AssertionError("the account was erased twice")
    assert [e.account for e in db.scalars(select(Erasure))] == [learner.id]
