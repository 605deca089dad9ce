"""Windows as the boards, the panels and the front page show them: state, clerk and current
ticket; and a clerk's whole panel, which the panel page draws from one answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from queue_core import UnitOfWork, desk
from queue_core.models import Hall, ServiceItem, Ticket, Window
from queue_core.snapshots import window_state

from .tickets import TicketOut, ticket_out


class ClerkOut(BaseModel):
    name: str
    badge: str


class CurrentTicketOut(BaseModel):
    id: int
    number: str
    queue: str
    status: str
    item: str | None
    since: datetime | None = Field(description="When it was called, or started once it is being served")


class WindowOut(BaseModel):
    number: int
    name: str
    queues: list[str]
    state: str = Field(description="closed, idle, called, serving or paused")
    pause_reason: str | None
    since: datetime | None
    clerk: ClerkOut | None
    current: CurrentTicketOut | None


class QueueLoadOut(BaseModel):
    code: str
    name: str
    waiting: int
    oldest_issued_at: datetime | None = Field(description="When the longest-waiting ticket was issued")


class ClerkDayOut(BaseModel):
    served: int = Field(description="Tickets the clerk finished today")
    average_handle_seconds: int | None = Field(description="From start (开始办理) to finish (办结)")


class PanelOut(BaseModel):
    """Everything a clerk's window panel shows."""

    window: WindowOut
    yours: bool = Field(description="The caller may act here: the clerk signed in, a manager, its caller")
    ticket: TicketOut | None = Field(description="The ticket called to or served at the window")
    transfer_note: str | None = Field(description="The note of the transfer that brought the ticket here")
    queues: list[QueueLoadOut] = Field(description="The window's queues, in its order of preference")
    waiting_here: int = Field(description="Tickets transferred to this very window, waiting")
    today: ClerkDayOut | None = Field(description="The signed-in clerk's day so far")


class WindowActionOut(PanelOut):
    """A clerk's action: the panel after it, and the ticket it moved."""

    acted_on: TicketOut | None = Field(
        description="The ticket the action called, started, finished, marked absent or transferred: "
        "after a finish it is no longer the window's"
    )


def _tickets_by_id(uow: UnitOfWork, ids: list[int]) -> dict[int, Ticket]:
    """Those already in the session as they are; the rest in one query."""
    found: dict[int, Ticket] = {}
    for ticket_id in ids:
        ticket = uow.session.identity_map.get(identity_key(Ticket, ticket_id))
        if ticket is not None:
            found[ticket_id] = ticket
    missing = [i for i in ids if i not in found]
    if missing:
        found |= {t.id: t for t in uow.session.scalars(select(Ticket).where(Ticket.id.in_(missing)))}
    return found


def windows_out(uow: UnitOfWork, windows: list[Window]) -> list[WindowOut]:
    """The windows as the API answers them, and as their `window_state` pushes say (one shape:
    queue_core.snapshots.window_state makes both)."""
    # Their tickets and those tickets' items in two queries, not two per window.
    tickets = _tickets_by_id(uow, [w.current_ticket_id for w in windows if w.current_ticket_id])
    item_ids = [t.item_id for t in tickets.values() if t.item_id]
    if item_ids:
        list(uow.session.scalars(select(ServiceItem).where(ServiceItem.id.in_(item_ids))))
    return [WindowOut.model_validate(window_state(uow, window).payload()) for window in windows]


def panel_out(uow: UnitOfWork, hall: Hall, window: Window, *, yours: bool, private: bool = True) -> PanelOut:
    """yours: whether the one asking may act at the window now (the caller decides).
    private=False: only what the window's board shows too, for another clerk."""
    ticket = (
        uow.session.get(Ticket, window.current_ticket_id) if window.current_ticket_id and private else None
    )
    waiting_here, today = desk.window_day(uow, hall, window, window.clerk_id if private else None)
    return PanelOut(
        window=windows_out(uow, [window])[0],
        yours=yours,
        ticket=ticket_out(uow, ticket) if ticket else None,
        transfer_note=desk.transfer_note(uow, ticket) if ticket else None,
        queues=[QueueLoadOut(**vars(load)) for load in desk.queue_loads(uow, hall, window)],
        waiting_here=waiting_here,
        today=ClerkDayOut(**vars(today)) if today else None,
    )
