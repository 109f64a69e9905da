"""weekly digest: the chart images (digest_chart), for the Teams card's signed link

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-22 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'digest_chart',
        sa.Column('chart_key', sa.String(length=40), nullable=False),
        sa.Column('png', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('chart_key'),
    )


def downgrade() -> None:
    op.drop_table('digest_chart')
