"""Passerelle mounted in another Flask application: the host's users study, and their statements are theirs."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, redirect, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from lms import Passerelle
from lms.accounts import services as accounts
from lms.db import MIGRATIONS, get_db, make_engine, migrate
from lms.integration.identities import HOST, ExternalIdentity, issuer_key
from lms.models import Base as LmsBase
from lms.models import User
from xapi.models import Base as XapiBase
from xapi.store import StatementQuery, query_statements

PUBLIC_URL = "https://intranet.example.test/learning/"
COURSE = "/learning/courses/crisis-management"
MODULE = f"{COURSE}/modules/consular-crisis-response"
MODULE_IRI = "https://courses.passerelle.example/crisis-management/modules/consular-crisis-response"
XAPI = {"X-Experience-API-Version": "1.0.3"}
# Option indexes of the right answers in the sample module's quiz.
RIGHT = {"q-crisis-lead": ["1"], "q-registration-value": ["0", "1"], "q-registration-compulsory": ["1"],
         "q-check-messages": "2", "q-wardens": " Wardens ", "q-confirm-death": ["1"], "q-plan-testing": ["1"]}


class Official(UserMixin):
    """A user of the host application: its own class, its own ids."""

    def __init__(self, id: str, username: str, name: str, email: str, country: str) -> None:
        self.id, self.username, self.name, self.email, self.country = id, username, name, email, country


PEOPLE = {official.id: official for official in (
    Official("7", "adiallo", "Aminata Diallo", "a.diallo@mfa.example.sn", "SN"),
    Official("8", "kmensah", "Kofi Mensah", "k.mensah@mfa.example.gh", "GH"),
    Official("9", "guest", "A Guest", "guest@example.org", "FR"),
)}
#: The host's users that its user_loader does not hand to Passerelle.
NOT_LEARNERS = {"9"}


def host_app(database_url: str, instance, prefix: str = "/learning", public_url: str = PUBLIC_URL,
             settings: dict | None = None, **options) -> Flask:
    """An intranet with its own users and log-in (Flask-Login), and Passerelle mounted at ``prefix``."""
    host = Flask("intranet")
    host.config.update(SECRET_KEY="intranet-secret", TESTING=True)
    manager = LoginManager(host)
    manager.user_loader(PEOPLE.get)

    @host.get("/login")
    def login_page():
        return ('<!doctype html><title>Intranet</title><form method="post">'
                '<input name="id" aria-label="Your id"><button>Log in to the intranet</button></form>')

    @host.post("/login")
    def login():
        login_user(PEOPLE[request.form["id"]])
        return redirect(request.args.get("next") or "/")

    @host.post("/logout")
    def logout():
        logout_user()
        return redirect("/")

    @host.get("/")
    def home():
        return f"intranet: {current_user.name if current_user.is_authenticated else 'nobody'}"

    def signed_in():
        return None if current_user.get_id() in NOT_LEARNERS else current_user

    options.setdefault("login_url", "login_page")
    options.setdefault("user_profile", lambda official: {"username": official.username, "display_name": official.name,
                                                         "email": official.email, "country": official.country})
    Passerelle(host, url_prefix=prefix, user_loader=signed_in,
               config={"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": f"passerelle-secret-{prefix}", "PUBLIC_URL": public_url, **(settings or {})},
               **options)
    return host


def lms_of(host: Flask) -> Flask:
    return host.extensions["passerelle"].lms


def empty(lms: Flask) -> None:
    """Delete every row Passerelle stored, and let its database go."""
    engine = lms.extensions["db.engine"]
    with engine.begin() as connection:
        for metadata in (XapiBase.metadata, LmsBase.metadata):
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def host(database_url, tmp_path, sample_package):
    """The intranet, with the sample course imported into its Passerelle by the host's own command line."""
    host = host_app(database_url, tmp_path / "instance")
    result = host.test_cli_runner().invoke(args=["passerelle", "import", str(sample_package)])
    assert result.exit_code == 0, result.output
    yield host
    empty(lms_of(host))


@pytest.fixture
def client(host):
    return host.test_client()


def sign_in(client, person: str) -> None:
    """Log in at the host, as its own log-in form does."""
    assert client.post("/login", data={"id": person}).status_code == 302


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match[1]


def enrol(client) -> None:
    answer = client.post(f"{COURSE}/enrol", data={"csrf_token": csrf_token(client, f"{COURSE}/")})
    assert answer.status_code == 302 and answer.headers["Location"] == f"{COURSE}/"


