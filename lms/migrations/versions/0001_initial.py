"""Accounts, courses, enrolments and the statement store

Revision ID: 0001
Revises: 
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lms_course',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iri', sa.String(length=1024), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('iri'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('lms_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('institution', sa.String(length=200), nullable=False),
    sa.Column('gender', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('actor_id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('lms_course_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('package_path', sa.String(length=1024), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('imported', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('course_id', 'version')
    )
    op.create_table('lms_enrolment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('enrolled', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['lms_course.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'course_id')
    )
    op.create_table('xapi_credential',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_credential_key', ['key'], unique=True)

    op.create_table('xapi_statement',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('actor_key', sa.String(length=1024), nullable=False),
    sa.Column('verb_id', sa.String(length=1024), nullable=False),
    sa.Column('object_id', sa.String(length=1024), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=True),
    sa.Column('stored', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xapi_statement_actor_key'), ['actor_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statement_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statement_registration'), ['registration'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statement_stored'), ['stored'], unique=False)
        batch_op.create_index(batch_op.f('ix_xapi_statement_verb_id'), ['verb_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('xapi_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xapi_statement_verb_id'))
        batch_op.drop_index(batch_op.f('ix_xapi_statement_stored'))
        batch_op.drop_index(batch_op.f('ix_xapi_statement_registration'))
        batch_op.drop_index(batch_op.f('ix_xapi_statement_object_id'))
        batch_op.drop_index(batch_op.f('ix_xapi_statement_actor_key'))

    op.drop_table('xapi_statement')
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_credential_key')

    op.drop_table('xapi_credential')
    op.drop_table('lms_enrolment')
    op.drop_table('lms_course_version')
    op.drop_table('lms_user')
    op.drop_table('lms_course')
