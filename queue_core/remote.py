"""Remote tickets (远程取号): a citizen takes a ticket on the phone before coming. It has its
number but waits in no line (status remote) until its holder arrives, at the hall's door
(its QR code) or at a kiosk (the ID card); it then enters its queue's line in its place by
the time it was taken. One still away when its turn has come (a ticket taken after it has
been called) is kept [booking] remote_grace_minutes, then cancelled by the sweeper.

Off unless a queue is listed in [booking] remote_queues; limited per person (the keyed hash
of the ID number) and day."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from . import ticket_log
from .errors import LimitReached, NotPermitted
from .halls import item_by_id
from .models import Hall, Ticket, TicketEventKind, TicketStatus
from .numbering import service_day
from .spec import BookingSpec
from .ticketing import issue_ticket

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


# Where a remote ticket was taken, in the ticket's kiosk column: no kiosk prints it, and the
# person's day's share is counted by it.
TAKEN_ON_PHONE = "phone"


def take(uow: UnitOfWork, hall: Hall, item_id: int, holder: str) -> Ticket:
    """A remote ticket for the item, where its queue takes them and the person has not
    taken their day's share; the queue must be open now, as for any ticket."""
    rules = BookingSpec.of_hall(hall)
    item = item_by_id(uow, hall.id, item_id)
    queue = item.queue
    if queue.code not in rules.remote_queues:
        raise NotPermitted(
            f"queue {queue.code} takes no remote tickets: take one at the hall", why="no_remote"
        )
    taken = uow.session.scalars(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.holder_digest == holder, Ticket.origin_queue_id == queue.id)
        .where(Ticket.service_day == service_day(hall, uow.now()), Ticket.kiosk_id == TAKEN_ON_PHONE)
    ).one()  # a count: one row
    if taken >= rules.remote_per_day:
        raise LimitReached(
            f"this ID number has taken its {rules.remote_per_day} remote ticket(s) for queue {queue.code} today",
            why="remote_limit",
        )
    ticket = issue_ticket(uow, hall, item_id=item.id, holder=holder, kiosk_id=TAKEN_ON_PHONE)
    ticket.status = TicketStatus.REMOTE  # issued, and in no line until its holder arrives
    uow.session.flush()
    return ticket


def arrive(uow: UnitOfWork, hall: Hall, ticket: Ticket) -> Ticket:
    """Its holder is here: the ticket enters its line, in its place by its issue time."""
    ticket_log.transition(uow, ticket, {TicketStatus.REMOTE}, status=TicketStatus.WAITING)
    ticket_log.log(uow, ticket, TicketEventKind.ARRIVED)
    return ticket


def remote_today(uow: UnitOfWork, hall: Hall, holder: str) -> Ticket | None:
    """The person's remote ticket of today still waiting for them, if any (the earliest)."""
    return uow.session.scalar(
        select(Ticket)
        .where(Ticket.hall_id == hall.id, Ticket.holder_digest == holder)
        .where(Ticket.service_day == service_day(hall, uow.now()), Ticket.status == TicketStatus.REMOTE)
        .order_by(Ticket.issued_at)
        .limit(1)
    )


def passed(uow: UnitOfWork, hall: Hall) -> list[Ticket]:
    """The remote tickets whose holders are still away remote_grace_minutes after their turn
    came: a ticket of their queue taken after them was called by then."""
    rules = BookingSpec.of_hall(hall)
    if not rules.remote_queues:
        return []
    grace = timedelta(minutes=rules.remote_grace_minutes)
    now = uow.now()
    later = aliased(Ticket)
    return list(
        uow.session.scalars(
            select(Ticket)
            .where(Ticket.hall_id == hall.id, Ticket.status == TicketStatus.REMOTE)
            .where(Ticket.service_day == service_day(hall, now))
            .where(
                exists().where(
                    and_(
                        later.queue_id == Ticket.queue_id,
                        later.service_day == Ticket.service_day,
                        or_(  # after it in the line's order: by queued_at, then id
                            later.queued_at > Ticket.queued_at,
                            and_(later.queued_at == Ticket.queued_at, later.id > Ticket.id),
                        ),
                        later.first_called_at.is_not(None),
                        later.first_called_at < now - grace,
                    )
                )
            )
        )
    )


def cancel_passed(uow: UnitOfWork, hall: Hall) -> int:
    """Cancel the tickets `passed` finds (the sweeper's, with the alarms' scan)."""
    found = passed(uow, hall)
    for ticket in found:
        ticket_log.transition(uow, ticket, {TicketStatus.REMOTE}, status=TicketStatus.CANCELLED)
        ticket_log.log(uow, ticket, TicketEventKind.CANCELLED, reason="remote_not_arrived")
    return len(found)
