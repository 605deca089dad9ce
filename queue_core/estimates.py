"""How long a citizen will wait: from today's actual service times, not a constant."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from .models import Ticket, TicketStatus, Window, WindowQueue, WindowStatus

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

_MEAN_HANDLING_TODAY = select(func.avg(Ticket.handle_seconds)).where(
    Ticket.queue_id == bindparam("queue_id"),
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.FINISHED,
    Ticket.handle_seconds.is_not(None),
)
_OPEN_WINDOWS_OF_QUEUE = (
    select(func.count())
    .select_from(WindowQueue)
    .join(Window)
    .where(WindowQueue.queue_id == bindparam("queue_id"), Window.status == WindowStatus.OPEN)
)


def estimated_wait_seconds(
    uow: UnitOfWork, ticket: Ticket, ahead: int, open_windows: int | None = None
) -> int | None:
    """People ahead (as ticketing.waiting_ahead counts them; the caller has that figure
    already) × today's mean handling time in the queue ÷ its open windows (counted here
    unless the caller, having read the queue's windows already, gives their number).

    None when there is nothing honest to say yet: no service finished in the queue today, or
    no window open for it. Windows that also serve other queues are counted whole, so the
    estimate leans short when the hall is busy elsewhere.
    """
    if ticket.status != TicketStatus.WAITING:
        return 0 if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING) else None
    params = {"queue_id": ticket.queue_id, "day": ticket.service_day}
    mean = uow.session.execute(_MEAN_HANDLING_TODAY, params).scalar_one()
    windows = (
        open_windows
        if open_windows is not None
        else uow.session.execute(_OPEN_WINDOWS_OF_QUEUE, {"queue_id": ticket.queue_id}).scalar_one()
    )
    return wait_for(ahead, mean, windows)


def wait_for(ahead: int, mean_handling: float | None, open_windows: int) -> int | None:
    """Seconds: people ahead × the mean handling time ÷ the open windows; None without a
    service finished today or a window open."""
    if mean_handling is None or open_windows == 0:
        return None
    return round(ahead * float(mean_handling) / open_windows)


def queue_figures(uow: UnitOfWork, hall_id: int, day: date) -> dict[int, tuple[float | None, int]]:
    """Per queue of the hall: (today's mean handling seconds or None, its open windows), in
    two grouped reads, for the waits of tickets not taken yet (the kiosk's tiles)."""
    means = dict(
        uow.session.execute(
            select(Ticket.queue_id, func.avg(Ticket.handle_seconds))
            .where(
                Ticket.hall_id == hall_id, Ticket.service_day == day, Ticket.status == TicketStatus.FINISHED
            )
            .where(Ticket.handle_seconds.is_not(None))
            .group_by(Ticket.queue_id)
        ).all()
    )
    windows = dict(
        uow.session.execute(
            select(WindowQueue.queue_id, func.count())
            .join(Window)
            .where(Window.hall_id == hall_id, Window.status == WindowStatus.OPEN)
            .group_by(WindowQueue.queue_id)
        ).all()
    )
    return {
        queue_id: (means.get(queue_id), windows.get(queue_id, 0))
        for queue_id in means.keys() | windows.keys()
    }
