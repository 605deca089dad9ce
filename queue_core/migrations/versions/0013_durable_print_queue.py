"""durable print queue: a print job carries what it prints and where it goes (the agent of its
printer), is claimed before it is printed, and may be abandoned; hall PCs' agents and their state;
pairing codes that set a device up without a terminal

Revision ID: 7c3d2e1f0a58
Revises: 5b1e0c2a9d47
Create Date: 2026-12-06 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c3d2e1f0a58"
down_revision = "5b1e0c2a9d47"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("print_record", sa.Column("agent", sa.String(40), nullable=False, server_default=""))
    op.add_column("print_record", sa.Column("document", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("print_record", sa.Column("claimed_by", sa.String(60), nullable=False, server_default=""))
    op.add_column("print_record", sa.Column("claimed_at", sa.DateTime(), nullable=True))
    # The jobs still to deliver are found by status: keep that cheap as the table grows.
    op.create_index("ix_print_record_status", "print_record", ["status"])
    op.create_table(
        "agent_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.Integer(), sa.ForeignKey("hall.id"), nullable=False),
        sa.Column("agent", sa.String(40), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("address", sa.String(60), nullable=False),
        sa.Column("connection", sa.String(80), nullable=False),
        sa.Column("printers", sa.JSON(), nullable=False),
        sa.Column("last_job_id", sa.Integer(), nullable=True),
        sa.Column("last_job_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("hall_id", "agent"),
    )
    op.create_table(
        "pairing_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hall_id", sa.Integer(), sa.ForeignKey("hall.id"), nullable=False),
        sa.Column("device_id", sa.String(40), nullable=False),
        sa.Column("device_kind", sa.String(20), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_token.id"), nullable=True),
    )
    op.create_index("ix_pairing_code_hall_digest", "pairing_code", ["hall_id", "code_digest"])


def downgrade() -> None:
    op.drop_index("ix_pairing_code_hall_digest", "pairing_code")
    op.drop_table("pairing_code")
    op.drop_table("agent_state")
    op.drop_index("ix_print_record_status", "print_record")
    for column in ("claimed_at", "claimed_by", "document", "agent"):
        op.drop_column("print_record", column)
