"""hall map: the floor plan a manager uploaded in the browser, kept with the hall so that every
server process and host shows the same one

Revision ID: 5b1e0c2a9d47
Revises: d69a4f44b5fc
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5b1e0c2a9d47"
down_revision = "d69a4f44b5fc"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hall", sa.Column("map_svg", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35 and newer drop a column in place: a batch rebuild would have to drop the hall
    # table, which every hall-scoped table references.
    op.drop_column("hall", "map_svg")
