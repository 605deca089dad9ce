"""item keywords: the names citizens use for a service item (社保卡, 身份证丢了), and the
search terms of its name and keywords with their pinyin (issue 22)

Revision ID: 9b3f5d7e1a24
Revises: 7d2a4e6b8c10
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "9b3f5d7e1a24"
down_revision = "7d2a4e6b8c10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("service_item", sa.Column("keywords", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("service_item", sa.Column("search_terms", sa.Text(), nullable=False, server_default=""))
    # The items already there are found by their names at once, as they were before.
    from queue_core.search import search_terms

    connection = op.get_bind()
    items = sa.table("service_item", sa.column("id", sa.Integer), sa.column("name", sa.String))
    terms = sa.table("service_item", sa.column("id", sa.Integer), sa.column("search_terms", sa.Text))
    rows = connection.execute(sa.select(items.c.id, items.c.name)).all()
    for item_id, name in rows:
        connection.execute(
            terms.update().where(terms.c.id == item_id).values(search_terms=search_terms(name, []))
        )


def downgrade() -> None:
    op.drop_column("service_item", "search_terms")
    op.drop_column("service_item", "keywords")
