"""Find an enrolment by its registration through an index; tell SQLite's planner how selective the statements'
indexes are, so that it reads a learner's statements through the actor's index whatever order the indexes were
created in

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
    with op.batch_alter_table('lms_enrolment', schema=None) as batch_op:
        batch_op.create_index('ix_lms_enrolment_registration', ['registration'], unique=True)
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        from xapi.models import steer_sqlite_planner

        steer_sqlite_planner(connection)


def downgrade() -> None:
    with op.batch_alter_table('lms_enrolment', schema=None) as batch_op:
        batch_op.drop_index('ix_lms_enrolment_registration')
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = 'xapi_statement'")
