"""finished tally: each clerk's tickets finished in each queue per service day, with the
sums of their handling times, kept by the finish; filled here from the tickets already
finished (issue 20)

Revision ID: 7a3d5e9c2b14
Revises: 4e8c2a6f1b37
Create Date: 2026-12-07 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7a3d5e9c2b14"
down_revision = "4e8c2a6f1b37"
branch_labels = None
depends_on = None

# The tickets finished so far, grouped as the finish keeps them (queue_core.tallies; 0: no clerk).
_FILL = """
INSERT INTO finished_tally
    (queue_id, service_day, clerk_id, hall_id, finished, handled, handle_sum, handle_square_sum)
SELECT queue_id, service_day, coalesce(clerk_id, 0), hall_id, count(*), count(handle_seconds),
       coalesce(sum(handle_seconds), 0), coalesce(sum(handle_seconds * handle_seconds), 0)
FROM ticket
WHERE status = 'finished'
GROUP BY queue_id, service_day, coalesce(clerk_id, 0), hall_id
"""


def upgrade() -> None:
    op.create_table(
        "finished_tally",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("handle_sum", sa.BigInteger(), nullable=False),
        sa.Column("handle_square_sum", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_finished_tally_hall_id_hall")),
        sa.ForeignKeyConstraint(["queue_id"], ["queue.id"], name=op.f("fk_finished_tally_queue_id_queue")),
        sa.PrimaryKeyConstraint("queue_id", "service_day", "clerk_id", name=op.f("pk_finished_tally")),
    )
    op.create_index("ix_finished_tally_clerk_day", "finished_tally", ["clerk_id", "service_day"], unique=False)
    op.create_index("ix_finished_tally_hall_day", "finished_tally", ["hall_id", "service_day"], unique=False)
    op.execute(_FILL)


def downgrade() -> None:
    op.drop_index("ix_finished_tally_hall_day", table_name="finished_tally")
    op.drop_index("ix_finished_tally_clerk_day", table_name="finished_tally")
    op.drop_table("finished_tally")
