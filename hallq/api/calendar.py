"""The hall's calendar (docs/calendar.md): read it, and enter or withdraw a dated day (a
closure, a late opening, a holiday not yet known) without editing calendar.toml."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, ValidationError

from queue_core import setup
from queue_core.errors import Invalid
from queue_core.hall_calendar import HallCalendar
from queue_core.models import OVERSIGHT, Role
from queue_core.numbering import service_day
from queue_core.spec import CalendarDay, Sessions

from ..present.calendar import CalendarOut, calendar_out
from ..state import current_hall, state
from . import bp, doc
from .schemas import Payload

KEEPERS = (Role.MANAGER, Role.ADMIN)


class CalendarDayRequest(Payload):
    kind: Literal["closed", "workday", "hours"] = Field(
        description="closed: a day off; workday: a working day (a make-up day); hours: other sessions that day"
    )
    sessions: Sessions = Field([], description='For "hours" (and optionally "workday"): ["08:30-12:00", ...]')
    reason: str = Field("", max_length=40, description="Shown on the kiosk on a day off, e.g. 元旦")


@doc.operation(
    bp,
    "/calendar",
    "GET",
    summary="The hall's calendar: its sessions, dated days and the coming two weeks",
    tag="calendar",
    roles=OVERSIGHT,
    responses={200: ("The calendar", CalendarOut)},
)
def get_calendar() -> CalendarOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        return calendar_out(HallCalendar.of_hall(hall), service_day(hall, uow.now()))


@doc.operation(
    bp,
    "/calendar/days/<day>",
    "PUT",
    summary="Enter a dated day: a closure, other hours, a working day",
    tag="calendar",
    body=CalendarDayRequest,
    roles=KEEPERS,
    responses={
        200: ("The calendar with the day; open cases' deadlines counted again", CalendarOut),
        422: ("Not a date, or the day does not say one thing", None),
    },
)
def enter_day(day: str, body: CalendarDayRequest) -> CalendarOut:
    when = _date(day)
    if body.kind == "hours" and not body.sessions:
        raise Invalid("other hours need their sessions, such as 08:30-12:00 and 14:30-20:00")
    try:
        entered = CalendarDay(
            date=when,
            closed=body.kind == "closed",
            workday=body.kind == "workday",
            sessions=(body.sessions or None) if body.kind != "closed" else None,
            reason=body.reason,
        )
    except ValidationError as exc:
        raise Invalid(str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from exc
    with state().db.write() as uow:
        hall = current_hall(uow)
        return calendar_out(setup.enter_calendar_day(uow, hall, entered), service_day(hall, uow.now()))


@doc.operation(
    bp,
    "/calendar/days/<day>",
    "DELETE",
    summary="Withdraw a dated day entered here",
    tag="calendar",
    roles=KEEPERS,
    responses={
        200: ("The calendar without it; open cases' deadlines counted again", CalendarOut),
        404: ("No such day was entered here", None),
        409: ("The day is in calendar.toml: change it there", None),
    },
)
def withdraw_day(day: str) -> CalendarOut:
    when = _date(day)
    with state().db.write() as uow:
        hall = current_hall(uow)
        return calendar_out(setup.withdraw_calendar_day(uow, hall, when), service_day(hall, uow.now()))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(f'"{text[:20]}" is not a date such as 2027-01-01') from exc
