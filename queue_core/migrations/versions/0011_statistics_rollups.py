"""statistics rollups: each closed day's figures per group (counts, whole-second histograms of
waiting and handling time, open time, rating counts), written once the day is over

Revision ID: d69a4f44b5fc
Revises: 29218a7affc4
Create Date: 2026-12-02 05:25:56.564099
"""

import sqlalchemy as sa
from alembic import op

import queue_core.models

revision = "d69a4f44b5fc"
down_revision = "29218a7affc4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stats_day",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("built_at", queue_core.models.UTCDateTime(), nullable=False),
        sa.Column("open_ticket_ids", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("hall_open_us", sa.BigInteger(), nullable=False),
        sa.Column("windows_open_us", sa.BigInteger(), nullable=False),
        sa.Column("ratings_settled", sa.Boolean(), nullable=False),
        sa.Column("ratings_rules", sa.JSON(), nullable=True),
        sa.Column("ratings_final_at", queue_core.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_stats_day_hall_id_hall")),
        sa.PrimaryKeyConstraint("hall_id", "service_day", name=op.f("pk_stats_day")),
    )
    op.create_table(
        "stats_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("service_day", sa.Date(), nullable=False),
        sa.Column("grouping", sa.String(length=12), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("no_show", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("transferred", sa.Integer(), nullable=False),
        sa.Column("called", sa.Integer(), nullable=False),
        sa.Column("within_target", sa.Integer(), nullable=False),
        sa.Column("handling_seconds", sa.BigInteger(), nullable=False),
        sa.Column("wait", sa.LargeBinary(), nullable=False),
        sa.Column("handle", sa.LargeBinary(), nullable=False),
        sa.Column("open_us", sa.BigInteger(), nullable=False),
        sa.Column("rating_served", sa.Integer(), nullable=False),
        sa.Column("rating_rated", sa.Integer(), nullable=False),
        sa.Column("rating_defaulted", sa.Integer(), nullable=False),
        sa.Column("rating_level_5", sa.Integer(), nullable=False),
        sa.Column("rating_level_4", sa.Integer(), nullable=False),
        sa.Column("rating_level_3", sa.Integer(), nullable=False),
        sa.Column("rating_level_2", sa.Integer(), nullable=False),
        sa.Column("rating_level_1", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_stats_rollup_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stats_rollup")),
    )
    with op.batch_alter_table("stats_rollup", schema=None) as batch_op:
        batch_op.create_index("ix_stats_rollup_day", ["hall_id", "grouping", "service_day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stats_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_rollup_day")

    op.drop_table("stats_rollup")
    op.drop_table("stats_day")
