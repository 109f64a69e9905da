"""guidelines events (prompts and acceptances)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('guidelines_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ambassador_id', sa.Integer(), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ambassador_id'], ['ambassador.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ambassador_id', 'version', 'kind')
    )
    # Everyone who joined so far accepted the version stored on their row, when they joined.
    op.execute(
        "INSERT INTO guidelines_event (ambassador_id, version, kind, at) "
        "SELECT id, guidelines_version, 'accepted', guidelines_accepted_at FROM ambassador "
        "WHERE guidelines_version <> ''"
    )


def downgrade() -> None:
    op.drop_table('guidelines_event')
