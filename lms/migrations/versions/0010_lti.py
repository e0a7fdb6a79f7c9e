"""LTI 1.3: platforms and their deployments, the tool's keys, nonces seen, launch data, platform courses, links
placed by deep linking, line items and the scores sent to them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_platform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('jwks_url', sa.String(length=1024), nullable=False),
    sa.Column('auth_login_url', sa.String(length=1024), nullable=False),
    sa.Column('auth_token_url', sa.String(length=1024), nullable=False),
    sa.Column('auth_audience', sa.String(length=1024), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'client_id')
    )
    op.create_table('lti_deployment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform_id', 'deployment_id')
    )
    op.create_table('lti_tool_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kid')
    )
    op.create_table('lti_nonce',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=False),
    sa.Column('expires', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'nonce')
    )
    op.create_index('ix_lti_nonce_expires', 'lti_nonce', ['expires'])
    op.create_table('lti_launch_data',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_lti_launch_data_expires', 'lti_launch_data', ['expires'])
    op.create_table('lti_context',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('memberships_url', sa.String(length=1024), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['lms_cohort.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id']),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform_id', 'context_id', 'course_id')
    )
    op.create_table('lti_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id']),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    op.create_index('ix_lti_link_platform_id', 'lti_link', ['platform_id'])
    op.create_table('lti_line_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id']),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platform.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform_id', 'url')
    )
    op.create_table('lti_outcome',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('lti_user_id', sa.String(length=255), nullable=False),
    sa.Column('due', sa.Boolean(), nullable=False),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.Column('sent', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_score', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['lms_enrolment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['line_item_id'], ['lti_line_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('line_item_id', 'user_id')
    )
    op.create_index('ix_lti_outcome_due', 'lti_outcome', ['due'])
    op.create_index('ix_lti_outcome_user_id', 'lti_outcome', ['user_id'])
    op.create_index('ix_lti_outcome_enrolment_id', 'lti_outcome', ['enrolment_id'])


def downgrade() -> None:
    for index, table in (('ix_lti_outcome_enrolment_id', 'lti_outcome'), ('ix_lti_outcome_user_id', 'lti_outcome'),
                         ('ix_lti_outcome_due', 'lti_outcome'), ('ix_lti_link_platform_id', 'lti_link'),
                         ('ix_lti_launch_data_expires', 'lti_launch_data'), ('ix_lti_nonce_expires', 'lti_nonce')):
        op.drop_index(index, table_name=table)
    for table in ('lti_outcome', 'lti_line_item', 'lti_link', 'lti_context', 'lti_launch_data', 'lti_nonce',
                  'lti_tool_key', 'lti_deployment', 'lti_platform'):
        op.drop_table(table)
