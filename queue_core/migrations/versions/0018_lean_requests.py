"""lean requests: indexes that let a clerk's panel and a ticket's wait estimate read what
they need from an index, at a cost that does not grow with the day (issue 20)

Revision ID: 5c8e1a9d3f42
Revises: 2f6b9c1d7e30
Create Date: 2026-12-06 18:20:00
"""

from alembic import op

revision = "5c8e1a9d3f42"
down_revision = "2f6b9c1d7e30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The oldest ticket of a queue's line: one seek (min), not a read of every waiting row.
    op.create_index(
        "ix_ticket_queue_oldest", "ticket", ["queue_id", "service_day", "status", "target_window_id", "issued_at"]
    )
    # A clerk's day (served, mean handling) and a queue's mean handling: from the index alone.
    op.create_index("ix_ticket_clerk_day", "ticket", ["clerk_id", "service_day", "status", "handle_seconds"])
    op.create_index("ix_ticket_queue_handled", "ticket", ["queue_id", "service_day", "status", "handle_seconds"])


def downgrade() -> None:
    op.drop_index("ix_ticket_queue_handled", table_name="ticket")
    op.drop_index("ix_ticket_clerk_day", table_name="ticket")
    op.drop_index("ix_ticket_queue_oldest", table_name="ticket")
