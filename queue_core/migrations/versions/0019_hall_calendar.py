"""hall calendar: the hall's sessions, queues' own rules and dated exceptions, and its
citizens' booking rules (issue 21)

Revision ID: 7d2a4e6b8c10
Revises: 5c8e1a9d3f42
Create Date: 2026-12-07 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7d2a4e6b8c10"
down_revision = "5c8e1a9d3f42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hall", sa.Column("calendar_rules", sa.Text(), nullable=False, server_default=""))
    op.add_column("hall", sa.Column("booking_rules", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("hall", "booking_rules")
    op.drop_column("hall", "calendar_rules")
