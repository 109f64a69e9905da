"""delivery queue

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:20:49.213459
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('send_lease',
    sa.Column('workspace', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('epoch', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('workspace')
    )
    with op.batch_alter_table('ambassador', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('quiet_start', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_end', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.add_column(sa.Column('weekly_cap', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('delivery_mode', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='immediate'))
        batch_op.add_column(sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('unreachable_reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    with op.batch_alter_table('content', schema=None) as batch_op:
        batch_op.add_column(sa.Column('important', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_content_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_publish_at'), ['publish_at'], unique=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_delivery_due', ['workspace', 'status', 'next_attempt_at'], unique=False)

    # Rows written by the foundation's sender join the queue: their workspace is the
    # ambassador's identity, and they are due since they were created.
    op.execute(
        "UPDATE delivery SET next_attempt_at = created_at, workspace = COALESCE(("
        "SELECT identity.platform || ':' || identity.workspace_id FROM identity "
        "WHERE identity.ambassador_id = delivery.ambassador_id "
        "ORDER BY identity.id LIMIT 1), '')"
    )


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_due')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('locked_by')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('workspace')

    with op.batch_alter_table('content', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_publish_at'))
        batch_op.drop_index(batch_op.f('ix_content_expires_at'))
        batch_op.drop_column('expires_at')
        batch_op.drop_column('publish_at')
        batch_op.drop_column('important')

    with op.batch_alter_table('ambassador', schema=None) as batch_op:
        batch_op.drop_column('unreachable_reason')
        batch_op.drop_column('unreachable_at')
        batch_op.drop_column('delivery_mode')
        batch_op.drop_column('weekly_cap')
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')
        batch_op.drop_column('timezone')

    op.drop_table('send_lease')
