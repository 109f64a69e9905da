"""link visits: visitor key (salted daily HMAC) and visit id (idempotent batches)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 04:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('link_visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('visitor_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_index('ix_link_visit_token_visitor', 'link_visit', ['token', 'visitor_key'], unique=False)
    op.create_index('ix_link_visit_content_visitor', 'link_visit', ['content_id', 'visitor_key'], unique=False)
    op.create_index('ux_link_visit_visit_id', 'link_visit', ['visit_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_link_visit_visit_id', table_name='link_visit')
    op.drop_index('ix_link_visit_content_visitor', table_name='link_visit')
    op.drop_index('ix_link_visit_token_visitor', table_name='link_visit')
    with op.batch_alter_table('link_visit', schema=None) as batch_op:
        batch_op.drop_column('visitor_key')
        batch_op.drop_column('visit_id')
