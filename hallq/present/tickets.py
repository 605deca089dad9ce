"""Tickets as the API answers them and the kiosk and phone pages show them: with the windows
that serve them, how many are ahead, and their latest print job; and appointments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, select

from queue_core import UnitOfWork
from queue_core.estimates import estimated_wait_seconds
from queue_core.models import (
    Appointment,
    PrintRecord,
    PrintStatus,
    Priority,
    Ticket,
    Window,
    WindowQueue,
    WindowStatus,
)
from queue_core.printing import latest_print_job
from queue_core.ticketing import waiting_ahead


class WindowBrief(BaseModel):
    number: int
    name: str
    name_en: str = Field("", description="What it does, in English; empty where none is written")


def window_brief(window: Window) -> WindowBrief:
    return WindowBrief(number=window.number, name=window.name, name_en=window.name_en)


class PrintOut(BaseModel):
    job_id: int
    queued: bool = Field(
        description="Waiting for or being printed (queued or claimed); false when every printer of the kiosk "
        "is out of order, or once it ended"
    )
    status: Literal["queued", "claimed", "printed", "sent", "failed", "abandoned"] = Field(
        description="queued: waiting for its printer's agent; claimed: being printed; printed: the printer "
        "reported itself fine afterwards; sent: every byte went out but the printer does not report its "
        "state; failed: see error; abandoned: not printed in time (the citizen had gone)"
    )
    printer: str | None
    reprinted: bool = Field(description="Printed a second time (marked 重打) after a printer was interrupted")
    error: str | None
    problems: list[str] = Field(
        description="What could not be printed as laid out, such as a character the printer's encoding lacks"
    )
    at: datetime | None = Field(description="When it ended")


class TicketOut(BaseModel):
    id: int
    number: str
    queue: str
    queue_name: str
    queue_name_en: str
    item_id: int | None
    item_name: str | None
    item_name_en: str | None
    priority: Priority | None
    status: str
    waiting_ahead: int
    estimated_wait_seconds: int | None = Field(
        description="From today's handling times in the queue; null until there are some"
    )
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    window: WindowBrief | None = Field(description="The window it was called to")
    windows: list[WindowBrief] = Field(description="Where it will be served")
    print: PrintOut | None = Field(None, description="Its latest print job, when a kiosk printed it")


class IssuedTicketOut(TicketOut):
    key: str = Field(description="Unguessable key for the citizen's phone page; print it only on the ticket")


class AppointmentOut(BaseModel):
    code: str = Field(description="What the citizen enters or scans at the kiosk")
    item_id: int
    item_name: str
    item_name_en: str
    slot_start: datetime
    slot_end: datetime
    name: str
    status: str


_WINDOWS_OF_QUEUE = (
    select(Window.number, Window.name, Window.name_en, Window.status == WindowStatus.OPEN)
    .join(WindowQueue)
    .where(WindowQueue.queue_id == bindparam("queue_id"))
    .order_by(Window.number)
)


def ticket_out(uow: UnitOfWork, ticket: Ticket, *, with_key: bool = False) -> TicketOut:
    window = ticket.window if ticket.window_id else None
    open_windows = None  # of the queue: the estimate counts them itself unless read here
    if ticket.target_window_id is not None:
        target = uow.session.get(Window, ticket.target_window_id)
        serving = [window_brief(target)] if target else []
    else:
        rows = list(uow.session.execute(_WINDOWS_OF_QUEUE, {"queue_id": ticket.queue_id}))
        serving = [
            WindowBrief(number=number, name=name, name_en=name_en) for number, name, name_en, _ in rows
        ]
        open_windows = sum(1 for *_, is_open in rows if is_open)
    ahead = waiting_ahead(uow, ticket)
    fields = dict(
        id=ticket.id,
        number=ticket.number,
        queue=ticket.queue.code,
        queue_name=ticket.queue.name,
        queue_name_en=ticket.queue.name_en,
        item_id=ticket.item_id,
        item_name=ticket.item.name if ticket.item_id and ticket.item else None,
        item_name_en=ticket.item.name_en if ticket.item_id and ticket.item else None,
        priority=ticket.priority,
        status=ticket.status,
        waiting_ahead=ahead,
        estimated_wait_seconds=estimated_wait_seconds(uow, ticket, ahead, open_windows),
        issued_at=ticket.issued_at,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        window=window_brief(window) if window else None,
        windows=serving,
    )
    return IssuedTicketOut(**fields, key=ticket.key) if with_key else TicketOut(**fields)


def print_out(record: PrintRecord) -> PrintOut:
    return PrintOut(
        job_id=record.id,
        queued=record.status in (PrintStatus.QUEUED, PrintStatus.CLAIMED),
        status=record.status,  # type: ignore[arg-type]
        printer=record.printer or None,
        reprinted=record.reprinted,
        error=record.error or None,
        problems=record.problems,
        at=record.finished_at,
    )


def with_latest_print(uow: UnitOfWork, ticket: TicketOut) -> TicketOut:
    latest = latest_print_job(uow, ticket.id)
    ticket.print = print_out(latest) if latest else None
    return ticket


def appointment_out(appointment: Appointment) -> AppointmentOut:
    return AppointmentOut(
        code=appointment.code,
        item_id=appointment.item_id,
        item_name=appointment.item.name,
        item_name_en=appointment.item.name_en,
        slot_start=appointment.slot_start,
        slot_end=appointment.slot_end,
        name=appointment.name,
        status=appointment.status,
    )
