"""Tell SQLite's planner how selective the statements' indexes are, so that it reads a learner's statements
through the actor's index whatever order the indexes were created in

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        from xapi.models import steer_sqlite_planner

        steer_sqlite_planner(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'xapi_statement'")
