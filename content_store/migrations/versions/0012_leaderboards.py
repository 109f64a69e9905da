"""leaderboards: hide from public boards, the weekly rollup of points, all-time totals

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ambassador') as batch_op:
        batch_op.add_column(
            sa.Column('hidden_from_boards', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index(
        'ix_points_award_ambassador_content', 'points_award', ['ambassador_id', 'content_id']
    )
    op.create_table(
        'points_weekly',
        sa.Column('ambassador_id', sa.Integer(), nullable=False),
        sa.Column('week_start', sa.Date(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('shares', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id']),
        sa.PrimaryKeyConstraint('ambassador_id', 'week_start'),
    )
    op.create_index('ix_points_weekly_board', 'points_weekly', ['week_start', 'points'])
    op.create_table(
        'points_monthly',
        sa.Column('ambassador_id', sa.Integer(), nullable=False),
        sa.Column('month_start', sa.Date(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('shares', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id']),
        sa.PrimaryKeyConstraint('ambassador_id', 'month_start'),
    )
    op.create_index('ix_points_monthly_board', 'points_monthly', ['month_start', 'points'])
    op.create_table(
        'points_total',
        sa.Column('ambassador_id', sa.Integer(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('shares', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id']),
        sa.PrimaryKeyConstraint('ambassador_id'),
    )
    op.create_index(op.f('ix_points_total_points'), 'points_total', ['points'], unique=False)
    op.create_table(
        'rollup_state',
        sa.Column('rollup', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('watermark', sa.Integer(), nullable=False),
        sa.Column('pending_high', sa.Integer(), nullable=False),
        sa.Column('pending_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('rollup'),
    )


def downgrade() -> None:
    op.drop_table('rollup_state')
    op.drop_index(op.f('ix_points_total_points'), table_name='points_total')
    op.drop_table('points_total')
    op.drop_index('ix_points_monthly_board', table_name='points_monthly')
    op.drop_table('points_monthly')
    op.drop_index('ix_points_weekly_board', table_name='points_weekly')
    op.drop_table('points_weekly')
    op.drop_index('ix_points_award_ambassador_content', table_name='points_award')
    with op.batch_alter_table('ambassador') as batch_op:
        batch_op.drop_column('hidden_from_boards')
