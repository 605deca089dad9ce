"""What a clerk sees at their window (the panel): the load of the window's queues, tickets
transferred to the window, the note that came with a transfer and the clerk's day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from .models import (
    FinishedTally,
    Hall,
    Queue,
    ServiceItem,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    Window,
    WindowQueue,
)
from .numbering import service_day

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class QueueLoad:
    code: str
    name: str
    waiting: int
    oldest_issued_at: datetime | None


@dataclass(frozen=True)
class ClerkDay:
    served: int
    average_handle_seconds: int | None


_IN_QUEUE_LINE = (
    Ticket.queue_id == Queue.id,
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.WAITING,
    Ticket.target_window_id.is_(None),
)
# Per queue of the window, the count and the oldest from the queue's own indexes (a count of
# its line, a min seek), not a grouping of every ticket waiting in the hall.
_QUEUE_LOADS = (
    select(
        Queue.code,
        Queue.name,
        select(func.count()).where(*_IN_QUEUE_LINE).scalar_subquery(),
        select(func.min(Ticket.issued_at)).where(*_IN_QUEUE_LINE).scalar_subquery(),
    )
    .join(WindowQueue, WindowQueue.queue_id == Queue.id)
    .where(WindowQueue.window_id == bindparam("window_id"))
    .order_by(WindowQueue.position)
)


def queue_loads(uow: UnitOfWork, hall: Hall, window: Window) -> list[QueueLoad]:
    """The window's queues in its order, each with how many wait for it and since when."""
    rows = uow.session.execute(_QUEUE_LOADS, {"day": service_day(hall, uow.now()), "window_id": window.id})
    return [QueueLoad(code, name, n, oldest) for code, name, n, oldest in rows]


WAITING_LIST_LIMIT = 300


def waiting_line(uow: UnitOfWork, hall: Hall, window: Window) -> list[tuple[Ticket, str | None]]:
    """The tickets a clerk may call at the window, with their items' names: those waiting in
    its queues and those sent to it, in the order they queued (at most WAITING_LIST_LIMIT)."""
    queue_ids = [link.queue_id for link in window.queue_links]
    in_line = (Ticket.queue_id.in_(queue_ids) & Ticket.target_window_id.is_(None)) | (
        Ticket.target_window_id == window.id
    )
    query = (
        select(Ticket, ServiceItem.name)
        .outerjoin(ServiceItem, ServiceItem.id == Ticket.item_id)
        .where(Ticket.hall_id == hall.id, Ticket.service_day == service_day(hall, uow.now()))
        .where(Ticket.status == TicketStatus.WAITING, in_line)
        .order_by(Ticket.queued_at, Ticket.id)
        .limit(WAITING_LIST_LIMIT)
    )
    return [(ticket, item_name) for ticket, item_name in uow.session.execute(query)]


def transfer_note(uow: UnitOfWork, ticket: Ticket) -> str | None:
    """The note of the ticket's latest transfer, if it has one."""
    if not ticket.transfer_count:
        return None  # never transferred: no log to read
    detail = uow.session.scalar(
        select(TicketEvent.detail)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == TicketEventKind.TRANSFERRED)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return (detail or {}).get("note") or None


_WAITING_AT_WINDOW = (
    select(func.count())
    .where(Ticket.target_window_id == bindparam("window_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
    .scalar_subquery()
)
_CLERK_TALLIES = (
    FinishedTally.clerk_id == bindparam("clerk_id"),
    FinishedTally.service_day == bindparam("day"),
)
_WINDOW_DAY = select(
    _WAITING_AT_WINDOW,
    select(func.sum(FinishedTally.finished)).where(*_CLERK_TALLIES).scalar_subquery(),
    select(func.sum(FinishedTally.handle_sum) * 1.0 / func.nullif(func.sum(FinishedTally.handled), 0))
    .where(*_CLERK_TALLIES)
    .scalar_subquery(),
)


def window_day(
    uow: UnitOfWork, hall: Hall, window: Window, clerk_id: int | None
) -> tuple[int, ClerkDay | None]:
    """In one read: how many wait in the window's own line (transferred to it), and, for a
    clerk, the tickets they finished today (at any window) and their average handling time."""
    params = {"window_id": window.id, "day": service_day(hall, uow.now()), "clerk_id": clerk_id}
    waiting, served, average = uow.session.execute(_WINDOW_DAY, params).one()
    if clerk_id is None:
        return waiting, None
    return waiting, ClerkDay(served or 0, round(average) if average is not None else None)
