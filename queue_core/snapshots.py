"""Read models shared by the API and the events: a window's and a queue's state now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from .events import QueueState, WindowState
from .halls import hall_by_id
from .models import Queue, Ticket, TicketStatus, Window, WindowStatus
from .numbering import service_day

if TYPE_CHECKING:
    from .db import UnitOfWork


def window_display_state(window: Window, current: Ticket | None) -> str:
    if window.status != WindowStatus.OPEN:
        return window.status
    if current is None:
        return "idle"
    return current.status  # called or serving


def window_state(uow: UnitOfWork, window: Window) -> WindowState:
    current = uow.session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    return WindowState(
        hall_id=window.hall_id,
        window=window.number,
        window_name=window.name,
        state=window_display_state(window, current),
        pause_reason=window.pause_reason,
        since=window.status_since,
        current_number=current.number if current else None,
        clerk_name=window.clerk.name if window.clerk else None,
        clerk_badge=window.clerk.badge if window.clerk else None,
    )


_WAITING_BY_QUEUE = (
    select(Ticket.queue_id, func.count())
    .where(Ticket.hall_id == bindparam("hall_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
    .group_by(Ticket.queue_id)
)
_WAITING_IN_QUEUE = (
    select(func.count())
    .where(Ticket.queue_id == bindparam("queue_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
)


def waiting_counts(uow: UnitOfWork, hall_id: int) -> dict[int, int]:
    """Waiting tickets today per queue id."""
    today = service_day(hall_by_id(uow, hall_id), uow.now())
    rows = uow.session.execute(_WAITING_BY_QUEUE, {"hall_id": hall_id, "day": today})
    return {queue_id: n for queue_id, n in rows}


def _waiting_in_queue(uow: UnitOfWork, queue: Queue) -> int:
    today = service_day(hall_by_id(uow, queue.hall_id), uow.now())
    return uow.session.execute(_WAITING_IN_QUEUE, {"day": today, "queue_id": queue.id}).scalar_one()


def queue_state(uow: UnitOfWork, queue_id: int) -> QueueState:
    queue = uow.session.get(Queue, queue_id)
    assert queue is not None
    return QueueState(
        hall_id=queue.hall_id,
        queue=queue.code,
        queue_name=queue.name,
        waiting=_waiting_in_queue(uow, queue),
    )
