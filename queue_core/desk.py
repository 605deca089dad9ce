"""What a clerk sees at their window (the panel): the load of the window's queues, tickets
transferred to the window, the note that came with a transfer and the clerk's day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from .models import Hall, Queue, Ticket, TicketEvent, TicketEventKind, TicketStatus, Window, WindowQueue
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


def waiting_at_window(uow: UnitOfWork, hall: Hall, window: Window) -> int:
    day = service_day(hall, uow.now())
    return uow.session.scalar(
        select(func.count())
        .where(Ticket.target_window_id == window.id, Ticket.service_day == day)
        .where(Ticket.status == TicketStatus.WAITING)
    )


def transfer_note(uow: UnitOfWork, ticket: Ticket) -> str | None:
    """The note of the ticket's latest transfer, if it has one."""
    detail = uow.session.scalar(
        select(TicketEvent.detail)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == TicketEventKind.TRANSFERRED)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    return (detail or {}).get("note") or None


def clerk_day(uow: UnitOfWork, hall: Hall, staff_id: int) -> ClerkDay:
    """Tickets the clerk finished today (at any window) and their average handling time."""
    day = service_day(hall, uow.now())
    served, average = uow.session.execute(
        # By clerk, not hall (a clerk belongs to one hall): so SQLite reads the clerk's day from
        # ix_ticket_clerk_day, not the whole hall's day from the statistics index.
        select(func.count(), func.avg(Ticket.handle_seconds)).where(
            Ticket.service_day == day,
            Ticket.clerk_id == staff_id,
            Ticket.status == TicketStatus.FINISHED,
        )
    ).one()
    return ClerkDay(served, round(average) if average is not None else None)
