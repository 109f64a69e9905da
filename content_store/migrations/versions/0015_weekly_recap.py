"""personal weekly recap: the opt-in on the ambassador, the table of recaps claimed per
person and week, and an index to count visits to one person's links

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ambassador') as batch_op:
        batch_op.add_column(
            sa.Column('weekly_recap', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        'weekly_recap_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ambassador_id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('holder', sa.String(length=128), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ambassador_id', 'week_start'),
    )
    op.create_index(
        'ix_link_visit_ambassador', 'link_visit', ['ambassador_id', 'visited_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_link_visit_ambassador', table_name='link_visit')
    op.drop_table('weekly_recap_sent')
    with op.batch_alter_table('ambassador') as batch_op:
        batch_op.drop_column('weekly_recap')
