"""cmi5 launches: the launch session, and LRS keys that act for one learner until they expire

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lms_launch',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('fetch_hash', sa.String(length=64), nullable=False),
    sa.Column('credential_key', sa.String(length=64), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fetched', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_lms_launch_enrolment_id'), 'lms_launch', ['enrolment_id'], unique=False)
    with op.batch_alter_table('xapi_credential') as batch:
        batch.add_column(sa.Column('agent', sa.Text(), nullable=True))
        batch.add_column(sa.Column('expires', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('xapi_credential') as batch:
        batch.drop_column('expires')
        batch.drop_column('agent')
    op.drop_index(op.f('ix_lms_launch_enrolment_id'), table_name='lms_launch')
    op.drop_table('lms_launch')