def launch(client) -> dict[str, str]:
    response = client.get(f"{MODULE}/launch")
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == f"{MODULE}/"
    return {name: values[0] for name, values in parse_qs(target.query).items()}


def account_of(lms: Flask, person: str) -> User | None:
    """The Passerelle account mapped from the host's user ``person``."""
    with lms.app_context():
        return get_db().scalar(select(User).join(ExternalIdentity, ExternalIdentity.user_id == User.id)
                               .where(ExternalIdentity.issuer == issuer_key(HOST, lms.config["PUBLIC_URL"]),
                                      ExternalIdentity.subject == person))


def test_a_host_user_studies_a_module_and_the_statements_name_their_account(host, client):
    sign_in(client, "7")
    catalogue = client.get("/learning/courses/")
    assert catalogue.status_code == 200
    page = catalogue.get_data(as_text=True)
    assert f'href="{COURSE}/"' in page and "Log out Aminata Diallo" in page
    enrol(client)
    assert f'href="{MODULE}/launch"' in client.get(f"{COURSE}/").get_data(as_text=True)

    params = launch(client)
    account = account_of(lms_of(host), "7")
    assert (account.username, account.display_name, account.email, account.country) == \
        ("adiallo", "Aminata Diallo", "a.diallo@mfa.example.sn", "SN")
    # cmi5's launch parameters point under the prefix, and the actor is the account at Passerelle's address.
    assert params["endpoint"] == "http://localhost/learning/xapi/"
    assert params["fetch"].startswith(f"http://localhost{MODULE}/launch/")
    agent = {"homePage": PUBLIC_URL, "name": account.actor_id}
    assert json.loads(params["actor"])["account"] == agent
    fetch = urlsplit(params["fetch"])
    token = client.post(f"{fetch.path}?{fetch.query}").get_json()["auth-token"]
    state = client.get("/learning/xapi/activities/state", headers={**XAPI, "Authorization": token},
                       query_string={"activityId": MODULE_IRI, "agent": params["actor"],
                                     "registration": params["registration"], "stateId": "LMS.LaunchData"})
    assert state.get_json()["returnURL"] == f"http://localhost{COURSE}/"

    quiz = client.post(f"{MODULE}/quiz", data={"csrf_token": csrf_token(client, f"{MODULE}/quiz"), **RIGHT})
    assert quiz.status_code == 200
    # The player's script sends each page's statements with the launch's key.
    module = client.get(f"{MODULE}/").get_data(as_text=True)
    pages = re.findall(rf'href="{MODULE}/pages/([^"?]+)"', module)
    assert pages
    for page_id in dict.fromkeys(pages):
        html = client.get(f"{MODULE}/pages/{page_id}").get_data(as_text=True)
        data = json.loads(html.split('<script type="application/json" id="xapi">')[1].split("</script>")[0])
        assert data["endpoint"] == "/learning/xapi/"
        made = [dict(s, id=str(uuid.uuid4())) for s in data["statements"]]  # as the script stamps them
        sent = client.post(data["endpoint"] + "statements", json=made, headers={**XAPI, "Authorization": token})
        assert sent.status_code == 200
    assert "You have completed this module." in client.get(f"{MODULE}/").get_data(as_text=True)

    with lms_of(host).app_context():
        stored, _ = query_statements(get_db(), StatementQuery(registration=params["registration"], limit=0))
    verbs = {statement["verb"]["id"].rsplit("/", 1)[1] for statement in stored}
    assert {"launched", "experienced", "passed", "completed"} <= verbs
    assert {json.dumps(statement["actor"]["account"], sort_keys=True) for statement in stored} == \
        {json.dumps(agent, sort_keys=True)}
    # The host's own session is untouched by Passerelle's.
    assert client.get("/").get_data(as_text=True) == "intranet: Aminata Diallo"


def test_passerelle_keeps_its_cookies_to_itself(host, client):
    sign_in(client, "7")
    host_cookie = client.get_cookie("session")
    page = client.get(f"{COURSE}/?lang=fr")
    cookies = page.headers.getlist("Set-Cookie")
    assert cookies and all("Path=/learning" in cookie for cookie in cookies)
    assert not any(cookie.startswith(("session=", "remember_token=")) for cookie in cookies)
    assert client.get_cookie("passerelle_session", path="/learning") is not None
    assert client.get_cookie("lang", path="/learning/").value == "fr"
    assert client.get_cookie("session").value == host_cookie.value


