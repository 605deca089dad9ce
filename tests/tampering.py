"""Changing the audit trail behind the application's back, as an intruder with the database's
owner rights would: on PostgreSQL the append-only trigger is set aside for the transaction
(session_replication_role, which only a superuser may set), on SQLite nothing stands in the way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import delete, select, text

from queue_core import Database, UnitOfWork, audit
from queue_core.models import AuditEntry


@contextmanager
def tampering(db: Database) -> Iterator[UnitOfWork]:
    with db.write() as uow:
        if uow.is_postgres:
            uow.session.execute(text("SET LOCAL session_replication_role = replica"))
        yield uow


def cut_tail(db: Database, hall_id: int, keep: int) -> None:
    """Delete every entry of the hall after the first `keep`."""
    with tampering(db) as uow:
        ids = uow.session.scalars(
            select(AuditEntry.id).where(AuditEntry.hall_id == hall_id).order_by(AuditEntry.id)
        ).all()
        uow.session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids[keep:])))


def rewrite_from(db: Database, hall_id: int, entry_id: int, change: Callable[[AuditEntry], None]) -> None:
    """Change entry `entry_id` and recompute its hash and those of every entry after it: the
    chain holds again, only its hashes from there on are new."""
    with tampering(db) as uow:
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.hall_id == hall_id).order_by(AuditEntry.id)
        ).all()
        previous = audit.GENESIS
        for entry in entries:
            if entry.id == entry_id:
                change(entry)
            if entry.id >= entry_id:
                entry.prev_hash = previous
                entry.hash = audit.entry_hash(entry)
            previous = entry.hash
