"""written notices: the numbered 一次性告知书, 不予受理告知书 and 受理通知单 a window prints
for the ticket it serves, kept with the ticket (issue 23)

Revision ID: 4e8c2a6f1b37
Revises: 4e8c2a6f9d31
Create Date: 2026-12-07 08:00:00
"""

import sqlalchemy as sa
from alembic import op

from queue_core.models import UTCDateTime

revision = "4e8c2a6f1b37"
down_revision = "4e8c2a6f9d31"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "written_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("window_number", sa.Integer(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=True),
        sa.Column("clerk_name", sa.String(length=60), nullable=False),
        sa.Column("clerk_badge", sa.String(length=30), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("completion_date", sa.Date(), nullable=True),
        sa.Column("print_job_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_written_notice_hall_id_hall")),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_written_notice_ticket_id_ticket")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["service_item.id"], name=op.f("fk_written_notice_item_id_service_item")
        ),
        sa.ForeignKeyConstraint(["clerk_id"], ["staff.id"], name=op.f("fk_written_notice_clerk_id_staff")),
        sa.ForeignKeyConstraint(
            ["print_job_id"], ["print_record.id"], name=op.f("fk_written_notice_print_job_id_print_record")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_written_notice")),
        sa.UniqueConstraint("hall_id", "kind", "year", "seq", name=op.f("uq_written_notice_hall_id_kind_year_seq")),
    )
    with op.batch_alter_table("written_notice", schema=None) as batch_op:
        batch_op.create_index("ix_written_notice_hall_issued", ["hall_id", "issued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_written_notice_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("written_notice")