def test_static_files_and_the_service_worker_are_served_under_the_prefix(host, client):
    sign_in(client, "7")
    enrol(client)
    page = client.get(f"{MODULE}/").get_data(as_text=True)
    offline = json.loads(page.split('<script type="application/json" id="xapi">')[1].split("</script>")[0])["offline"]
    assert (offline["worker"], offline["scope"]) == ("/learning/sw.js", "/learning/courses/")
    assert offline["urls"] and all(url.startswith("/learning/") for url in offline["urls"])
    style = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]
    assert style.startswith("/learning/static/style.css?v=") and client.get(style).status_code == 200
    worker = client.get(offline["worker"])
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    # The worker leaves the LRS beside it to the network, wherever it is mounted.
    assert 'ROOT + "/xapi/"' in worker.get_data(as_text=True)
    for url in offline["urls"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/sw.js").status_code == 404  # the host's own addresses stay the host's


def test_logging_out_and_in_at_the_host_is_followed(host, client):
    sign_in(client, "7")
    assert "Log out Aminata Diallo" in client.get("/learning/courses/").get_data(as_text=True)
    client.post("/logout")
    gone = client.get("/learning/courses/")
    assert gone.status_code == 302 and gone.headers["Location"] == "/login?next=%2Flearning%2Fcourses%2F"
    sign_in(client, "8")
    assert "Log out Kofi Mensah" in client.get("/learning/courses/").get_data(as_text=True)
    assert account_of(lms_of(host), "8").actor_id != account_of(lms_of(host), "7").actor_id
    # Passerelle's log-out button leaves the host's session to the host: back to the catalogue, still signed in.
    out = client.post("/learning/auth/logout", data={"csrf_token": csrf_token(client, "/learning/courses/")})
    assert out.status_code == 303 and out.headers["Location"] == "/learning/courses/"
    assert client.get("/").get_data(as_text=True) == "intranet: Kofi Mensah"


def test_a_visitor_not_signed_in_at_the_host_is_sent_to_its_log_in_page_and_back(host, client):
    asked = client.get(f"{COURSE}/")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/login?next=%2Flearning%2Fcourses%2Fcrisis-management%2F"
    assert client.get("/learning/").headers["Location"] == "/learning/auth/login"
    own = client.get("/learning/auth/login?next=/learning/courses/")
    assert own.status_code == 302 and own.headers["Location"] == "/login?next=%2Flearning%2Fcourses%2F"
    signed_in = client.post(urlsplit(asked.headers["Location"]).path + "?" + urlsplit(asked.headers["Location"]).query,
                            data={"id": "7"})
    assert signed_in.headers["Location"] == f"{COURSE}/"
    assert client.get(f"{COURSE}/").status_code == 200
    assert account_of(lms_of(host), "9") is None


def test_a_host_user_the_loader_does_not_give_is_not_signed_in(host, client):
    sign_in(client, "9")
    assert client.get("/").get_data(as_text=True) == "intranet: A Guest"
    answer = client.get("/learning/courses/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?")
    assert client.get("/learning/xapi/statements", headers=XAPI).status_code == 401
    assert account_of(lms_of(host), "9") is None


def test_an_account_deactivated_in_passerelle_is_refused_though_signed_in_at_the_host(host, client):
    sign_in(client, "7")
    assert client.get("/learning/courses/").status_code == 200
    with lms_of(host).app_context():
        account = get_db().get(User, account_of(lms_of(host), "7").id)
        account.active = False
        get_db().commit()
    refused = client.get("/learning/courses/")
    assert refused.status_code == 403 and "This account is deactivated" in refused.get_data(as_text=True)


@pytest.fixture
def other_database(tmp_path):
    """A second database of Passerelle's, of its own (SQLite)."""
    url = f"sqlite:///{tmp_path / 'academy.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def test_two_hosts_in_one_process_keep_their_users_and_settings_apart(host, client, tmp_path, other_database):
    other = host_app(other_database, tmp_path / "academy", prefix="/academy",
                     public_url="https://academy.example.test/academy/", login_url=None)
    try:
        lms, academy = lms_of(host), lms_of(other)
        assert lms is not academy and lms.login_manager is not academy.login_manager
        visitor = other.test_client()
        sign_in(client, "7")
        sign_in(visitor, "8")
        assert "Log out Aminata Diallo" in client.get("/learning/courses/").get_data(as_text=True)
        assert "Log out Kofi Mensah" in visitor.get("/academy/courses/").get_data(as_text=True)
        assert account_of(lms, "7") is not None and account_of(lms, "8") is None
        assert account_of(academy, "8") is not None and account_of(academy, "7") is None
        # Each sends visitors to its own log-in page, at its own prefix.
        assert client.get("/academy/courses/").status_code == 404  # the intranet has no /academy
        assert other.test_client().get("/academy/courses/").headers["Location"] == \
            "/academy/auth/login?next=%2Facademy%2Fcourses%2F"
        assert lms.config["PUBLIC_URL"] == PUBLIC_URL and academy.config["PUBLIC_URL"] == \
            "https://academy.example.test/academy/"
        # A form of one is no form of the other: each signs with its own key.
        token = csrf_token(client, "/learning/courses/")
        assert visitor.post("/academy/auth/logout", data={"csrf_token": token}).status_code == 400
        # The academy's catalogue is its own: nothing imported there.
        assert 'href="/academy/courses/crisis-management/"' not in \
            visitor.get("/academy/courses/").get_data(as_text=True)
    finally:
        empty(lms_of(other))


def test_passerelle_s_own_accounts_log_in_on_its_page_when_the_host_names_no_log_in_page(
        database_url, tmp_path, sample_package):
    host = host_app(database_url, tmp_path / "instance", login_url=None)
    try:
        result = host.test_cli_runner().invoke(args=["passerelle", "users", "create", "registrar", "--role", "admin",
                                                     "--password", "registrar-secret-pw"])
        assert result.exit_code == 0, result.output
        client = host.test_client()
        asked = client.get("/learning/courses/")
        assert asked.headers["Location"] == "/learning/auth/login?next=%2Flearning%2Fcourses%2F"
        token = csrf_token(client, "/learning/auth/login")
        logged_in = client.post("/learning/auth/login?next=/learning/courses/",
                                data={"username": "registrar", "password": "registrar-secret-pw",
                                      "csrf_token": token})
        assert logged_in.headers["Location"] == "/learning/courses/"
        assert "Log out registrar" in client.get("/learning/courses/").get_data(as_text=True)
        # Signed in at the host, the host's user is the one who studies.
        sign_in(client, "8")
        assert "Log out Kofi Mensah" in client.get("/learning/courses/").get_data(as_text=True)
    finally:
        empty(lms_of(host))


def test_failed_log_ins_at_one_host_do_not_count_at_another(database_url, tmp_path, other_database):
    """Each Passerelle counts the failed log-ins of its own accounts, though Flask-Limiter has one store."""
    limit = {"LOGIN_LIMIT_ACCOUNT": "2 per 15 minutes"}
    hosts = [host_app(database_url, tmp_path / "one", settings=limit, login_url=None),
             host_app(other_database, tmp_path / "two", prefix="/academy", public_url="https://academy.example.test/",
                      settings=limit, login_url=None)]
    try:
        for host in hosts:
            result = host.test_cli_runner().invoke(args=["passerelle", "users", "create", "registrar",
                                                         "--password", "registrar-secret-pw"])
            assert result.exit_code == 0, result.output

        def log_in(host, prefix: str, password: str) -> int:
            client = host.test_client()
            token = csrf_token(client, f"{prefix}/auth/login")
            return client.post(f"{prefix}/auth/login", data={"username": "registrar", "password": password,
                                                             "csrf_token": token}).status_code

        assert [log_in(hosts[0], "/learning", "wrong-password") for _ in range(3)] == [401, 401, 429]
        assert log_in(hosts[0], "/learning", "registrar-secret-pw") == 429
        assert log_in(hosts[1], "/academy", "registrar-secret-pw") == 302
    finally:
        for host in hosts:
            empty(lms_of(host))


def test_an_account_of_the_host_s_signs_in_only_through_the_host(database_url, tmp_path):
    """A host user's account given a password here (a link to set one, say) is not signed in by it once the
    host says they left: the host decides who its users are."""
    host = host_app(database_url, tmp_path / "instance", login_url=None)
    try:
        client = host.test_client()
        sign_in(client, "7")
        assert client.get("/learning/courses/").status_code == 200
        with lms_of(host).app_context():
            accounts.set_password(get_db(), get_db().get(User, account_of(lms_of(host), "7").id), "aminata-own-pw-2026")
            get_db().commit()
        client.post("/logout")
        token = csrf_token(client, "/learning/auth/login")
        assert client.post("/learning/auth/login", data={"username": "adiallo", "password": "aminata-own-pw-2026",
                                                         "csrf_token": token}).status_code == 302
        assert client.get("/learning/courses/").headers["Location"].startswith("/learning/auth/login")
    finally:
        empty(lms_of(host))


def test_a_host_with_a_plain_session_and_no_profile_gives_its_ids(database_url, tmp_path):
    """A host without Flask-Login: its loader gives the id kept in its own session, and nothing else."""
    host = Flask("plain")
    host.config.update(SECRET_KEY="plain-secret", TESTING=True)

    @host.post("/enter")
    def enter():
        session["official"] = request.form["id"]
        return "entered"

    Passerelle(host, url_prefix="/learning", user_loader=lambda: session.get("official"),
               config={"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "plain"),
                       "SECRET_KEY": "plain-passerelle", "PUBLIC_URL": PUBLIC_URL})
    try:
        client = host.test_client()
        assert client.get("/learning/courses/").headers["Location"] == \
            "/learning/auth/login?next=%2Flearning%2Fcourses%2F"  # no log-in page of the host's: Passerelle's
        client.post("/enter", data={"id": "A-1042"})
        assert "Log out A-1042" in client.get("/learning/courses/").get_data(as_text=True)
        account = account_of(lms_of(host), "A-1042")
        assert (account.username, account.display_name, account.role) == ("A-1042", "A-1042", "learner")
    finally:
        empty(lms_of(host))


@pytest.mark.parametrize(("role", "expected"), [("trainer", "trainer"), ("Instructor", "learner")])
def test_a_role_the_host_gives_is_the_new_account_s_when_passerelle_has_it(database_url, tmp_path, role, expected):
    host = host_app(database_url, tmp_path / "instance",
                    user_profile=lambda official: {"display_name": official.name, "role": role,
                                                   "country": "Senegal", "timezone": "Africa/Dakar"})
    try:
        client = host.test_client()
        sign_in(client, "7")
        assert client.get("/learning/courses/").status_code == 200  # values not valid here are left out
        account = account_of(lms_of(host), "7")
        assert (account.role, account.country, account.timezone) == (expected, "", "Africa/Dakar")
    finally:
        empty(lms_of(host))


def test_passerelle_shares_the_host_s_database_beside_the_host_s_own_tables_and_migrations(tmp_path):
    """In the host's database (kept by the host's own Alembic migrations), 'flask passerelle init-db' adds
    Passerelle's tables and keeps its revision apart, and the host's tables and revision are left as they were."""
    url = f"sqlite:///{tmp_path / 'intranet.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('intranet_0003')"))
        connection.execute(text("CREATE TABLE intranet_official (id INTEGER PRIMARY KEY, name TEXT)"))
        connection.execute(text("INSERT INTO intranet_official VALUES (7, 'Aminata Diallo')"))
    host = host_app(url, tmp_path / "instance")
    try:
        for _ in range(2):  # safe to run again
            result = host.test_cli_runner().invoke(args=["passerelle", "init-db"])
            assert result.exit_code == 0 and f"database ready: {url}" in result.output, result.output
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [("intranet_0003",)]
            assert connection.execute(text("SELECT version_num FROM passerelle_alembic_version")).all() == [(head,)]
            assert connection.execute(text("SELECT name FROM intranet_official")).all() == [("Aminata Diallo",)]
        client = host.test_client()
        sign_in(client, "7")
        assert client.get("/learning/courses/").status_code == 200
        assert account_of(lms_of(host), "7").display_name == "Aminata Diallo"
    finally:
        lms_of(host).extensions["db.engine"].dispose()
        engine.dispose()


@pytest.mark.parametrize(("options", "message"), [
    ({"url_prefix": "/"}, "url_prefix"),
    ({"url_prefix": "/learning", "config": {}}, "PUBLIC_URL"),
])
def test_a_mount_without_a_prefix_or_an_address_is_refused(options, message):
    with pytest.raises(ValueError, match=message):
        Passerelle(**{"user_loader": lambda: None, "config": {"PUBLIC_URL": PUBLIC_URL}, **options})
