"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lms.db import MIGRATIONS, make_engine

from lms.models import Base as LmsBase
from lms.models import User
from xapi.models import Base as XapiBase
from xapi.store import StatementQuery, query_statements


def test_models_and_migrations_agree(app):
    with app.extensions["db.engine"].connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, [LmsBase.metadata, XapiBase.metadata])
    assert diff == []


def test_init_db_is_safe_to_run_again(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "database ready" in result.output


def test_statements_stored_before_the_full_record_store_stay_queryable(tmp_path):
    """Revision 0002 indexes the statements an earlier revision stored: agent and activity filters find them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    actor = {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/", "name": "u1"}}
    statement = {"id": "3b3a9b86-6b1e-4a7e-9f0a-0c2c7b1f2a10", "actor": actor,
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                 "object": {"objectType": "Activity", "id": "https://academy.example.org/m1"},
                 "context": {"contextActivities": {"parent": [{"id": "https://academy.example.org/course"}]}},
                 "authority": {"objectType": "Agent", "account": {"homePage": "https://lms.example.test/",
                                                                  "name": "lms"}},
                 "stored": "2026-03-01T09:30:00.000Z", "timestamp": "2026-03-01T09:30:00.000Z"}
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text(
            "INSERT INTO xapi_statement (id, actor_key, verb_id, object_id, registration, stored, voided, data) "
            "VALUES (:id, :actor, :verb, :object, NULL, '2026-03-01 09:30:00', 0, :data)"),
            {"id": statement["id"], "actor": "account:https://lms.example.test/|u1", "verb": statement["verb"]["id"],
             "object": statement["object"]["id"], "data": json.dumps(statement)})
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with Session(engine) as session:
        by_agent, _ = query_statements(session, StatementQuery(agent=actor))
        related, _ = query_statements(session, StatementQuery(activity="https://academy.example.org/course",
                                                              related_activities=True))
        mine, _ = query_statements(session, StatementQuery(authority="account:https://lms.example.test/|lms"))
    assert [s["id"] for s in by_agent] == [s["id"] for s in related] == [s["id"] for s in mine] == [statement["id"]]
    engine.dispose()


def test_accounts_made_before_session_tokens_each_get_their_own(tmp_path):
    """Revision 0004 gives every existing account a session token of its own; sessions from before end."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        for number in (1, 2):
            connection.execute(text(
                "INSERT INTO lms_user (id, username, display_name, password_hash, role, actor_id, country, "
                "institution, gender, language, created) VALUES (:id, :name, :name, 'x', 'learner', :actor, '', '', "
                "'', 'en', '2026-03-01 09:30:00')"), {"id": number, "name": f"official-{number}", "actor": f"a{number}"})
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with Session(engine) as session:
        users = session.scalars(select(User).order_by(User.id)).all()
        tokens = [user.session_token for user in users]
        assert len(set(tokens)) == 2 and all(len(token) == 32 for token in tokens)
        assert users[0].get_id() == f"1:{tokens[0]}"  # what a session now holds; ids from before hold no token
    engine.dispose()
