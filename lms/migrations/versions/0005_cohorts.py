"""Programmes: cohorts and their trainers, enrolments in a cohort, live sessions, facilitators, attendance;
accounts gain an e-mail address, a time zone and can be deactivated

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lms_cohort',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('self_enrol', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    op.create_index('ix_lms_cohort_course_id', 'lms_cohort', ['course_id'])
    op.create_table('lms_cohort_trainer',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['lms_cohort.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], ),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id')
    )
    op.create_table('lms_live_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('meeting_url', sa.String(length=1024), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['lms_cohort.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    op.create_index('ix_lms_live_session_cohort_id', 'lms_live_session', ['cohort_id'])
    op.create_table('lms_session_facilitator',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['lms_live_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], ),
    sa.PrimaryKeyConstraint('session_id', 'user_id')
    )
    op.create_table('lms_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('remark', sa.Text(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['lms_live_session.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], ),
    sa.ForeignKeyConstraint(['marked_by_id'], ['lms_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_id', 'user_id')
    )
    op.create_index('ix_lms_attendance_session_id', 'lms_attendance', ['session_id'])
    with op.batch_alter_table('lms_enrolment') as batch:
        batch.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_lms_enrolment_cohort_id', 'lms_cohort', ['cohort_id'], ['id'])
        batch.create_index('ix_lms_enrolment_cohort_id', ['cohort_id'])
    with op.batch_alter_table('lms_user') as batch:
        batch.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=False, server_default=''))
        batch.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('lms_user') as batch:
        batch.drop_column('active')
        batch.drop_column('timezone')
        batch.drop_column('email')
    with op.batch_alter_table('lms_enrolment') as batch:
        batch.drop_index('ix_lms_enrolment_cohort_id')
        batch.drop_constraint('fk_lms_enrolment_cohort_id', type_='foreignkey')
        batch.drop_column('cohort_id')
    op.drop_table('lms_attendance')
    op.drop_table('lms_session_facilitator')
    op.drop_index('ix_lms_live_session_cohort_id', 'lms_live_session')
    op.drop_table('lms_live_session')
    op.drop_table('lms_cohort_trainer')
    op.drop_index('ix_lms_cohort_course_id', 'lms_cohort')
    op.drop_table('lms_cohort')
