"""我需要多一点时间: a citizen whose turn is near but who is not ready (a document to fetch, a
photocopy to make) moves their waiting ticket back a few places in its line, once, from the
phone page, instead of missing their call. The hall sets how many places ([hall]
postpone_places; 0 turns it off).

The ticket keeps its number and its issue time (its wait is counted from then); only its
place in the line (queued_at) moves: a microsecond behind the ticket that many places after it
in its pool (its queue, or the window it was sent to) and class (priority or not), or to the
end of the line when fewer wait behind it. (Tickets taken in the very same microsecond as
that one would fall behind it too: the system clock does not give two tickets one.)"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from . import ticket_log
from .errors import InvalidState, LimitReached, NotPermitted
from .models import Ticket, TicketEvent, TicketEventKind, TicketStatus

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

JUST_BEHIND = timedelta(microseconds=1)


def postpone(uow: UnitOfWork, ticket: Ticket, places: int) -> int:
    """Move the waiting ticket back `places` places in its line, once; how many places it
    moved (fewer when fewer wait behind it)."""
    if places <= 0:
        raise NotPermitted("this hall does not postpone tickets", why="postpone_off")
    ticket_log.lock_with_window(uow, ticket)
    if ticket.status != TicketStatus.WAITING:
        raise InvalidState(
            f"ticket {ticket.number} is {ticket.status}: only a waiting ticket moves back", why="not_waiting"
        )
    once = exists().where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == TicketEventKind.POSTPONED)
    if uow.session.scalar(select(once)):
        raise LimitReached(f"ticket {ticket.number} was already postponed: once only", why="postponed_once")
    in_pool = (
        Ticket.target_window_id == ticket.target_window_id
        if ticket.target_window_id is not None
        else (Ticket.queue_id == ticket.queue_id) & Ticket.target_window_id.is_(None)
    )
    in_class = Ticket.priority.is_(None) if ticket.priority is None else Ticket.priority.is_not(None)
    behind = list(
        uow.session.scalars(
            select(Ticket.queued_at)
            .where(
                in_pool,
                in_class,
                Ticket.service_day == ticket.service_day,
                Ticket.status == TicketStatus.WAITING,
            )
            .where(
                (Ticket.queued_at > ticket.queued_at)
                | ((Ticket.queued_at == ticket.queued_at) & (Ticket.id > ticket.id))
            )
            .order_by(Ticket.queued_at, Ticket.id)
            .limit(places)
        )
    )
    if not behind:
        raise InvalidState(
            f"nobody waits behind ticket {ticket.number}: it is last already", why="last_in_line"
        )
    ticket_log.transition(uow, ticket, {TicketStatus.WAITING}, queued_at=behind[-1] + JUST_BEHIND)
    ticket_log.log(uow, ticket, TicketEventKind.POSTPONED, places=len(behind))
    return len(behind)
