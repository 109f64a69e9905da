"""curators' stats: indexes (interactions and deliveries by time, visits and reactions by
content) and the invitation table (prospects invited to join)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'invitation',
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('workspace_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=255), nullable=False),
        sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('invited_by_platform', sa.String(length=16), nullable=True),
        sa.Column('invited_by_workspace', sa.String(length=64), nullable=True),
        sa.Column('invited_by_user', sa.String(length=255), nullable=True),
        sa.Column('times', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('platform', 'workspace_id', 'user_id'),
    )
    op.create_index('ix_interaction_occurred_at', 'interaction', ['occurred_at'], unique=False)
    op.create_index('ix_interaction_content', 'interaction', ['content_id'], unique=False)
    op.create_index('ix_delivery_sent_at', 'delivery', ['sent_at'], unique=False)
    op.create_index(
        'ix_link_visit_content', 'link_visit', ['content_id', 'visited_at'], unique=False
    )
    op.create_index('ix_reaction_content', 'reaction', ['content_id'], unique=False)


def downgrade() -> None:
    op.drop_table('invitation')
    op.drop_index('ix_reaction_content', table_name='reaction')
    op.drop_index('ix_link_visit_content', table_name='link_visit')
    op.drop_index('ix_delivery_sent_at', table_name='delivery')
    op.drop_index('ix_interaction_content', table_name='interaction')
    op.drop_index('ix_interaction_occurred_at', table_name='interaction')
