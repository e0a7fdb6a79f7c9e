"""Fixtures of the privacy tests (no conftest.py here: pytest would shadow the tests' own): two learners of one
cohort with every kind of record the platform keeps, under names that appear nowhere else."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import make_url

from conftest import PUBLIC_URL, csrf_token
from lms.accounts import services as accounts
from lms.certificates.details import Details
from lms.certificates.models import Certificate
from lms.cohorts import services as cohorts
from lms.models import Enrolment, User
from lms.services import launch, learning
from lms.sessions import services as sessions
from lrs_helpers import V, make_key, new_id

PASSWORD = "a-long-enough-pass"
MODULE = "/courses/crisis-management/modules/consular-crisis-response"
LIVE = "earthquake-tabletop"  # a live module of the sample course
#: The right answers of the sample quiz, one of them typed by the learner.
ANSWERS = {"q-crisis-lead": ["1"], "q-registration-value": ["0", "1"], "q-registration-compulsory": ["1"],
           "q-check-messages": "2", "q-wardens": "Wardens", "q-confirm-death": ["1"], "q-plan-testing": ["1"]}
SHARED = b"%PDF-1.4 the academy's shared handout"
TODAY = dt.date.today()


@dataclass
class Person:
    """A learner and what identifies them: the strings a dump of the database must (or must not) hold."""

    user: User
    username: str
    name: str
    email: str
    actor_id: str
    enrolment: Enrolment
    essay: bytes  # an attachment only their statement carries

    @property
    def agent(self) -> dict:
        return {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": self.actor_id}}

    def traces(self) -> list[str]:
        return [self.username, self.name, self.email, self.actor_id]


def agent_of(user: User) -> dict:
    return {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": user.actor_id}}


def make_learner(db, username: str, name: str, email: str) -> User:
    return accounts.create_user(db, username, PASSWORD, "learner", display_name=name, email=email, country="MD",
                                institution="Ministry of Foreign Affairs")


def log_in(client, username: str, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def log_out(client) -> None:
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/courses/")})


def multipart(statement: dict, parts: list[tuple[str, bytes]], boundary: str = "privacy-boundary") -> bytes:
    """A statements request carrying the bytes of its attachments."""
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode() + json.dumps(statement).encode()
           + b"\r\n"]
    for content_type, content in parts:
        out.append(f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
                   f"X-Experience-API-Hash: {hashlib.sha256(content).hexdigest()}\r\n\r\n".encode() + content
                   + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode()


def declared(content: bytes, content_type: str = "application/pdf") -> dict:
    return {"usageType": "https://academy.example.org/attachments/essay", "display": {"en-US": "Essay"},
            "contentType": content_type, "length": len(content), "sha2": hashlib.sha256(content).hexdigest()}


def post_with_attachments(client, key, agent: dict, contents: list[bytes]) -> str:
    """Store, through the LRS, a statement by ``agent`` carrying these attachments; return its id."""
    sid = new_id()
    statement = {"id": sid, "actor": agent, "verb": {"id": "http://adlnet.gov/expapi/verbs/shared"},
                 "object": {"objectType": "Activity", "id": "https://academy.example.org/essays/crisis"},
                 "attachments": [declared(content) for content in contents]}
    response = client.post("/xapi/statements", data=multipart(statement, [("application/pdf", c) for c in contents]),
                           headers=V | {"Content-Type": "multipart/mixed; boundary=privacy-boundary"}, auth=key)
    assert response.status_code == 200, response.get_json()
    return sid


def put_agent_profile(client, key, agent: dict, content: dict) -> None:
    response = client.put("/xapi/agents/profile", query_string={"agent": json.dumps(agent), "profileId": "nickname"},
                          json=content, headers=V, auth=key)
    assert response.status_code == 204, response.get_data(as_text=True)


def give_certificate(db, person_user: User, course, enrolment: Enrolment, code: str) -> Certificate:
    details = Details(code=code, learner=person_user.display_name, course=course.title, hours=12.0,
                      cohort="Chisinau autumn", cohort_start=TODAY - dt.timedelta(days=10),
                      cohort_end=TODAY + dt.timedelta(days=60), institution=person_user.institution,
                      academy="Diplomatic academy", language="en", completed=TODAY,
                      verify_url=f"{PUBLIC_URL}certificates/verify/{code}")
    certificate = Certificate(code=code, user=person_user, course=course, registration=enrolment.registration,
                              language="en", details=details)
    db.add(certificate)
    db.flush()
    return certificate


@pytest.fixture
def programme(app, db, users, course):
    """A cohort of the sample course trained by the trainer, with a live session that started two days ago."""
    cohort = cohorts.create_cohort(db, course, "Chisinau autumn", TODAY - dt.timedelta(days=10),
                                   TODAY + dt.timedelta(days=60), "Europe/Chisinau", "en", trainers=[users["trainer"]])
    start = dt.datetime.combine(TODAY - dt.timedelta(days=2), dt.time(10, 0))
    live = sessions.schedule(db, cohort, LIVE, start, place="Chisinau, room 4", facilitators=[users["trainer"]])
    db.commit()
    return cohort, live


def _person(app, client, db, users, course, programme, key, username: str, name: str, email: str,
            essay: bytes) -> Person:
    """A learner of the cohort with every kind of record: quiz answers through the player, a launch with its
    key and state, a bookmark, an agent profile, an attendance mark, a certificate, statements carrying
    attachments (one their own, one shared) queued for forwarding."""
    cohort, live = programme
    user = make_learner(db, username, name, email)
    enrolment = cohorts.enrol(db, cohort, user)
    db.commit()
    person = Person(user, username, name, email, user.actor_id, enrolment, essay)

    log_in(client, username)
    page = client.post(f"{MODULE}/quiz", data={"csrf_token": csrf_token(client, f"{MODULE}/quiz"), **ANSWERS})
    assert page.status_code == 200, page.get_data(as_text=True)
    log_out(client)

    edition = course.current.model
    module = edition.module("consular-crisis-response")
    learner = learning.enrolled_learner(enrolment, edition.text_language, PUBLIC_URL)
    started, secret = launch.start(db, learner, enrolment, edition, module, f"{PUBLIC_URL}m", f"{PUBLIC_URL}r")
    launch.fetch(db, started.id, secret, PUBLIC_URL, 30)
    launch.save_bookmark(db, learner, module, module.pages[0])
    sessions.mark(db, live, users["trainer"], {user.id: ("present", f"{name} came early")}, PUBLIC_URL)
    give_certificate(db, user, course, enrolment, f"CODE-{username.upper()}")
    db.commit()

    put_agent_profile(client, key, person.agent, {"nickname": name, "email": email})
    post_with_attachments(client, key, person.agent, [essay, SHARED])
    return person


@pytest.fixture
def forwarding(app):
    """Forwarding to an external LRS switched on (nothing listens there): statements the LRS stores are queued."""
    app.config["XAPI_FORWARD_URL"] = "http://127.0.0.1:9/xapi/"
    return app.config["XAPI_FORWARD_URL"]


@pytest.fixture
def lrs_key(app):
    return make_key(app, "all", name="Academy dashboard")


@pytest.fixture
def zoltan(app, client, db, users, course, programme, lrs_key, forwarding) -> Person:
    """The learner to erase."""
    return _person(app, client, db, users, course, programme, lrs_key, "zoltan.quibble", "Zoltan Quibblewick",
                   "zq-unique-7731@mail.example", b"essay of a learner called Zoltan Quibblewick")


@pytest.fixture
def ottilie(app, client, db, users, course, programme, lrs_key, forwarding) -> Person:
    """Another learner of the same cohort, whose records must stay."""
    return _person(app, client, db, users, course, programme, lrs_key, "ottilie.marchbank", "Ottilie Marchbank",
                   "om-unique-4417@mail.example", b"essay of a learner called Ottilie Marchbank")


def dump_database(app) -> str:
    """The whole database as text: SQLite's iterdump of the file, or pg_dump of the PostgreSQL database."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    command = ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
               url.database]
    environment = {"PGPASSWORD": url.password} if url.password else {}
    done = subprocess.run(command, capture_output=True, check=True, env={**os.environ, **environment})
    return done.stdout.decode("utf-8")


def found_in(dump: str, text: str) -> bool:
    """Whether ``text`` is in the dump as text, or as the hexadecimal of its bytes (how dumps write binary columns)."""
    return text in dump or text.encode().hex() in dump.lower()
