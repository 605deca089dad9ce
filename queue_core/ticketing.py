"""Issuing tickets and following them: numbers, quotas, hours, people ahead, cancel."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, or_, select

from . import ticket_log
from .errors import InvalidState, LimitReached, QueueClosed, QuotaReached
from .events import TicketIssued
from .hall_calendar import HallCalendar
from .halls import item_by_id, queue_by_code
from .models import Hall, Priority, Queue, Ticket, TicketEventKind, TicketStatus
from .numbering import local_time, next_seq, service_day

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def ticket_for_request(uow: UnitOfWork, hall: Hall, request_id: str) -> Ticket | None:
    """The ticket an earlier request with this id already made (a retry or a double tap)."""
    return uow.session.scalar(
        select(Ticket).where(Ticket.hall_id == hall.id, Ticket.request_id == request_id)
    )


def issue_ticket(
    uow: UnitOfWork,
    hall: Hall,
    *,
    queue_code: str | None = None,
    item_id: int | None = None,
    priority: Priority | None = None,
    kiosk_id: str | None = None,
    request_id: str | None = None,
    authorised_by: int | None = None,
    holder: str | None = None,
    booked: bool = False,
) -> Ticket:
    """Issue a ticket for an item (in the item's queue) or straight into a queue. Callers
    that may repeat a request look for its ticket first (ticket_for_request); the unique
    request id is the backstop when two copies race. A booked ticket (an appointment's
    check-in) is held only to the queue being open that day: its slot was checked against
    the sessions when it was booked."""
    item = item_by_id(uow, hall.id, item_id) if item_id is not None else None
    if item is not None:
        queue = item.queue
    elif queue_code is not None:
        queue = queue_by_code(uow, hall.id, queue_code)
    else:
        raise ValueError("issue_ticket needs an item or a queue")

    now = uow.now()
    _check_open(hall, queue, now, booked=booked)
    day = service_day(hall, now)
    _check_holder(uow, queue, day, holder)
    _check_session_quota(uow, hall, queue, now)
    seq = next_seq(uow, queue.id, day)
    _check_capacity(hall, queue, seq, day)

    ticket = Ticket(
        hall_id=hall.id,
        queue_id=queue.id,
        origin_queue_id=queue.id,
        item_id=item.id if item else None,
        service_day=day,
        seq=seq,
        number=queue.format_number(seq),
        key=secrets.token_urlsafe(16),
        priority=priority,
        status=TicketStatus.WAITING,
        kiosk_id=kiosk_id,
        request_id=request_id,
        holder_digest=holder,
        issued_at=now,
        queued_at=now,
    )
    ticket.queue = queue
    uow.session.add(ticket)
    uow.session.flush()
    # staff_id on the issue step: the guide who allowed a priority ticket at a kiosk, or the
    # guide (manager, admin) who issued it for someone.
    ticket_log.log(uow, ticket, TicketEventKind.ISSUED, staff_id=authorised_by, publish=False, kiosk=kiosk_id)
    uow.record(
        TicketIssued(
            hall_id=hall.id,
            ticket_id=ticket.id,
            number=ticket.number,
            queue=queue.code,
            priority=priority,
            at=now,
        )
    )
    return ticket


def _check_open(hall: Hall, queue: Queue, now: datetime, *, booked: bool = False) -> None:
    """Where the hall keeps its hours, a queue takes tickets only within its sessions of a
    working day (queue_core.hall_calendar); a refusal says why and when it reopens. A booked
    ticket only needs the queue open that day (it may check in early, over lunch), so a day
    closed after the booking was made turns it away too."""
    if not hall.enforce_hours:
        return
    local = local_time(hall, now)
    calendar = HallCalendar.of_hall(hall)
    if booked and calendar.queue_sessions(queue, local.date()):
        return
    closed = calendar.closed_now(queue, local)
    if closed is None:
        return
    sessions = closed.sessions
    if closed.why == "not_yet" and len(sessions) == 1:
        message = f"queue {queue.code} takes tickets from {sessions[0][0]:%H:%M} to {sessions[0][1]:%H:%M}"
    elif closed.why == "not_yet":
        spans = ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in sessions)
        message = f"queue {queue.code} takes tickets at {spans}"
    elif closed.why == "break":
        message = f"queue {queue.code} is closed for the break between its sessions"
    elif closed.why == "over":
        message = f"queue {queue.code} gave its last ticket for today at {sessions[-1][1]:%H:%M}"
    else:
        message = f"queue {queue.code} takes no tickets today ({closed.reason})"
    raise QueueClosed(
        message,
        why=closed.why,
        day_off=closed.reason,
        reopens_at=closed.reopens_at.isoformat() if closed.reopens_at else None,
    )


def _check_holder(uow: UnitOfWork, queue: Queue, day: date, holder: str | None) -> None:
    """Where the queue limits tickets per person, the holder (a keyed hash of their ID number,
    see queue_core.identity) must be given and under the limit today."""
    if queue.id_limit is None:
        return
    if holder is None:
        raise InvalidState(f"queue {queue.code} needs the holder's ID number", needs="id_number")
    taken = uow.session.scalars(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.holder_digest == holder, Ticket.service_day == day, Ticket.origin_queue_id == queue.id)
    ).one()  # a count: one row
    if taken >= queue.id_limit:
        raise LimitReached(f"this ID number already has {taken} ticket(s) for queue {queue.code} today")


def _opening(hall: Hall, queue: Queue, day: date) -> str | None:
    """When the queue next takes tickets from `day` on, as local ISO time."""
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(hall.timezone))
    opens = HallCalendar.of_hall(hall).next_opening(queue, start - timedelta(microseconds=1))
    return opens.isoformat() if opens else None


def _check_session_quota(uow: UnitOfWork, hall: Hall, queue: Queue, now: datetime) -> None:
    """Where the queue has a quota per session, this session's tickets are under it."""
    calendar = HallCalendar.of_hall(hall)
    if queue.code not in calendar.spec.queues:  # the usual queue: no rules of its own, no cost
        return
    local = local_time(hall, now)
    found = calendar.session_quota(queue, local)
    if found is None:
        return
    (opens, closes), quota = found
    start, end = (datetime.combine(local.date(), t, tzinfo=local.tzinfo) for t in (opens, closes))
    taken = uow.session.scalars(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.origin_queue_id == queue.id, Ticket.service_day == local.date())
        .where(Ticket.issued_at >= start, Ticket.issued_at < end)
    ).one()  # a count: one row
    if taken >= quota:
        reopens = calendar.next_opening(queue, end)
        raise QuotaReached(
            f"queue {queue.code} has issued its {quota} tickets for the session {opens:%H:%M}-{closes:%H:%M}",
            why="session_quota",
            reopens_at=reopens.isoformat() if reopens else None,
        )


