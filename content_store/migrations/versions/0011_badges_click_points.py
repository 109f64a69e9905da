"""badges, and which link visits earned points

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('badge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('badge', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('earned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ambassador_id', 'badge')
    )
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_earned_at'), ['earned_at'], unique=False)
    op.create_table('link_visit_award',
    sa.Column('visit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('awarded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id'], ),
    sa.PrimaryKeyConstraint('visit_id')
    )
    with op.batch_alter_table('link_visit_award', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_visit_award_ambassador_id'), ['ambassador_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('link_visit_award', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_visit_award_ambassador_id'))
    op.drop_table('link_visit_award')
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_earned_at'))
    op.drop_table('badge')
