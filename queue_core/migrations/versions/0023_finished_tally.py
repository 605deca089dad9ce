"""finished tally: each queue's and each clerk's tickets finished per service day, with the
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

# The tickets finished so far, grouped as the finish keeps them (queue_core.tallies).
_FILL = """
INSERT INTO finished_tally
    (grouping, group_id, service_day, hall_id, finished, handled, handle_sum, handle_square_sum)
SELECT '{grouping}', {column}, service_day, hall_id, count(*), count(handle_seconds),
       coalesce(sum(handle_seconds), 0), coalesce(sum(handle_seconds * handle_seconds), 0)
FROM ticket
WHERE status = 'finished' AND {column} IS NOT NULL
GROUP BY {column}, service_day, hall_id
"""


def upgrade() -> None:
    op.create_table(
        "finished_tally",
        sa.Column("grouping", sa.String(length=8), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("handle_sum", sa.BigInteger(), nullable=False),
        sa.Column("handle_square_sum", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_finished_tally_hall_id_hall")),
        sa.PrimaryKeyConstraint("grouping", "group_id", "service_day", name=op.f("pk_finished_tally")),
    )
    op.create_index(
        "ix_finished_tally_hall_day", "finished_tally", ["hall_id", "service_day", "grouping"], unique=False
    )
    for grouping, column in (("queue", "queue_id"), ("clerk", "clerk_id")):
        op.execute(_FILL.format(grouping=grouping, column=column))


def downgrade() -> None:
    op.drop_index("ix_finished_tally_hall_day", table_name="finished_tally")
    op.drop_table("finished_tally")
