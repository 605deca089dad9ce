"""Turning domain rows into API responses (shared by the views)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm.util import identity_key

from queue_core import UnitOfWork
from queue_core.errors import Invalid
from queue_core.estimates import estimated_wait_seconds
from queue_core.models import Hall, ServiceItem, Ticket, Window, WindowQueue
from queue_core.numbering import service_day
from queue_core.snapshots import window_display_state
from queue_core.ticketing import waiting_ahead

from .schemas import ClerkOut, CurrentTicketOut, IssuedTicketOut, Period, TicketOut, WindowBrief, WindowOut

_WINDOWS_OF_QUEUE = (
    select(Window.number, Window.name)
    .join(WindowQueue)
    .where(WindowQueue.queue_id == bindparam("queue_id"))
    .order_by(Window.number)
)


def ticket_out(uow: UnitOfWork, ticket: Ticket, *, with_key: bool = False) -> TicketOut:
    window = ticket.window if ticket.window_id else None
    if ticket.target_window_id is not None:
        target = uow.session.get(Window, ticket.target_window_id)
        serving = [WindowBrief(number=target.number, name=target.name)] if target else []
    else:
        rows = uow.session.execute(_WINDOWS_OF_QUEUE, {"queue_id": ticket.queue_id})
        serving = [WindowBrief(number=number, name=name) for number, name in rows]
    ahead = waiting_ahead(uow, ticket)
    fields = dict(
        id=ticket.id,
        number=ticket.number,
        queue=ticket.queue.code,
        queue_name=ticket.queue.name,
        item_id=ticket.item_id,
        item_name=ticket.item.name if ticket.item_id and ticket.item else None,
        priority=ticket.priority,
        status=ticket.status,
        waiting_ahead=ahead,
        estimated_wait_seconds=estimated_wait_seconds(uow, ticket, ahead),
        issued_at=ticket.issued_at,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        window=WindowBrief(number=window.number, name=window.name) if window else None,
        windows=serving,
    )
    return IssuedTicketOut(**fields, key=ticket.key) if with_key else TicketOut(**fields)


def _tickets_by_id(uow: UnitOfWork, ids: list[int]) -> dict[int, Ticket]:
    """Those already in the session as they are; the rest in one query."""
    found: dict[int, Ticket] = {}
    for ticket_id in ids:
        ticket = uow.session.identity_map.get(identity_key(Ticket, ticket_id))
        if ticket is not None:
            found[ticket_id] = ticket  # type: ignore[assignment]
    missing = [i for i in ids if i not in found]
    if missing:
        found |= {t.id: t for t in uow.session.scalars(select(Ticket).where(Ticket.id.in_(missing)))}
    return found


def windows_out(uow: UnitOfWork, windows: list[Window]) -> list[WindowOut]:
    tickets = _tickets_by_id(uow, [w.current_ticket_id for w in windows if w.current_ticket_id])
    item_ids = [t.item_id for t in tickets.values() if t.item_id]
    names = select(ServiceItem.id, ServiceItem.name).where(ServiceItem.id.in_(item_ids))
    item_names = {item_id: name for item_id, name in uow.session.execute(names)} if item_ids else {}
    result = []
    for window in windows:
        current = tickets.get(window.current_ticket_id) if window.current_ticket_id else None
        result.append(
            WindowOut(
                number=window.number,
                name=window.name,
                queues=[link.queue.code for link in window.queue_links],
                state=window_display_state(window, current),
                pause_reason=window.pause_reason,
                since=window.status_since,
                clerk=ClerkOut(name=window.clerk.name, badge=window.clerk.badge) if window.clerk else None,
                current=CurrentTicketOut(
                    id=current.id,
                    number=current.number,
                    queue=current.queue.code,
                    status=current.status,
                    item=item_names.get(current.item_id) if current.item_id else None,
                )
                if current
                else None,
            )
        )
    return result


def period(uow: UnitOfWork, hall: Hall, query: Period) -> tuple[date, date]:
    """The first and last service day a query asks for: today when it names none."""
    try:
        first = date.fromisoformat(query.from_) if query.from_ else service_day(hall, uow.now())
        last = date.fromisoformat(query.to) if query.to else first
    except ValueError as exc:
        raise Invalid(f"not a date: {exc}") from exc
    if last < first:
        raise Invalid(f"the period ends ({last}) before it begins ({first})")
    return first, last
