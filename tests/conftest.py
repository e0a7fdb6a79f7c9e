"""Shared fixtures: an app on a real database (SQLite, and PostgreSQL when
``TEST_DATABASE_URL`` is set), a test client, a CLI runner, the sample course
built and imported through the same services the app uses."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, make_url, text
from werkzeug.serving import WSGIRequestHandler, make_server

from authoring.build import build_course
from lms import create_app
from lms.accounts import services as accounts
from lms.config import sqlalchemy_url
from lms.db import make_engine, migrate
from lms.models import Base as LmsBase
from lms.services import catalog
from lrs_helpers import Lrs, make_key
from xapi.models import Base as XapiBase

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_COURSE = ROOT / "courses" / "crisis-management"
pytest_plugins = ["browser_support"]

PASSWORDS = {role: f"{role}-secret-pw" for role in ("admin", "trainer", "learner", "analyst")}
PUBLIC_URL = "https://lms.example.test/"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def worker_database(url: str) -> str:
    """The PostgreSQL database of this test process: ``url``'s, or, when the suite runs in several processes
    (pytest-xdist's workers), one beside it for each worker, made if missing, so that none empties another's
    tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated database of each backend, shared by the session and emptied after each test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'passerelle.db'}"
    else:
        url = worker_database(sqlalchemy_url(os.environ["TEST_DATABASE_URL"]))
    engine = make_engine(url)
    # Start from an empty schema: earlier runs may have left tables of another revision.
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "PUBLIC_URL": PUBLIC_URL,
    })
    yield app
    engine = app.extensions["db.engine"]
    with engine.begin() as connection:
        for metadata in (XapiBase.metadata, LmsBase.metadata):
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A database session inside an app context, for setting up data through services."""
    from lms.db import get_db

    with app.app_context():
        yield get_db()


@pytest.fixture(scope="session", autouse=True)
def passwords_hashed_once():
    """Each password is hashed, and each (hash, password) checked, once a session, with the real scrypt.

    scrypt takes about 0.1 s a call, on purpose: the suite makes the same
    four accounts and logs them in over a thousand times, which would spend
    minutes on it.  A hash made once is as valid the thousandth time.
    """
    made, checked = {}, {}
    real_make, real_check = accounts.generate_password_hash, accounts.check_password_hash

    def make(password: str) -> str:
        if password not in made:
            made[password] = real_make(password)
        return made[password]

    def check(password_hash: str, password: str) -> bool:
        if (password_hash, password) not in checked:
            checked[password_hash, password] = real_check(password_hash, password)
        return checked[password_hash, password]

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "generate_password_hash", make)
    patch.setattr(accounts, "check_password_hash", check)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def sample_package(tmp_path_factory) -> Path:
    """The sample course, built once per test session."""
    return build_course(SAMPLE_COURSE, tmp_path_factory.mktemp("dist")).path


@pytest.fixture
def users(db):
    """One account per role, created with the accounts service."""
    made = {role: accounts.create_user(db, role, password, role, display_name=f"Demo {role}",
                                       country="SN", institution="Ministry of Foreign Affairs")
            for role, password in PASSWORDS.items()}
    db.commit()
    return made


@pytest.fixture
def course(app, db, sample_package):
    """The sample course imported into the LMS."""
    with open(sample_package, "rb") as stream:
        version, _ = catalog.import_package(db, stream, app.config["PACKAGE_DIR"])
    db.commit()
    return version.course


@pytest.fixture
def enrolled(db, users, course):
    """The learner enrolled in the sample course."""
    enrolment = catalog.enrol(db, users["learner"], course)
    db.commit()
    return enrolment


#: The sample's modules that others name as prerequisites, up to migrants-in-crisis (see ``prerequisites_done``).
DONE_FIRST = ("consular-crisis-response", "registration-contingency", "families-and-media")


@pytest.fixture
def prerequisites_done(db, enrolled):
    """The learner has completed, as the LMS records it, the modules that the sample's later modules need first
    (:data:`DONE_FIRST`), so that registration-contingency, families-and-media and migrants-in-crisis open."""
    from lms.services import learning
    from xapi import statements as xs
    from xapi.store import store_statements

    course = enrolled.course.current.model
    learner = learning.enrolled_learner(enrolled, course.text_language, PUBLIC_URL)
    for slug in DONE_FIRST:
        statement = xs.build(learner.agent, "completed", learning.module_activity(course, course.module(slug)),
                             language=learner.language, registration=learner.registration)
        store_statements(db, [statement], learning.authority(PUBLIC_URL))
    db.commit()
    return enrolled


def csrf_token(client, url: str) -> str:
    """Return the CSRF token of the form on ``url``, as a browser would read it."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match[1]


def read_page(client, url: str):
    """Open a page as a browser without scripts does: the page, then its ``<noscript>`` image, which records it."""
    page = client.get(url)
    beacon = re.search(r'<noscript><img src="([^"]+)"', page.get_data(as_text=True))
    assert beacon, f"no page-view image on {url}"
    assert client.get(beacon[1]).status_code == 204
    return page


class AuthActions:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str, password: str | None = None):
        token = csrf_token(self.client, "/auth/login")
        return self.client.post("/auth/login", data={"username": username, "csrf_token": token,
                                                     "password": password or PASSWORDS[username]})

    def logout(self):
        token = csrf_token(self.client, "/courses/")
        return self.client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


class CuttableHandler(WSGIRequestHandler):
    """Answers nothing, and closes the connection, while the server's ``cut`` is set: the network is down.

    It also counts the requests being answered, so that the database is not emptied under one.
    """

    def run_wsgi(self):
        if self.server.cut:
            self.close_connection = True
            return
        with self.server.lock:
            self.server.answering += 1
        try:
            super().run_wsgi()
        finally:
            with self.server.lock:
                self.server.answering -= 1


@pytest.fixture
def http_server(app):
    """The app served over real HTTP on a free local port; set ``cut`` to take the network away."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=CuttableHandler)
    server.cut, server.answering, server.lock = False, 0, threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()
    deadline = time.monotonic() + 10  # a page's last requests (a browser sends some as it closes)
    while server.answering and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def live_server(http_server):
    """The address of the app served over real HTTP, for real clients."""
    return f"http://127.0.0.1:{http_server.server_port}"


@pytest.fixture
def key(app):
    """LRS credentials with every scope: (key, secret)."""
    return make_key(app, "all")


@pytest.fixture
def lrs(client, key):
    """The test client speaking xAPI with those credentials."""
    return Lrs(client, key)
