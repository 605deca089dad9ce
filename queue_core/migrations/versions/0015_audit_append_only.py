"""audit trail append-only: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of
audit_entry (SQLite has no such guard: nothing changes there); audit_checkpoint, the copy of
each signed checkpoint of the trail's head for the city's view

Revision ID: 9e5f4a3b2c7d
Revises: 8d4e3f2a1b69
Create Date: 2026-12-06 15:20:00
"""

import sqlalchemy as sa
from alembic import op

import queue_core.models

revision = "9e5f4a3b2c7d"
down_revision = "8d4e3f2a1b69"
branch_labels = None
depends_on = None

REFUSE = """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on audit_entry refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("at", queue_core.models.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_audit_checkpoint_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_index("ix_audit_checkpoint_hall_id", "audit_checkpoint", ["hall_id", "id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(REFUSE)
    op.execute(
        "CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
    )


def downgrade() -> None:
    op.drop_index("ix_audit_checkpoint_hall_id", table_name="audit_checkpoint")
    op.drop_table("audit_checkpoint")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
    op.execute("DROP TRIGGER audit_entry_no_change ON audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")
