"""indexes for the retention of raw events (link visits, reactions, job runs by age)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:00:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_link_visit_visited_at', 'link_visit', ['visited_at'], unique=False)
    op.create_index('ix_reaction_occurred_at', 'reaction', ['occurred_at'], unique=False)
    op.create_index('ix_job_run_claimed_at', 'job_run', ['claimed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_job_run_claimed_at', table_name='job_run')
    op.drop_index('ix_reaction_occurred_at', table_name='reaction')
    op.drop_index('ix_link_visit_visited_at', table_name='link_visit')
