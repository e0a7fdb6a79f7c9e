"""Accounts: a session token in every session's user id, renewed at log-out so that a copied cookie stops working

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lms_user') as batch:
        batch.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    # Each account its own token; sessions from before keep an id without one, and are asked to log in again.
    users = sa.table('lms_user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16)))
    with op.batch_alter_table('lms_user') as batch:
        batch.alter_column('session_token', existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('lms_user') as batch:
        batch.drop_column('session_token')
