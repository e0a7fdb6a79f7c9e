"""What erased learners had reached, kept without them; per-learner exports written in the background

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lms_erased_reach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('enrolled', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trained', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed', sa.DateTime(timezone=True), nullable=True),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cohort_id'], ['lms_cohort.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_lms_erased_reach_course_id', 'lms_erased_reach', ['course_id'])
    op.create_index('ix_lms_erased_reach_cohort_id', 'lms_erased_reach', ['cohort_id'])
    op.create_table('lms_report_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('identified', sa.Boolean(), nullable=False),
    sa.Column('extension', sa.String(length=4), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['lms_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_lms_report_export_course_id', 'lms_report_export', ['course_id'])
    op.create_index('ix_lms_report_export_requested_by_id', 'lms_report_export', ['requested_by_id'])


def downgrade() -> None:
    for index, table in (('ix_lms_report_export_requested_by_id', 'lms_report_export'),
                         ('ix_lms_report_export_course_id', 'lms_report_export'),
                         ('ix_lms_erased_reach_cohort_id', 'lms_erased_reach'),
                         ('ix_lms_erased_reach_course_id', 'lms_erased_reach')):
        op.drop_index(index, table_name=table)
    op.drop_table('lms_report_export')
    op.drop_table('lms_erased_reach')
