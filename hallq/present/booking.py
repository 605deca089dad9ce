"""Citizens' booking (网上预约) as the API and the phone pages show it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from queue_core.booking import Slot
from queue_core.models import Appointment


class BookableItemOut(BaseModel):
    id: int
    name: str
    department: str
    queue: str


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    left: int = Field(description="Bookings the slot still takes")


class SlotsOut(BaseModel):
    days: list[date] = Field(description="The days the item can be booked on, from today")
    day: date | None
    slots: list[SlotOut]


class BookingOut(BaseModel):
    code: str = Field(description="Entered or scanned at the kiosk to check in; also what cancels it")
    item_id: int
    item_name: str
    department: str
    slot_start: datetime
    slot_end: datetime
    name: str
    status: str
    materials: list[str] = Field(description="What to bring (the item's 申报材料)")


def slot_out(slot: Slot) -> SlotOut:
    return SlotOut(start=slot.start, end=slot.end, left=slot.left)


def booking_out(appointment: Appointment) -> BookingOut:
    item = appointment.item
    return BookingOut(
        code=appointment.code,
        item_id=item.id,
        item_name=item.name,
        department=item.department.name,
        slot_start=appointment.slot_start,
        slot_end=appointment.slot_end,
        name=appointment.name,
        status=appointment.status,
        materials=list(item.materials),
    )
