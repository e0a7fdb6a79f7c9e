"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.models import Base as LmsBase
from xapi.models import Base as XapiBase


def test_models_and_migrations_agree(app):
    with app.extensions["db.engine"].connect() as connection:
        context = MigrationContext.configure(connection)
        diff = compare_metadata(context, [LmsBase.metadata, XapiBase.metadata])
    assert diff == []


def test_init_db_is_safe_to_run_again(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0 and "database ready" in result.output
