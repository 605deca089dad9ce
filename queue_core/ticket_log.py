"""Status-checked ticket transitions and the append-only event log they write."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select

from .checked import update_if
from .errors import InvalidState
from .events import TicketChanged
from .models import Queue, Staff, Ticket, TicketEvent, TicketEventKind, TicketStatus, Window

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


_INSERT_EVENT = insert(TicketEvent.__table__)
# A foreign key set by a transition makes its relationship stale.
_RELATION_OF_KEY = {"queue_id": "queue", "window_id": "window", "item_id": "item"}


# The steps that add a ticket to a queue's waiting line, take one out of it or move one in
# it: only these change what a queue board shows (a start or a finish would push the same
# count again).
CHANGES_WAITING = {
    TicketEventKind.ISSUED,
    TicketEventKind.ARRIVED,
    TicketEventKind.POSTPONED,
    TicketEventKind.CALLED,
    TicketEventKind.REQUEUED,
    TicketEventKind.TRANSFERRED,
    TicketEventKind.CANCELLED,
}


# The hall's one lock order, so that two transactions never wait for each other in a ring
# (PostgreSQL's deadlock): a window's row before a ticket's. A window's actions lock their
# window first (halls.window_by_number(lock=True)) and change its ticket after; a change made
# to a ticket from outside its window (a guide's cancel) goes through lock_with_window.
AT_A_WINDOW = {TicketStatus.CALLED, TicketStatus.SERVING}
# Locked and re-read in place (populate_existing): what another transaction committed shows.
_LOCK_WINDOW = (
    select(Window)
    .where(Window.id == bindparam("id"))
    .with_for_update(of=Window)
    .execution_options(populate_existing=True)
)
LOCK_TICKET = (
    select(Ticket)
    .where(Ticket.id == bindparam("id"))
    .with_for_update(of=Ticket)
    .execution_options(populate_existing=True)
)


def lock_with_window(uow: UnitOfWork, ticket: Ticket) -> Window | None:
    """Lock the ticket, and first the window it is at, in the hall's lock order; re-read both.

    Answers the window the ticket is called to or served at now, or None while it waits.
    Raises InvalidState when a window took it between our first read and the lock: we could
    only lock that window after the ticket, against the order. (SQLite's BEGIN IMMEDIATE
    already serialises writers, and SQLAlchemy drops FOR UPDATE there.)
    """
    seen_at = ticket.window_id if ticket.status in AT_A_WINDOW else None
    window = None
    if seen_at is not None:
        window = uow.session.scalar(_LOCK_WINDOW, {"id": seen_at})
    # fetched, so that the ticket's instance is refreshed in place
    uow.session.scalars(LOCK_TICKET, {"id": ticket.id}).one()
    now_at = ticket.window_id if ticket.status in AT_A_WINDOW else None
    if now_at is None:
        return None
    if now_at != seen_at:
        taken_by = uow.session.get(Window, now_at)
        raise InvalidState(
            f"ticket {ticket.number} was just {ticket.status} at window {taken_by.number if taken_by else now_at}",
            window=taken_by.number if taken_by else None,
        )
    return window


def transition(uow: UnitOfWork, ticket: Ticket, expected: Collection[str], **values: Any) -> None:
    """Update the ticket only where it is still in one of the expected states.

    The WHERE on status is what makes a concurrent second action fail cleanly instead of
    overwriting the first one's result.
    """
    if not update_if(uow, ticket, Ticket.status, expected, **values):
        wanted = " or ".join(sorted(expected))
        raise InvalidState(f"ticket {ticket.number} is {ticket.status}, not {wanted}")
    stale = [relation for key, relation in _RELATION_OF_KEY.items() if key in values]
    if stale:
        uow.session.expire(ticket, stale)


def log(
    uow: UnitOfWork,
    ticket: Ticket,
    kind: str,
    *,
    window: Window | None = None,
    staff_id: int | None = None,
    publish: bool = True,
    **detail: Any,
) -> None:
    """Append one step to the ticket's log and, unless told otherwise, announce it."""
    at = uow.now()
    # A table-level INSERT: the log is append-only and never read back in the transaction,
    # so the ORM's unit of work has nothing to add but cost.
    uow.session.execute(
        _INSERT_EVENT,
        {
            "hall_id": ticket.hall_id,
            "ticket_id": ticket.id,
            "kind": kind,
            "at": at,
            "queue_id": ticket.queue_id,
            "window_id": window.id if window else None,
            "staff_id": staff_id,
            "detail": detail,
        },
    )
    if kind in CHANGES_WAITING:
        uow.touch_queue(ticket.queue_id)
    if window is not None:
        uow.touch_window(window)
    if publish:
        uow.record(
            TicketChanged(
                hall_id=ticket.hall_id,
                ticket_id=ticket.id,
                number=ticket.number,
                queue=ticket.queue.code,
                status=ticket.status,
                step=kind,
                window=window.number if window else None,
                at=at,
            )
        )


@dataclass(frozen=True)
class Step:
    """One line of a ticket's history, as a guide or manager reads it."""

    kind: str
    at: datetime
    queue: str
    window: int | None
    window_name: str | None
    staff: str | None  # who did it, or allowed it (a guide's PIN, a guide's own login)
    badge: str | None
    detail: dict[str, Any]


def history(uow: UnitOfWork, ticket: Ticket) -> list[Step]:
    """The ticket's steps, oldest first, with the queue, window and person of each."""
    rows = uow.session.execute(
        select(TicketEvent, Queue.code, Window.number, Window.name, Staff.name, Staff.badge)
        .join(Queue, Queue.id == TicketEvent.queue_id)
        .outerjoin(Window, Window.id == TicketEvent.window_id)
        .outerjoin(Staff, Staff.id == TicketEvent.staff_id)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return [
        Step(event.kind, event.at, queue, window, window_name, staff, badge, dict(event.detail or {}))
        for event, queue, window, window_name, staff, badge in rows
    ]
