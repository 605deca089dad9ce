"""The audit trail: one entry per write done while someone acts, chained by hash, so that an
edited or deleted entry is found; on PostgreSQL concurrent writers keep one chain."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select, update

from queue_core import audit
from queue_core.calling import call_next
from queue_core.models import AuditEntry
from queue_core.ticketing import issue_ticket
from tests.core.helpers import issue, open_windows
from tests.tampering import tampering

both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def acting(hall, who="clerk1", action="api.call_next"):
    return audit.acting_as(
        audit.Actor(hall.id, "staff", who, "办事员", "10.0.0.7", action, "/api/v1/windows/1/call-next")
    )


def entries(db, hall) -> list[AuditEntry]:
    with db.read() as uow:
        return list(
            uow.session.scalars(
                select(AuditEntry).where(AuditEntry.hall_id == hall.id).order_by(AuditEntry.id)
            )
        )


@both_databases
def test_each_action_is_an_entry_naming_who_what_when_and_where(db, hall, clock):
    open_windows(db, hall, 1)  # no one acting: set-up leaves no entry
    issue(db, hall)
    assert entries(db, hall) == []
    with acting(hall), db.write() as uow:
        call_next(uow, hall, 1, None)
    [entry] = entries(db, hall)
    assert (entry.actor_kind, entry.actor_id, entry.address, entry.action) == (
        "staff",
        "clerk1",
        "10.0.0.7",
        "api.call_next",
    )
    assert entry.at == clock.now() and entry.prev_hash == audit.GENESIS
    called = entry.detail["events"][0]
    assert (called["event"], called["number"], called["window"]) == ("ticket_called", "A001", 1)
    assert all(e["event"] not in ("window_state", "queue_state") for e in entry.detail["events"])


@both_databases
def test_verify_finds_the_first_edited_or_deleted_entry(db, hall):
    for n in range(5):
        with acting(hall, f"clerk{n}"), db.write() as uow:
            issue_ticket(uow, hall, queue_code="A")
    with db.read() as uow:
        verdict = audit.verify(uow, hall.id)
    ids = [e.id for e in entries(db, hall)]
    assert (verdict.entries, verdict.broken) == (5, None) and verdict.last_hash == entries(db, hall)[-1].hash

    with tampering(db) as uow:  # someone changes who did the third
        uow.session.execute(update(AuditEntry).where(AuditEntry.id == ids[2]).values(actor_id="clerk9"))
    with db.read() as uow:
        verdict = audit.verify(uow, hall.id)
    assert (verdict.broken.id, verdict.entries) == (ids[2], 2) and "edited" in verdict.problem

    with tampering(db) as uow:  # ...and then removes it instead
        uow.session.execute(delete(AuditEntry).where(AuditEntry.id == ids[2]))
    with db.read() as uow:
        verdict = audit.verify(uow, hall.id)
    assert verdict.broken.id == ids[3] and "deleted" in verdict.problem


@both_databases
def test_concurrent_writers_keep_one_chain(db, hall):
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(5):
                with acting(hall, f"kiosk{n}", "api.create_ticket"), db.write() as uow:
                    issue_ticket(uow, hall, queue_code="B")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as uow:
        verdict = audit.verify(uow, hall.id)
    assert (verdict.entries, verdict.broken) == (40, None)
