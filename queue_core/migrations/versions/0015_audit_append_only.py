"""audit trail append-only: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE of
audit_entry (SQLite has no such guard: nothing changes there)

Revision ID: 9e5f4a3b2c7d
Revises: 8d4e3f2a1b69
Create Date: 2026-12-06 15:20:00
"""

from alembic import op

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
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER audit_entry_no_truncate ON audit_entry")
    op.execute("DROP TRIGGER audit_entry_no_change ON audit_entry")
    op.execute("DROP FUNCTION audit_entry_append_only()")
