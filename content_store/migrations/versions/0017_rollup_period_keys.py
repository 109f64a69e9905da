"""leaderboards: the rollup tables are keyed by period first, (week_start, ambassador_id)
and (month_start, ambassador_id), not person first

A rollup run updates one row per person for the current week and month: with the period
first in the primary key those rows sit together in its index (a few dozen pages) instead
of one row in each of thousands of pages. At 10 million awards this took the PostgreSQL
increment of 100,000 awards from 1.4-1.7 s to 1.0-1.3 s (docs/benchmarks.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22 09:00:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (('points_weekly', 'week_start'), ('points_monthly', 'month_start'))


def _primary_key(table: str, columns: list[str]) -> None:
    name = f'{table}_pkey'
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot alter a primary key: the table is copied with the new one.
        with op.batch_alter_table(table, recreate='always') as batch_op:
            batch_op.create_primary_key(name, columns)
    else:
        op.drop_constraint(name, table, type_='primary')
        op.create_primary_key(name, table, columns)


def upgrade() -> None:
    for table, period in TABLES:
        _primary_key(table, [period, 'ambassador_id'])


def downgrade() -> None:
    for table, period in TABLES:
        _primary_key(table, ['ambassador_id', period])
