"""The end of a hall's day (日终): the numbers its day left unserved are void.

A ticket still waiting, called but never come, or remote (its holder never arrived) when its
service day is over is cancelled, logged with reason "day_end", so that no line, window or
statistic carries it into the next day.

The day ends at midnight, hall time, not at the calendar's closing time: clerks serve the
citizens still in line after closing (延时服务), so closing time voids nothing. Tickets being
served are left to their clerk, who finishes them with their outcome."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from .errors import InvalidState
from .models import Hall, Ticket, TicketStatus
from .numbering import service_day
from .ticketing import cancel_ticket

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

UNSERVED = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.REMOTE)


def anything_left(uow: UnitOfWork, hall: Hall, since: date | None = None) -> bool:
    """Whether a day before today (from `since`, where given) left a ticket unserved."""
    found = _unserved(uow, hall, since).with_only_columns(Ticket.id).limit(1)
    return uow.session.scalar(found) is not None


def void_unserved(uow: UnitOfWork, hall: Hall, since: date | None = None) -> int:
    """Cancel the tickets days before today (from `since`, where given) left unserved; how
    many. One another process voided (or a clerk took) meanwhile is left as it is now."""
    voided = 0
    for ticket in uow.session.scalars(_unserved(uow, hall, since).order_by(Ticket.id)).all():
        try:
            cancel_ticket(uow, ticket, reason="day_end")
        except InvalidState:
            continue
        voided += 1
    return voided


def _unserved(uow: UnitOfWork, hall: Hall, since: date | None) -> Select[Ticket]:
    today = service_day(hall, uow.now())
    query = select(Ticket).where(Ticket.hall_id == hall.id, Ticket.service_day < today)
    if since is not None:
        query = query.where(Ticket.service_day >= since)
    return query.where(Ticket.status.in_(UNSERVED))
