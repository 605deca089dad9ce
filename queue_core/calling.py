"""What a window does with tickets: call next, call a number, recall, start, finish,
no-show, transfer.

Call-next picks in three steps:
1. the class: priority tickets first, except that after ``hall.priority_fairness`` priority
   calls in a row a window serves one normal ticket (if one waits);
2. the pool: tickets transferred to this very window first, then the window's queues, in
   its order of preference, or by smooth weighted round-robin when the window gives weights;
3. the ticket: earliest ``queued_at`` in that pool and class.
Two windows never get the same ticket: SQLite serialises writers (BEGIN IMMEDIATE);
PostgreSQL skips rows another caller holds (FOR UPDATE SKIP LOCKED).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.sql.elements import ColumnElement

from . import evaluations, tallies, ticket_log
from .errors import InvalidState, NotFound
from .events import TicketCalled
from .hall_calendar import elapsed
from .halls import queue_by_code, window_by_number
from .models import (
    Hall,
    Outcome,
    Ticket,
    TicketEventKind,
    TicketStatus,
    Window,
    WindowQueue,
    WindowStatus,
)
from .numbering import service_day

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

DIRECT = -1  # pool key for tickets transferred to a specific window


@dataclass(frozen=True)
class Choice:
    pool: int  # a queue id, or DIRECT
    priority: bool


def call_next(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None) -> Ticket | None:
    """Call the next ticket to the window; None when nobody waits for it."""
    window = _free_window(uow, hall, window_number)
    day = service_day(hall, uow.now())
    waiting = _waiting_by_pool(uow, window, day)
    for choice in _preferences(hall, window, waiting):
        ticket = _take_head(uow, window, day, choice)
        if ticket is not None:
            _advance_rotation(window, choice, waiting)
            window.priority_streak = window.priority_streak + 1 if choice.priority else 0
            _call(uow, hall, window, ticket, staff_id)
            return ticket
    return None


def call_number(uow: UnitOfWork, hall: Hall, window_number: int, number: str, staff_id: int | None) -> Ticket:
    """Call a specific waiting ticket (指定叫号), whatever its queue."""
    window = _free_window(uow, hall, window_number)
    day = service_day(hall, uow.now())
    ticket = uow.session.scalar(
        select(Ticket)
        .where(Ticket.hall_id == hall.id, Ticket.service_day == day, Ticket.number == number)
        .where(Ticket.status == TicketStatus.WAITING)
        .order_by(Ticket.queued_at, Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Ticket)
    )
    if ticket is None:
        raise NotFound(f"no waiting ticket {number} today")
    _call(uow, hall, window, ticket, staff_id)
    return ticket


def recall(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None) -> Ticket:
    window, ticket = _current(uow, hall, window_number)
    ticket_log.transition(uow, ticket, {TicketStatus.CALLED}, call_count=ticket.call_count + 1)
    ticket_log.log(uow, ticket, TicketEventKind.RECALLED, window=window, staff_id=staff_id, publish=False)
    _announce_call(uow, window, ticket, recall=True)
    return ticket


def start(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None) -> Ticket:
    window, ticket = _current(uow, hall, window_number)
    ticket_log.transition(
        uow, ticket, {TicketStatus.CALLED}, status=TicketStatus.SERVING, started_at=uow.now()
    )
    ticket_log.log(uow, ticket, TicketEventKind.STARTED, window=window, staff_id=staff_id)
    return ticket


def finish(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None, outcome: Outcome) -> Ticket:
    window, ticket = _current(uow, hall, window_number)
    now = uow.now()
    ticket_log.transition(
        uow,
        ticket,
        {TicketStatus.SERVING},
        status=TicketStatus.FINISHED,
        finished_at=now,
        outcome=outcome,
        handle_seconds=_seconds(ticket.started_at, now) if ticket.started_at else None,
    )
    tallies.count_finished(uow, ticket)
    window.current_ticket_id = None
    ticket_log.log(uow, ticket, TicketEventKind.FINISHED, window=window, staff_id=staff_id, outcome=outcome)
    evaluations.request(uow, hall, ticket, window)
    return ticket


def no_show(
    uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None, *, requeue: bool
) -> Ticket:
    """Mark the called ticket absent (过号); optionally put it back once, keeping its number,
    at the end of its queue."""
    window, ticket = _current(uow, hall, window_number)
    if requeue:
        _check_requeue(hall, ticket)
    ticket_log.transition(uow, ticket, {TicketStatus.CALLED}, status=TicketStatus.NO_SHOW)
    window.current_ticket_id = None
    ticket_log.log(uow, ticket, TicketEventKind.NO_SHOW, window=window, staff_id=staff_id)
    if requeue:
        _requeue(uow, ticket, window, staff_id)
    return ticket


def requeue_no_show(uow: UnitOfWork, hall: Hall, ticket: Ticket, staff_id: int | None) -> Ticket:
    """A guide puts an absent ticket (过号) back at the end of its queue, keeping its number:
    its holder came back after the window moved on. Once, as at the window."""
    _check_requeue(hall, ticket)
    _requeue(uow, ticket, None, staff_id)
    return ticket


def may_requeue(hall: Hall, ticket: Ticket) -> bool:
    return ticket.status == TicketStatus.NO_SHOW and hall.requeue_no_show and ticket.requeue_count < 1


def _check_requeue(hall: Hall, ticket: Ticket) -> None:
    if not hall.requeue_no_show:
        raise InvalidState("this hall does not requeue no-shows")
    if ticket.requeue_count >= 1:
        raise InvalidState(f"ticket {ticket.number} was already requeued once")


def _requeue(uow: UnitOfWork, ticket: Ticket, window: Window | None, staff_id: int | None) -> None:
    ticket_log.transition(
        uow,
        ticket,
        {TicketStatus.NO_SHOW},
        status=TicketStatus.WAITING,
        queued_at=uow.now(),
        requeue_count=ticket.requeue_count + 1,
    )
    ticket_log.log(uow, ticket, TicketEventKind.REQUEUED, window=window, staff_id=staff_id)


def transfer_current(
    uow: UnitOfWork,
    hall: Hall,
    window_number: int,
    staff_id: int | None,
    *,
    to_queue: str | None = None,
    to_window: int | None = None,
    note: str = "",
) -> Ticket:
    _window, ticket = _current(uow, hall, window_number)
    return transfer(uow, hall, ticket, staff_id, to_queue=to_queue, to_window=to_window, note=note)


def transfer(
    uow: UnitOfWork,
    hall: Hall,
    ticket: Ticket,
    staff_id: int | None,
    *,
    to_queue: str | None = None,
    to_window: int | None = None,
    note: str = "",
) -> Ticket:
    """Move a waiting, called or serving ticket into another queue or to a specific window.
    It keeps its number and its original place by arrival (queued_at)."""
    if (to_queue is None) == (to_window is None):
        raise ValueError("transfer needs exactly one of to_queue and to_window")
    from_window = ticket.window if ticket.status != TicketStatus.WAITING else None
    from_queue_id = ticket.queue_id
    values: dict[str, object] = {"status": TicketStatus.WAITING, "transfer_count": ticket.transfer_count + 1}
    if to_queue is not None:
        queue = queue_by_code(uow, hall.id, to_queue)
        values |= {"queue_id": queue.id, "target_window_id": None}
        detail: dict[str, Any] = {"to_queue": queue.code}
    else:
        assert to_window is not None  # exactly one of them, checked above
        target = window_by_number(uow, hall.id, to_window)
        if from_window is not None and target.id == from_window.id:
            raise InvalidState(f"ticket {ticket.number} is already at window {target.number}")
        values |= {"target_window_id": target.id}
        detail = {"to_window": target.number}
    ticket_log.transition(
        uow, ticket, {TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING}, **values
    )
    if from_window is not None and from_window.current_ticket_id == ticket.id:
        from_window.current_ticket_id = None
    uow.touch_queue(from_queue_id)
    ticket_log.log(
        uow,
        ticket,
        TicketEventKind.TRANSFERRED,
        window=from_window,
        staff_id=staff_id,
        note=note,
        **detail,
    )
    return ticket


# -- selection --------------------------------------------------------------------------


# Built once (see ticketing): how many wait per line and class, each from its covering index.
_is_priority = Ticket.priority.is_not(None)
_WAITING_IN_QUEUES = (
    select(Ticket.queue_id, _is_priority, func.count())
    .where(
        Ticket.queue_id.in_(bindparam("queue_ids", expanding=True)), Ticket.service_day == bindparam("day")
    )
    .where(Ticket.status == TicketStatus.WAITING, Ticket.target_window_id.is_(None))
    .group_by(Ticket.queue_id, _is_priority)
)
_WAITING_AT_WINDOW = (
    select(_is_priority, func.count())
    .where(Ticket.target_window_id == bindparam("window_id"), Ticket.service_day == bindparam("day"))
    .where(Ticket.status == TicketStatus.WAITING)
    .group_by(_is_priority)
)


def _waiting_by_pool(uow: UnitOfWork, window: Window, day: date) -> dict[Choice, int]:
    queue_ids = [link.queue_id for link in window.queue_links]
    counts = {
        Choice(queue_id, bool(priority)): n
        for queue_id, priority, n in uow.session.execute(
            _WAITING_IN_QUEUES, {"queue_ids": queue_ids, "day": day}
        )
    }
    for priority, n in uow.session.execute(_WAITING_AT_WINDOW, {"window_id": window.id, "day": day}):
        counts[Choice(DIRECT, bool(priority))] = n
    return counts


def _preferences(hall: Hall, window: Window, waiting: dict[Choice, int]) -> list[Choice]:
    """Every non-empty (pool, class), best first."""
    fairness_due = window.priority_streak >= max(hall.priority_fairness, 1)
    classes = (False, True) if fairness_due else (True, False)
    order: list[Choice] = []
    for priority in classes:
        if waiting.get(Choice(DIRECT, priority)):
            order.append(Choice(DIRECT, priority))
        eligible = [link for link in window.queue_links if waiting.get(Choice(link.queue_id, priority))]
        order.extend(Choice(link.queue_id, priority) for link in _rank_queues(window, eligible))
    return order


def _is_weighted(window: Window) -> bool:
    return any(link.weight is not None for link in window.queue_links)


def _rank_queues(window: Window, eligible: list[WindowQueue]) -> list[WindowQueue]:
    """Preference order, or with weights the round-robin's pick first, then the rest."""
    if not _is_weighted(window) or not eligible:
        return eligible
    best = max(eligible, key=lambda link: (link.swrr_current + (link.weight or 1), -link.position))
    return [best] + [link for link in eligible if link is not best]


