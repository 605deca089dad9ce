"""Tickets as the API answers them and the kiosk and phone pages show them: with the windows
that serve them, how many are ahead, and their latest print job; and appointments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeVar, overload

from pydantic import BaseModel, Field

from queue_core import UnitOfWork
from queue_core.calling import may_requeue
from queue_core.models import (
    Appointment,
    Hall,
    PrintRecord,
    PrintStatus,
    Priority,
    Ticket,
    TicketStatus,
    Window,
    WindowStatus,
)
from queue_core.printing import latest_print_job
from queue_core.ticket_log import history
from queue_core.ticketing import CANCELLABLE, waiting_ahead
from queue_core.wait_forecast import (
    Handling,
    WaitRange,
    WindowOfQueue,
    handling_figures,
    queue_window_names,
    queue_windows,
    ticket_wait,
)

WAIT_RANGE_FIELD = Field(
    description="[low, high] seconds: the 80 % range of the wait (docs/wait-forecast.md), from the people "
    "ahead, the queue's open windows and their shares, and today's and the same weekday's handling times; "
    "null with no handling time known yet or no window open for the queue"
)


def wait_fields(wait: WaitRange | None) -> dict[str, object]:
    """The payload's two wait fields from a forecast."""
    return {
        "estimated_wait_seconds": wait.median if wait else None,
        "estimated_wait_range": (wait.low, wait.high) if wait else None,
    }


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
        description="The median of the wait forecast (estimated_wait_range): 0 once called; null when "
        "nothing honest can be said"
    )
    estimated_wait_range: tuple[int, int] | None = WAIT_RANGE_FIELD
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    window: WindowBrief | None = Field(description="The window it was called to")
    windows: list[WindowBrief] = Field(description="Where it will be served")
    print: PrintOut | None = Field(None, description="Its latest print job, when a kiosk printed it")


class IssuedTicketOut(TicketOut):
    key: str = Field(description="Unguessable key for the citizen's phone page; print it only on the ticket")


class StepOut(BaseModel):
    kind: str = Field(description="issued, called, recalled, started, finished, no_show, requeued, ...")
    at: datetime
    queue: str
    window: WindowBrief | None
    staff: str | None = Field(description="Who did it, or allowed it (a guide's PIN or login)")
    badge: str | None
    detail: dict[str, object]


class TicketRecordOut(TicketOut):
    """A ticket as a guide looks it up: with its history and what a guide may do with it."""

    key: str = Field(description="For its QR code: the citizen's phone page")
    history: list[StepOut] = Field(description="Its steps, oldest first (the ticket's log)")
    may_cancel: bool = Field(description="Waiting, away (remote) or being called: it can be cancelled")
    may_requeue: bool = Field(description="Absent (过号), not yet put back once, where the hall does")


class AppointmentOut(BaseModel):
    code: str = Field(description="What the citizen enters or scans at the kiosk")
    item_id: int
    item_name: str
    item_name_en: str
    slot_start: datetime
    slot_end: datetime
    name: str
    status: str


@overload
def ticket_out(uow: UnitOfWork, ticket: Ticket, *, with_key: Literal[True]) -> IssuedTicketOut: ...
@overload
def ticket_out(uow: UnitOfWork, ticket: Ticket, *, with_key: bool = False) -> TicketOut: ...
def ticket_out(uow: UnitOfWork, ticket: Ticket, *, with_key: bool = False) -> TicketOut:
    window = ticket.window if ticket.window_id else None
    windows, briefs = _where_served(uow, ticket)
    ahead = waiting_ahead(uow, ticket)
    handling = (
        handling_figures(uow, ticket.hall_id, ticket.service_day, ticket.queue_id).get(
            ticket.queue_id, Handling()
        )
        if ticket.status == TicketStatus.WAITING
        else Handling()
    )
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
        **wait_fields(ticket_wait(ticket, ahead, handling, windows)),
        issued_at=ticket.issued_at,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        window=window_brief(window) if window else None,
        windows=briefs,
    )
    return IssuedTicketOut(**fields, key=ticket.key) if with_key else TicketOut(**fields)


def _where_served(uow: UnitOfWork, ticket: Ticket) -> tuple[list[WindowOfQueue], list[WindowBrief]]:
    """The windows that serve the ticket: with their shares now while it waits (its forecast
    needs them), by name only once it is called or over (ticket_wait needs none then)."""
    if ticket.target_window_id is not None:
        # Its own window's line goes first there: the window gives it all its time.
        target = uow.session.get(Window, ticket.target_window_id)
        is_open = target is not None and target.status == WindowStatus.OPEN
        windows = (
            [
                WindowOfQueue(
                    target.number,
                    target.name,
                    is_open,
                    is_open and not target.current_ticket_id,
                    1.0,
                    target.name_en,
                )
            ]
            if target
            else []
        )
    elif ticket.status == TicketStatus.WAITING:
        windows = queue_windows(uow, ticket.queue_id, ticket.service_day)
    else:
        names = queue_window_names(uow, ticket.queue_id)
        return [], [WindowBrief(number=number, name=name, name_en=name_en) for number, name, name_en in names]
    return windows, [WindowBrief(number=w.number, name=w.name, name_en=w.name_en) for w in windows]


def ticket_record(uow: UnitOfWork, hall: Hall, ticket: Ticket) -> TicketRecordOut:
    steps = [
        StepOut(
            kind=step.kind,
            at=step.at,
            queue=step.queue,
            window=WindowBrief(number=step.window, name=step.window_name or "") if step.window else None,
            staff=step.staff,
            badge=step.badge,
            detail=step.detail,
        )
        for step in history(uow, ticket)
    ]
    return TicketRecordOut(
        **ticket_out(uow, ticket).model_dump(),
        key=ticket.key,
        history=steps,
        may_cancel=ticket.status in CANCELLABLE,
        may_requeue=may_requeue(hall, ticket),
    )


def print_out(record: PrintRecord) -> PrintOut:
    return PrintOut(
        job_id=record.id,
        queued=record.status in (PrintStatus.QUEUED, PrintStatus.CLAIMED),
        status=record.status,
        printer=record.printer or None,
        reprinted=record.reprinted,
        error=record.error or None,
        problems=record.problems,
        at=record.finished_at,
    )


_Out = TypeVar("_Out", bound=TicketOut)


def with_latest_print(uow: UnitOfWork, ticket: _Out) -> _Out:
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
