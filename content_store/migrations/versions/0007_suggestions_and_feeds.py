"""suggestions and feeds

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 03:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_state',
    sa.Column('feed_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('last_modified', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('polled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('feed_key')
    )
    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('url_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('image_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('suggester_platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('suggester_workspace', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('suggester_user', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('suggester_locale', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('suggester_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('feed_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('reviewer_platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('reviewer_workspace', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('reviewer_user', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('reviewer_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('content_id', sa.Integer(), nullable=True),
    sa.Column('auto_approved', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('review_messages', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['content_id'], ['content.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_content_id'), ['content_id'], unique=False)
        batch_op.create_index('ix_suggestion_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_suggestion_suggester', ['suggester_platform', 'suggester_workspace', 'suggester_user', 'status'], unique=False)
        batch_op.create_index('ux_suggestion_pending_url', ['url_key'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('feed_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feed_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('item_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('feed_key', 'item_key')
    )


def downgrade() -> None:
    op.drop_table('feed_item')
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ux_suggestion_pending_url', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_suggestion_suggester')
        batch_op.drop_index('ix_suggestion_status_created')
        batch_op.drop_index(batch_op.f('ix_suggestion_content_id'))

    op.drop_table('suggestion')
    op.drop_table('feed_state')