def _advance_rotation(window: Window, choice: Choice, waiting: dict[Choice, int]) -> None:
    """Smooth weighted round-robin (as in nginx): every queue with tickets gains its weight,
    the chosen one gives back the total. Over time each queue is served by weight, evenly."""
    if choice.pool == DIRECT or not _is_weighted(window):
        return
    eligible = [link for link in window.queue_links if waiting.get(Choice(link.queue_id, choice.priority))]
    total = sum(link.weight or 1 for link in eligible)
    for link in eligible:
        link.swrr_current += link.weight or 1
        if link.queue_id == choice.pool:
            link.swrr_current -= total


def _head_statement(direct: bool, priority: bool) -> Select[Ticket]:
    """The oldest waiting ticket of one pool (a queue's line, or those sent to the window) and
    class, locked: built once per pool kind and class, run with the pool's id and the day."""
    in_pool: ColumnElement[bool] = (
        Ticket.target_window_id == bindparam("pool")
        if direct
        else (Ticket.queue_id == bindparam("pool")) & Ticket.target_window_id.is_(None)
    )
    in_class = _is_priority if priority else Ticket.priority.is_(None)
    return (
        select(Ticket)
        .where(
            in_pool, Ticket.service_day == bindparam("day"), Ticket.status == TicketStatus.WAITING, in_class
        )
        .order_by(Ticket.queued_at, Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Ticket)
    )


