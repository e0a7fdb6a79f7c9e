"""`make demo PORT=…` prints, records and serves one address: the one it serves on."""

from __future__ import annotations

import json
import os
import shlex
import subprocess

import pytest
from sqlalchemy import select

from conftest import ROOT
from lms import create_app
from lms.models import Base as LmsBase
from xapi.models import Base as XapiBase, StatementRecord


def make_demo(*variables: str, environ: dict[str, str] | None = None) -> dict[str, tuple[dict[str, str], list[str]]]:
    """The commands ``make demo`` runs (printed by ``make --dry-run``, not run): name -> (environment, arguments)."""
    env = {name: value for name, value in os.environ.items() if name not in ("PASSERELLE_PUBLIC_URL", "HOST", "PORT")}
    recipe = subprocess.run(["make", "--dry-run", "demo", *variables], cwd=ROOT, env=env | (environ or {}),
                            capture_output=True, text=True, check=True).stdout
    commands = {}
    for line in recipe.splitlines():
        words = shlex.split(line)
        assignments = dict(word.split("=", 1) for word in words if "=" in word.split("/")[0])
        arguments = words[len(assignments):]
        if arguments and arguments[0].endswith("/passerelle") and arguments[1] in ("demo", "run"):
            commands[arguments[1]] = (assignments, arguments[2:])
    assert set(commands) == {"demo", "run"}, recipe
    return commands


def test_make_demo_gives_the_address_it_serves_on_to_the_demo_and_the_server():
    commands = make_demo("PORT=5201")
    assert commands["run"][1] == ["--host", "127.0.0.1", "--port", "5201"]
    for environment, _ in commands.values():
        assert environment["PASSERELLE_PUBLIC_URL"] == "http://127.0.0.1:5201/"
    commands = make_demo("HOST=192.0.2.7", "PORT=8080")
    assert commands["run"][1] == ["--host", "192.0.2.7", "--port", "8080"]
    assert {env["PASSERELLE_PUBLIC_URL"] for env, _ in commands.values()} == {"http://192.0.2.7:8080/"}


def test_an_address_set_by_hand_wins_as_behind_a_proxy():
    commands = make_demo("PORT=5201", environ={"PASSERELLE_PUBLIC_URL": "https://demo.example.org/lms/"})
    assert {env["PASSERELLE_PUBLIC_URL"] for env, _ in commands.values()} == {"https://demo.example.org/lms/"}


@pytest.fixture
def demo_app(database_url, tmp_path, monkeypatch):
    """Make apps as ``passerelle`` does, from the environment (here, one ``make demo`` command's)."""
    made = []

    def make(environment: dict[str, str]):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                          "INSTANCE_PATH": str(tmp_path / "instance")})
        made.append(app)
        return app

    yield make
    engine = made[0].extensions["db.engine"]
    with engine.begin() as connection:
        for metadata in (XapiBase.metadata, LmsBase.metadata):
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    for app in made:
        app.extensions["db.engine"].dispose()


def home_pages(value) -> set[str]:
    """Every account homePage in a statement: its actor's, authority's, instructors', members'."""
    if isinstance(value, dict):
        found = {value["homePage"]} if isinstance(value.get("homePage"), str) else set()
        return found.union(*(home_pages(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(home_pages(v) for v in value))
    return set()


def test_the_demo_prints_and_records_its_learners_at_the_port_it_is_served_on(demo_app, tmp_path):
    environment, _ = make_demo("PORT=5201")["demo"]
    app = demo_app(environment)
    result = app.test_cli_runner().invoke(args=["demo", "-o", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "Passerelle is ready at http://127.0.0.1:5201/\n" in result.output
    assert "certificate: http://127.0.0.1:5201/certificates/verify/" in result.output
    assert "127.0.0.1:5000" not in result.output
    with app.app_context():
        engine = app.extensions["db.engine"]
        with engine.connect() as connection:
            statements = [json.loads(data) for data in connection.scalars(select(StatementRecord.data))]
    assert len(statements) > 1000
    actors = {s["actor"]["account"]["homePage"] for s in statements if "account" in s["actor"]}
    assert actors == {"http://127.0.0.1:5201/"}
    assert home_pages(statements) == {"http://127.0.0.1:5201/"}
    assert not [s for s in statements if "127.0.0.1:5000" in json.dumps(s)]

    # Served at another port, the demo's learners would not find their learning: it says so and changes nothing.
    moved = demo_app(make_demo("PORT=5202")["demo"][0])
    refused = moved.test_cli_runner().invoke(args=["demo", "-o", str(tmp_path / "dist")])
    assert refused.exit_code == 1
    assert "recorded at http://127.0.0.1:5201/, not at http://127.0.0.1:5202/" in refused.output
    assert "built" not in refused.output and "Passerelle is ready" not in refused.output
