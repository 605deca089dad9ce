"""The hall's calendar as the API and the administration page show it: the dated days and the
coming days, each as working or not, why, and its sessions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from queue_core.hall_calendar import HallCalendar, Span
from queue_core.spec import CalendarDay

COMING_DAYS = 14


class CalendarDayOut(BaseModel):
    date: date
    closed: bool
    workday: bool
    sessions: list[str] | None
    reason: str
    source: Literal["file", "admin"] = Field(
        description="file: config/calendar.toml (changed there); admin: entered in the administration pages"
    )


class ComingDayOut(BaseModel):
    date: date
    working: bool
    reason: str = Field(description="Why it is off: the holiday's name, 周末, a closure's reason")
    sessions: list[str]
    known: bool = Field(description="False: its year's official holidays are not known yet")


class CalendarOut(BaseModel):
    sessions: list[str] = Field(description="A working day's sessions; empty: the whole day")
    days: list[CalendarDayOut] = Field(description="The dated days, from today on")
    coming: list[ComingDayOut]
    unknown_year: int | None = Field(description="A year whose official holidays are not known yet")


def calendar_out(calendar: HallCalendar, today: date) -> CalendarOut:
    spec = calendar.spec
    entered = [(d, "file") for d in spec.days] + [(d, "admin") for d in spec.added]
    latest: dict[date, tuple[CalendarDay, str]] = {d.date: (d, source) for d, source in entered}
    return CalendarOut(
        sessions=spec.sessions,
        days=[
            CalendarDayOut(**d.model_dump(), source=source)
            for when, (d, source) in sorted(latest.items())
            if when >= today
        ],
        coming=[
            ComingDayOut(
                date=day.date,
                working=day.working,
                reason=day.reason,
                sessions=spans(day.sessions),
                known=day.known,
            )
            for day in (calendar.day(today + timedelta(days=n)) for n in range(COMING_DAYS))
        ],
        unknown_year=calendar.unknown_year(today),
    )


def spans(sessions: tuple[Span, ...]) -> list[str]:
    return [f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in sessions]
