"""Alembic environment: the LMS's and the record store's tables, one history."""

from alembic import context
from sqlalchemy import create_engine

from lms.models import Base as LmsBase
from xapi.models import Base as XapiBase

target_metadata = [LmsBase.metadata, XapiBase.metadata]


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # run from the alembic command line
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      version_table=context.config.attributes.get("version_table", "alembic_version"))
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
