"""retention: appointments keep the booker's ID hash; partial indexes find the rows still
holding personal data (queue_core.retention)

Revision ID: 2f6b9c1d7e30
Revises: a1f6c0d4e2b7
Create Date: 2026-12-06 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "2f6b9c1d7e30"
down_revision = "a1f6c0d4e2b7"
branch_labels = None
depends_on = None

HOLDER_KEPT = sa.text("holder_digest IS NOT NULL")
APPOINTMENT_KEPT = sa.text("name <> '' OR holder_digest IS NOT NULL")
COMMENT_KEPT = sa.text("comment <> ''")


def upgrade() -> None:
    op.add_column("appointment", sa.Column("holder_digest", sa.String(length=64), nullable=True))
    op.create_index("ix_appointment_holder_digest", "appointment", ["holder_digest"])
    op.create_index(
        "ix_appointment_personal_kept",
        "appointment",
        ["hall_id", "slot_end"],
        sqlite_where=APPOINTMENT_KEPT,
        postgresql_where=APPOINTMENT_KEPT,
    )
    op.create_index(
        "ix_ticket_holder_kept",
        "ticket",
        ["hall_id", "service_day"],
        sqlite_where=HOLDER_KEPT,
        postgresql_where=HOLDER_KEPT,
    )
    op.create_index(
        "ix_evaluation_comment_kept",
        "evaluation",
        ["hall_id", "service_day"],
        sqlite_where=COMMENT_KEPT,
        postgresql_where=COMMENT_KEPT,
    )


def downgrade() -> None:
    op.drop_index("ix_evaluation_comment_kept", "evaluation")
    op.drop_index("ix_ticket_holder_kept", "ticket")
    op.drop_index("ix_appointment_personal_kept", "appointment")
    op.drop_index("ix_appointment_holder_digest", "appointment")
    op.drop_column("appointment", "holder_digest")
