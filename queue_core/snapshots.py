"""Read models shared by the API and the events: a window's and a queue's state now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from .events import QueueState, TicketCalled, WindowState
from .halls import hall_by_id
from .models import Hall, Queue, Ticket, TicketEvent, TicketEventKind, TicketStatus, Window, WindowStatus
from .numbering import day_start, service_day

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def record_touched(uow: UnitOfWork) -> None:
    """Before the commit: the state of every window and queue the transaction touched, as
    events, in a fixed order."""
    uow.session.flush()
    for _, window in sorted(uow.touched_windows.items()):
        uow.record(window_state(uow, window))
    for queue_id in sorted(uow.touched_queues):
        uow.record(queue_state(uow, queue_id))


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
        number=window.number,
        title=window.name,
        queues=[link.queue.code for link in window.queue_links],
        state=window_display_state(window, current),
        pause_reason=window.pause_reason,
        since=window.status_since,
        clerk={"name": window.clerk.name, "badge": window.clerk.badge} if window.clerk else None,
        current={
            "id": current.id,
            "number": current.number,
            "queue": current.queue.code,
            "status": current.status,
            "item": current.item.name if current.item_id and current.item else None,
            "since": current.started_at or current.called_at,
        }
        if current
        else None,
    )


_WAITING_BY_QUEUE = (
    select(Ticket.queue_id, func.count(), func.min(Ticket.issued_at))
    .where(Ticket.hall_id == bindparam("hall_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
    .group_by(Ticket.queue_id)
)
# Waiting tickets in the order their queue's windows call them (priority first, then by
# queued_at and id, as ticketing.waiting_ahead counts them): of one queue, or of a hall's.
# Ids only, read from the queue's line index: a line hundreds long costs a few integers each,
# not a row with a timestamp to parse; the oldest issue time is one aggregate beside it.
_CALL_ORDER = (Ticket.priority.is_(None), Ticket.queued_at, Ticket.id)
_WAITING_IN_QUEUE = (
    select(Ticket.id, Ticket.target_window_id)
    .where(Ticket.queue_id == bindparam("queue_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
    .order_by(*_CALL_ORDER)
)
_OLDEST_IN_QUEUE = select(func.min(Ticket.issued_at)).where(
    Ticket.queue_id == bindparam("queue_id"),
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.WAITING,
)
_WAITING_IN_HALL = (
    select(Ticket.queue_id, Ticket.id, Ticket.target_window_id)
    .where(Ticket.hall_id == bindparam("hall_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
    .order_by(Ticket.queue_id, *_CALL_ORDER)
)


def _queue_state(
    queue: Queue, waiting: Sequence[tuple[int, int | None]], oldest: datetime | None
) -> QueueState:
    """waiting: (ticket id, target window id) in call order."""
    return QueueState(
        hall_id=queue.hall_id,
        queue=queue.code,
        queue_name=queue.name,
        waiting=len(waiting),
        oldest_issued_at=oldest,
        # Those transferred to one window wait in that window's line, not the queue's.
        line=[ticket_id for ticket_id, target_window_id in waiting if target_window_id is None],
    )


def waiting_counts(uow: UnitOfWork, hall_id: int) -> dict[int, tuple[int, datetime]]:
    """Per queue id with tickets waiting today: how many, and the oldest one's issue time."""
    today = service_day(hall_by_id(uow, hall_id), uow.now())
    rows = uow.session.execute(_WAITING_BY_QUEUE, {"hall_id": hall_id, "day": today})
    return {queue_id: (n, oldest) for queue_id, n, oldest in rows}


def queue_state(uow: UnitOfWork, queue_id: int) -> QueueState:
    queue = uow.session.get(Queue, queue_id)
    assert queue is not None
    line = {"day": service_day(hall_by_id(uow, queue.hall_id), uow.now()), "queue_id": queue.id}
    # On the Core connection: through the session each of hundreds of rows would pass the
    # ORM's loading, several microseconds apiece, for two integers.
    waiting = uow.session.connection().execute(_WAITING_IN_QUEUE, line).all()
    oldest = uow.session.scalar(_OLDEST_IN_QUEUE, line)
    return _queue_state(queue, waiting, oldest)


# -- what a display is shown when it (re)connects ----------------------------------------


def queue_states(uow: UnitOfWork, hall: Hall) -> list[QueueState]:
    today = service_day(hall, uow.now())
    waiting: dict[int, list[tuple[int, int | None]]] = {}
    for queue_id, ticket_id, target_window_id in uow.session.connection().execute(
        _WAITING_IN_HALL, {"hall_id": hall.id, "day": today}
    ):
        waiting.setdefault(queue_id, []).append((ticket_id, target_window_id))
    oldest = {queue_id: since for queue_id, (_, since) in waiting_counts(uow, hall.id).items()}
    queues = uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position))
    return [_queue_state(q, waiting.get(q.id, []), oldest.get(q.id)) for q in queues]


def window_states(uow: UnitOfWork, hall: Hall) -> list[WindowState]:
    windows = uow.session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number))
    return [window_state(uow, w) for w in windows]


RECALLS_READ = 4  # calls read per ticket listed: recalls among the last calls are skipped


def recent_calls(uow: UnitOfWork, hall: Hall, limit: int = 12) -> list[TicketCalled]:
    """Today's last `limit` tickets called, newest first, each once: its newest call or
    recall, as its ticket_called event said (a board lists each ticket once)."""
    start = day_start(hall, uow.now())
    rows = uow.session.execute(
        select(TicketEvent, Ticket.number, Queue.code, Queue.name, Window.number, Window.name)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Queue, Queue.id == Ticket.queue_id)
        .join(Window, Window.id == TicketEvent.window_id)
        .where(TicketEvent.hall_id == hall.id, TicketEvent.at >= start)
        .where(TicketEvent.kind.in_([TicketEventKind.CALLED, TicketEventKind.RECALLED]))
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(limit * RECALLS_READ)
    )
    calls = [
        TicketCalled(
            hall_id=hall.id,
            ticket_id=event.ticket_id,
            number=number,
            queue=queue_code,
            queue_name=queue_name,
            window=window_number,
            window_name=window_name,
            recall=event.kind == TicketEventKind.RECALLED,
            at=event.at,
        )
        for event, number, queue_code, queue_name, window_number, window_name in rows
    ]
    latest: dict[int, TicketCalled] = {}  # each ticket's latest call (the rows come latest first)
    for call in calls:
        latest.setdefault(call.ticket_id, call)
    return list(latest.values())[:limit]
