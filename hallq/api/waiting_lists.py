"""The window panel's list of waiting tickets, to call one by a click (指定叫号)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from queue_core import desk
from queue_core.halls import window_by_number
from queue_core.models import Priority

from ..state import current_hall, state
from . import bp, doc
from .windows import STAFF


class WaitingTicketOut(BaseModel):
    id: int
    number: str
    queue: str
    queue_name: str
    item_name: str | None
    issued_at: datetime
    priority: Priority | None
    sent_here: bool = Field(description="Transferred to this very window")


@doc.operation(
    bp,
    "/windows/<int:number>/waiting",
    "GET",
    summary="List the tickets waiting for a window",
    tag="windows",
    roles=STAFF,
    responses={
        200: (
            f"Those waiting in its queues and those sent to it, in the order they queued (at most "
            f"{desk.WAITING_LIST_LIMIT})",
            WaitingTicketOut,
        ),
        404: ("No such window", None),
    },
)
def list_waiting(number: int) -> list[WaitingTicketOut]:
    """The panel reads it again whenever one of the window's queues changes (queue_state)."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        window = window_by_number(uow, hall.id, number)
        return [
            WaitingTicketOut(
                id=ticket.id,
                number=ticket.number,
                queue=ticket.queue.code,
                queue_name=ticket.queue.name,
                item_name=item_name,
                issued_at=ticket.issued_at,
                priority=ticket.priority,
                sent_here=ticket.target_window_id == window.id,
            )
            for ticket, item_name in desk.waiting_line(uow, hall, window)
        ]
