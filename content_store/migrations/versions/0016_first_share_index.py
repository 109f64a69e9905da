"""leaderboards: the rollup's "first share of this content?" probe reads one index only

The index on points_award (ambassador_id, content_id) gains id and kind, so the probe (is
there a share of the same content by the same person with a lower id?) never reads the
table. kind goes after id: SQLite 3.40 answered that probe wrongly with kind before id
(an IN list on kind followed by a range on id, in a correlated subquery).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 06:30:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_points_award_ambassador_content', table_name='points_award')
    op.create_index(
        'ix_points_award_first_share',
        'points_award',
        ['ambassador_id', 'content_id', 'id', 'kind'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_points_award_first_share', table_name='points_award')
    op.create_index(
        'ix_points_award_ambassador_content', 'points_award', ['ambassador_id', 'content_id']
    )