def _check_capacity(hall: Hall, queue: Queue, seq: int, day: date) -> None:
    if queue.daily_quota is not None and seq > queue.daily_quota:
        raise QuotaReached(
            f"queue {queue.code} has issued its {queue.daily_quota} tickets for today",
            reopens_at=_opening(hall, queue, day + timedelta(days=1)),
        )
    span = queue.number_end - queue.number_start + 1
    if not queue.wrap and seq > span:
        raise QuotaReached(
            f"queue {queue.code} has used all its numbers for today",
            reopens_at=_opening(hall, queue, day + timedelta(days=1)),
        )


# Built once: constructing SQL expressions costs more than running these queries. A
# ticket's line is the window it was transferred to, or else its queue; ahead of it are the
# waiting tickets of its line of a better class (priority before normal) or of its class
# and earlier (by queued_at, then id). One statement per kind of line, so that each can use
# its own index.
_is_priority = Ticket.priority.is_not(None)
_AHEAD_IN_LINE = (
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.WAITING,
    or_(
        _is_priority & ~bindparam("mine_priority"),
        (_is_priority == bindparam("mine_priority"))
        & (
            (Ticket.queued_at < bindparam("queued_at"))
            | ((Ticket.queued_at == bindparam("queued_at")) & (Ticket.id < bindparam("id")))
        ),
    ),
)
_AHEAD_IN_QUEUE = (
    select(func.count())
    .select_from(Ticket)
    .where(Ticket.queue_id == bindparam("line"), Ticket.target_window_id.is_(None), *_AHEAD_IN_LINE)
)
_AHEAD_AT_WINDOW = (
    select(func.count())
    .select_from(Ticket)
    .where(Ticket.target_window_id == bindparam("line"), *_AHEAD_IN_LINE)
)


def waiting_ahead(uow: UnitOfWork, ticket: Ticket) -> int:
    """How many tickets a window of this queue would call before this one.

    Priority tickets go before normal ones; within a class, earlier arrival first. The
    fairness rule can let a normal ticket slip between priority ones, so for a priority
    ticket this is an upper bound. For a remote ticket, how many are ahead of its place, which
    it takes when its holder arrives.
    """
    if ticket.status not in (TicketStatus.WAITING, TicketStatus.REMOTE):
        return 0
    at_window = ticket.target_window_id is not None
    params = {
        "line": ticket.target_window_id if at_window else ticket.queue_id,
        "day": ticket.service_day,
        "mine_priority": ticket.priority is not None,
        "queued_at": ticket.queued_at,
        "id": ticket.id,
    }
    return uow.session.execute(_AHEAD_AT_WINDOW if at_window else _AHEAD_IN_QUEUE, params).scalar_one()


CANCELLABLE = {TicketStatus.REMOTE, TicketStatus.WAITING, TicketStatus.CALLED}


def cancel_ticket(
    uow: UnitOfWork, ticket: Ticket, *, staff_id: int | None = None, reason: str | None = None
) -> None:
    """Cancel a ticket that is still waiting (or away, a remote one) or being called; frees
    its window. reason: logged with it, where the system cancels (e.g. "day_end").

    A guide cancels from outside the window, maybe at the instant its clerk acts on the same
    ticket: both rows are locked in the hall's order and re-read before anything changes."""
    window = ticket_log.lock_with_window(uow, ticket)
    ticket_log.transition(uow, ticket, CANCELLABLE, status=TicketStatus.CANCELLED)
    if window is not None and window.current_ticket_id == ticket.id:
        window.current_ticket_id = None
    detail: dict[str, Any] = {"reason": reason} if reason else {}
    ticket_log.log(uow, ticket, TicketEventKind.CANCELLED, window=window, staff_id=staff_id, **detail)
