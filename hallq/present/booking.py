"""Citizens' booking (网上预约) as the API and the phone pages show it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from queue_core.booking import Slot, off_calendar
from queue_core.hall_calendar import HallCalendar
from queue_core.models import Appointment, Hall
from queue_core.numbering import local_time

from .tickets import AppointmentOut, appointment_out


class BookableItemOut(BaseModel):
    id: int
    name: str
    name_en: str
    department: str
    department_en: str
    queue: str
    slots: bool = Field(description="Its queue takes bookings")
    remote: bool = Field(description="Its queue takes remote tickets (远程取号)")


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    left: int = Field(description="Bookings the slot still takes")


class SlotsOut(BaseModel):
    days: list[date] = Field(description="The days the item can be booked on, from today")
    day: date | None
    slots: list[SlotOut]


class BookingOut(AppointmentOut):
    department: str
    materials: list[str] = Field(description="What to bring (the item's 申报材料)")
    materials_en: list[str] = Field(description="The same in English, where the catalogue has it")
    off_calendar: bool = Field(
        description="The hall closed or changed its hours that day after this was booked: book again"
    )
    day_off: str = Field(description="Why the day is off, where it is (e.g. 元旦), else empty")


def slot_out(slot: Slot) -> SlotOut:
    return SlotOut(start=slot.start, end=slot.end, left=slot.left)


def booking_out(hall: Hall, appointment: Appointment) -> BookingOut:
    item = appointment.item
    moved = off_calendar(hall, appointment)
    day = local_time(hall, appointment.slot_start).date()
    return BookingOut(
        **appointment_out(appointment).model_dump(),
        department=item.department.name,
        materials=list(item.materials),
        materials_en=list(item.materials_en),
        off_calendar=moved,
        day_off=HallCalendar.of_hall(hall).day(day).reason if moved else "",
    )
