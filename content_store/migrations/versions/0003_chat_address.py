"""chat addresses (Teams conversation references)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chat_address',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('workspace_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'workspace_id', 'key')
    )
    with op.batch_alter_table('chat_address', schema=None) as batch_op:
        batch_op.create_index('ix_chat_address_key', ['platform', 'key', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_address', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_address_key')
    op.drop_table('chat_address')
