"""preferences: Mastodon instance, pause

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ambassador') as batch_op:
        batch_op.add_column(sa.Column('mastodon_instance', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=True))
        batch_op.add_column(sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ambassador') as batch_op:
        batch_op.drop_column('paused_until')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('mastodon_instance')
