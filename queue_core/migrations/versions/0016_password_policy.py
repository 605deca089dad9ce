"""password policy: a password set by someone else must be changed by its owner at the next
login

Revision ID: a1f6c0d4e2b7
Revises: 9e5f4a3b2c7d
Create Date: 2026-12-06 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f6c0d4e2b7"
down_revision = "9e5f4a3b2c7d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts keep their passwords as they are: nobody is forced by the upgrade.
    op.add_column(
        "staff", sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("staff", "must_change_password")
