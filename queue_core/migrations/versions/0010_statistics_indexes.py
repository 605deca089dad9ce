"""statistics indexes: a rating keeps its ticket's queue of issue, and covering indexes let the
figures of a year be read from the indexes alone

Revision ID: 29218a7affc4
Revises: e643ef1e4964
Create Date: 2026-12-02 02:30:40.464750
"""

import sqlalchemy as sa
from alembic import op

import queue_core.models

revision = '29218a7affc4'
down_revision = 'e643ef1e4964'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of the table on SQLite would have to drop it, which
    # the follow-up cases' foreign keys forbid; SQLite takes the reference inline.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE evaluation ADD COLUMN queue_id INTEGER"
            " CONSTRAINT fk_evaluation_queue_id_queue REFERENCES queue (id)"
        )
    else:
        op.add_column('evaluation', sa.Column('queue_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_evaluation_queue_id_queue', 'evaluation', 'queue', ['queue_id'], ['id'])
    op.execute(
        "UPDATE evaluation SET queue_id = (SELECT origin_queue_id FROM ticket WHERE ticket.id = evaluation.ticket_id)"
    )
    op.create_index('ix_evaluation_figures', 'evaluation', ['hall_id', 'service_day', 'window_id', 'clerk_id', 'item_id', 'department_id', 'queue_id', 'status', 'score'], unique=False)
    op.create_index('ix_ticket_statistics', 'ticket', ['hall_id', 'service_day', 'origin_queue_id', 'item_id', 'window_id', 'clerk_id', 'status', 'transfer_count', 'wait_seconds', 'handle_seconds'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_statistics', table_name='ticket')
    op.drop_index('ix_evaluation_figures', table_name='evaluation')
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('evaluation', schema=None) as batch_op:  # the reference goes with the column
            batch_op.drop_column('queue_id')
    else:
        op.drop_constraint('fk_evaluation_queue_id_queue', 'evaluation', type_='foreignkey')
        op.drop_column('evaluation', 'queue_id')
