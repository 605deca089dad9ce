"""A window's day: a clerk signs in (挂牌上岗), pauses with a reason, resumes, signs out.
A colleague signing in to a staffed window takes it over (A/B posts); the log keeps both."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from . import alarms, ticket_log
from .errors import InvalidState
from .halls import window_by_number
from .models import (
    AlarmKind,
    Hall,
    Staff,
    TicketEventKind,
    TicketStatus,
    Window,
    WindowEvent,
    WindowEventKind,
    WindowStatus,
)

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def sign_in(uow: UnitOfWork, hall: Hall, window_number: int, staff: Staff) -> Window:
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.clerk_id == staff.id:
        return window
    elsewhere = uow.session.scalars(
        select(Window).where(Window.hall_id == hall.id, Window.clerk_id == staff.id)
    ).all()
    for other in elsewhere:
        _require_no_ticket(other)
        _leave(uow, other, staff.id, reason="moved", to_window=window.number)
    if window.clerk_id is not None:
        _log(uow, window, WindowEventKind.SIGNED_OUT, window.clerk_id, reason="taken_over", by=staff.id)
    window.clerk = staff
    if window.status == WindowStatus.CLOSED:
        _set_status(uow, window, WindowStatus.OPEN)
    _log(uow, window, WindowEventKind.SIGNED_IN, staff.id)
    return window


def sign_out(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None) -> Window:
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.status == WindowStatus.CLOSED:
        raise InvalidState(f"window {window.number} is already closed")
    _require_no_ticket(window)
    _leave(uow, window, staff_id)
    return window


def pause(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None, reason: str) -> Window:
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.status != WindowStatus.OPEN:
        raise InvalidState(f"window {window.number} is {window.status}, not open")
    _require_no_ticket(window)
    _set_status(uow, window, WindowStatus.PAUSED, reason)
    _log(uow, window, WindowEventKind.PAUSED, staff_id, reason=reason)
    return window


def resume(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None) -> Window:
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.status != WindowStatus.PAUSED:
        raise InvalidState(f"window {window.number} is {window.status}, not paused")
    _set_status(uow, window, WindowStatus.OPEN)
    _log(uow, window, WindowEventKind.RESUMED, staff_id)
    return window


def reset(uow: UnitOfWork, hall: Hall, window_number: int, staff_id: int | None, reason: str) -> Window:
    """A manager's way out for a window stuck on a ticket (复位窗口), with a reason: a ticket
    still called or served there goes back to its queue at its place; one already closed
    (cancelled, finished...) just leaves the window. The alarm about it clears."""
    window = window_by_number(uow, hall.id, window_number, lock=True)
    if window.current_ticket_id is None:
        raise InvalidState(f"window {window.number} has no ticket to clear")
    # locked after its window: the hall's lock order
    ticket = uow.session.scalars(ticket_log.LOCK_TICKET, {"id": window.current_ticket_id}).one()
    window.current_ticket_id = None
    if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING) and ticket.window_id == window.id:
        ticket_log.transition(uow, ticket, {ticket.status}, status=TicketStatus.WAITING)
        ticket_log.log(uow, ticket, TicketEventKind.REQUEUED, window=window, staff_id=staff_id, reason=reason)
        uow.touch_queue(ticket.queue_id)
    _log(
        uow,
        window,
        WindowEventKind.RESET,
        staff_id,
        reason=reason,
        ticket=ticket.number,
        status=ticket.status,
    )
    uow.audit_detail["reason"] = reason
    alarms.clear_about(
        uow, hall, AlarmKind.INVARIANT_BROKEN, [f"window:{window.number}", f"ticket:{ticket.id}"]
    )
    return window


def _require_no_ticket(window: Window) -> None:
    if window.current_ticket_id is not None:
        raise InvalidState(
            f"window {window.number} still has a ticket: finish it, mark it no-show or transfer it first"
        )


def _leave(uow: UnitOfWork, window: Window, staff_id: int | None, **detail: object) -> None:
    _log(uow, window, WindowEventKind.SIGNED_OUT, staff_id or window.clerk_id, **detail)
    window.clerk = None
    _set_status(uow, window, WindowStatus.CLOSED)


def _set_status(uow: UnitOfWork, window: Window, status: WindowStatus, reason: str | None = None) -> None:
    window.status = status
    window.pause_reason = reason
    window.status_since = uow.now()
    uow.touch_window(window)


def _log(
    uow: UnitOfWork, window: Window, kind: WindowEventKind, staff_id: int | None, **detail: object
) -> None:
    uow.session.add(
        WindowEvent(
            hall_id=window.hall_id,
            window_id=window.id,
            kind=kind,
            at=uow.now(),
            staff_id=staff_id,
            detail=detail,
        )
    )
    uow.touch_window(window)
