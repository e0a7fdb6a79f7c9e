"""The database: engine, one session per request, migrations, ``init-db``."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app, g
from flask.cli import with_appcontext
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
#: The table that keeps the schema's revision, unless the app's ``MIGRATIONS_VERSION_TABLE`` names another: a host
#: application sharing its database with Passerelle keeps its own revision in this one (lms.integration.host).
VERSION_TABLE = "alembic_version"
#: SQLite's write-ahead log is copied back into the database (a checkpoint) once it holds this many pages (4 kB
#: each), where SQLite's default is 1,000.  Storing a batch of 50 statements with its index rows and M&E
#: projections writes some 300 pages, scattered over the indexes: at 1,000 a checkpoint ran every third commit,
#: copying and syncing anew the index pages that every batch changes; at 10,000 it copies them once for thirty
#: batches.  The log grows to about 40 MB before it is reused.
WAL_AUTOCHECKPOINT = 10_000


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, a busy timeout and a write-ahead log (checkpointed every
    :data:`WAL_AUTOCHECKPOINT` pages)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def get_db() -> Session:
    """Return the current request's session, opening it on first use."""
    if "db" not in g:
        g.db = current_app.extensions["db"]()
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()


def migrate(engine: Engine, version_table: str = VERSION_TABLE) -> None:
    """Bring the schema up to the newest migration, keeping its revision in ``version_table``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["version_table"] = version_table
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upgrade_schema() -> Engine:
    """Bring the current app's database up to the newest migration; return its engine."""
    engine = current_app.extensions["db.engine"]
    migrate(engine, current_app.config.get("MIGRATIONS_VERSION_TABLE", VERSION_TABLE))
    return engine


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    engine = upgrade_schema()
    click.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")


def init_app(app) -> None:
    """Bind the database to the app: session factory, teardown, CLI."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db.engine"] = engine
    app.extensions["db"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
