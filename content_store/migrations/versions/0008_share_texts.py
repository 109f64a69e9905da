"""share texts per network and language, title and summary translations, team, edited text

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 04:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('content', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('share_texts', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column('translations', sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table('ambassador', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sa.Text(), nullable=True))
    # The texts of content posted so far become texts for any network and any language.
    content = sa.table(
        'content',
        sa.column('id', sa.Integer()),
        sa.column('texts', sa.JSON()),
        sa.column('share_texts', sa.JSON()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(content.c.id, content.c.texts)).all()
    for content_id, texts in rows:
        if texts:
            bind.execute(
                content.update()
                .where(content.c.id == content_id)
                .values(
                    share_texts=[
                        {'text': text, 'network': None, 'language': None} for text in texts
                    ]
                )
            )


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('text')
    with op.batch_alter_table('ambassador', schema=None) as batch_op:
        batch_op.drop_column('team')
    with op.batch_alter_table('content', schema=None) as batch_op:
        batch_op.drop_column('translations')
        batch_op.drop_column('share_texts')
