"""session version: logging out, a new password and deactivation end every session of the
account at once

Revision ID: 8d4e3f2a1b69
Revises: 7c3d2e1f0a58
Create Date: 2026-12-06 13:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "8d4e3f2a1b69"
down_revision = "7c3d2e1f0a58"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("staff", sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("staff", "session_version")
