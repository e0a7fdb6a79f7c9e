"""M&E projections: each learner's progress per module and course, survey answers and first quiz answers,
kept beside the statements; filled from the store by ``passerelle reports rebuild``

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lms_course_progress',
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('trained', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('enrolment_id')
    )
    op.create_table('lms_module_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('started', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('best_score', sa.Float(), nullable=True),
    sa.Column('first_score', sa.Float(), nullable=True),
    sa.Column('later_score', sa.Float(), nullable=True),
    sa.Column('surveyed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enrolment_id', 'module')
    )
    op.create_index('ix_lms_module_progress_enrolment_id', 'lms_module_progress', ['enrolment_id'])
    op.create_table('lms_question_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('question', sa.String(length=100), nullable=False),
    sa.Column('response', sa.String(length=1000), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enrolment_id', 'module', 'question')
    )
    op.create_index('ix_lms_question_answer_enrolment_id', 'lms_question_answer', ['enrolment_id'])
    op.create_table('lms_survey_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('item', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('answered', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enrolment_id', 'module', 'item', 'follow_up')
    )
    op.create_index('ix_lms_survey_answer_enrolment_id', 'lms_survey_answer', ['enrolment_id'])


def downgrade() -> None:
    op.drop_index('ix_lms_survey_answer_enrolment_id', table_name='lms_survey_answer')
    op.drop_table('lms_survey_answer')
    op.drop_index('ix_lms_question_answer_enrolment_id', table_name='lms_question_answer')
    op.drop_table('lms_question_answer')
    op.drop_index('ix_lms_module_progress_enrolment_id', table_name='lms_module_progress')
    op.drop_table('lms_module_progress')
    op.drop_table('lms_course_progress')