_HEAD = {
    (direct, priority): _head_statement(direct, priority)
    for direct in (False, True)
    for priority in (False, True)
}


def _take_head(uow: UnitOfWork, window: Window, day: date, choice: Choice) -> Ticket | None:
    direct = choice.pool == DIRECT
    pool = window.id if direct else choice.pool
    return uow.session.scalar(_HEAD[direct, choice.priority], {"pool": pool, "day": day})


# -- shared steps -----------------------------------------------------------------------


def _free_window(uow: UnitOfWork, hall: Hall, window_number: int) -> Window:
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.status == WindowStatus.CLOSED:
        raise InvalidState(f"window {window.number} is closed: a clerk must sign in first")
    if window.status == WindowStatus.PAUSED:
        raise InvalidState(f"window {window.number} is paused: resume it first")
    if window.current_ticket_id is not None:
        current = uow.session.get(Ticket, window.current_ticket_id)
        assert current is not None
        raise InvalidState(
            f"window {window.number} still has ticket {current.number} ({current.status}): "
            "finish it, mark it no-show or transfer it first"
        )
    return window


def _current(uow: UnitOfWork, hall: Hall, window_number: int) -> tuple[Window, Ticket]:
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.current_ticket_id is None:
        raise InvalidState(f"window {window.number} has no current ticket")
    ticket = uow.session.get(Ticket, window.current_ticket_id)
    assert ticket is not None
    return window, ticket


def _call(uow: UnitOfWork, hall: Hall, window: Window, ticket: Ticket, staff_id: int | None) -> None:
    now = uow.now()
    # The wait in open time where the hall keeps its hours: a ticket taken before lunch and
    # called after it waited the morning's minutes and the afternoon's (docs/statistics.md).
    waited = elapsed(hall, ticket.issued_at, now)
    ticket_log.transition(
        uow,
        ticket,
        {TicketStatus.WAITING},
        status=TicketStatus.CALLED,
        window_id=window.id,
        clerk_id=staff_id,
        called_at=now,
        first_called_at=ticket.first_called_at or now,
        call_count=ticket.call_count + 1,
        wait_seconds=max(0, round(waited.total_seconds())),
    )
    window.current_ticket_id = ticket.id
    ticket_log.log(uow, ticket, TicketEventKind.CALLED, window=window, staff_id=staff_id, publish=False)
    _announce_call(uow, window, ticket, recall=False)


def _announce_call(uow: UnitOfWork, window: Window, ticket: Ticket, *, recall: bool) -> None:
    uow.record(
        TicketCalled(
            hall_id=ticket.hall_id,
            ticket_id=ticket.id,
            number=ticket.number,
            queue=ticket.queue.code,
            queue_name=ticket.queue.name,
            window=window.number,
            window_name=window.name,
            recall=recall,
            at=uow.now(),
        )
    )


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))
