"""Citizens' own booking (网上预约): the slots a queue offers on the hall's calendar and how
many are left, and the rules of a booking: a day within the hall's booking horizon, a slot
with room, the person named by their ID number (kept as its keyed hash only), one booking
per person per item per day, and no booking for a while after repeated no-shows.

A booking is an appointment (queue_core.appointments): checked in at a kiosk within its slot,
it becomes a ticket with appointment priority."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from . import appointments
from .errors import InvalidState, LimitReached, NotFound, NotPermitted, QueueClosed, QuotaReached
from .hall_calendar import HallCalendar
from .halls import item_by_id
from .models import Appointment, AppointmentStatus, Hall, Queue, ServiceItem, Ticket
from .numbering import local_time
from .spec import BookingSpec

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

NO_SHOW_DAYS = 90  # the no-shows that count towards a block are this recent
HOLDING = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)  # what takes a slot's room


@dataclass(frozen=True)
class Slot:
    start: datetime  # hall-local
    end: datetime
    capacity: int
    left: int


def bookable_days(hall: Hall, queue: Queue, today: date) -> list[date]:
    """The days from today within the booking horizon on which the queue has sessions."""
    rules = BookingSpec.of_hall(hall)
    if not rules.capacity_of(queue.code):
        return []
    calendar = HallCalendar.of_hall(hall)
    days = (today + timedelta(days=n) for n in range(rules.days_ahead + 1))
    return [day for day in days if calendar.queue_sessions(queue, day)]


def slots(uow: UnitOfWork, hall: Hall, item: ServiceItem, day: date) -> list[Slot]:
    """The item's queue's slots that day (each session cut into slot_minutes; a session's
    last slot may be shorter) not yet over, with the room left in each."""
    rules = BookingSpec.of_hall(hall)
    queue = item.queue
    capacity = rules.capacity_of(queue.code)
    now = local_time(hall, uow.now())
    if not capacity or day not in bookable_days(hall, queue, now.date()):
        return []
    zone = ZoneInfo(hall.timezone)
    step = timedelta(minutes=rules.slot_minutes)
    starts: list[tuple[datetime, datetime]] = []
    for opens, closes in HallCalendar.of_hall(hall).queue_sessions(queue, day):
        start, end = datetime.combine(day, opens, tzinfo=zone), datetime.combine(day, closes, tzinfo=zone)
        while start < end:
            starts.append((start, min(start + step, end)))
            start += step
    taken = _taken(uow, hall, queue, day)
    return [
        Slot(start, end, capacity, max(0, capacity - taken.get(start, 0)))
        for start, end in starts
        if end > now
    ]


def book(
    uow: UnitOfWork,
    hall: Hall,
    item_id: int,
    start: datetime,
    name: str,
    holder: str | None,
    end: datetime | None = None,
) -> Appointment:
    """A citizen books the slot of the item's queue that begins at `start` (and ends at
    `end`, where given). holder: the keyed hash of their ID number; another system booking
    without one (book_from_system) skips the person's rules."""
    item = item_by_id(uow, hall.id, item_id)
    local = local_time(hall, start)
    offered = slots(uow, hall, item, local.date())
    slot = next((s for s in offered if s.start == local), None)
    if slot is None:
        raise QueueClosed(
            f"{item.name} has no booking slot at {local:%Y-%m-%d %H:%M}",
            why="no_slot",
            day_off=HallCalendar.of_hall(hall).day(local.date()).reason,
        )
    if end is not None and local_time(hall, end) != slot.end:
        raise QueueClosed(
            f"the booking slot at {local:%Y-%m-%d %H:%M} ends at {slot.end:%H:%M}",
            why="no_slot",
            slot_end=slot.end.isoformat(),
        )
    if slot.left <= 0:
        raise QuotaReached(f"the slot {local:%Y-%m-%d %H:%M} is fully booked", why="slot_full")
    if holder is not None:
        _check_person(uow, hall, item, local.date(), holder)
    return appointments.book(uow, hall, item.id, slot.start, slot.end, name, holder)


def book_from_system(
    uow: UnitOfWork,
    hall: Hall,
    item_id: int,
    start: datetime,
    end: datetime | None,
    name: str,
    holder: str | None,
) -> Appointment:
    """POST /api/v1/appointments (a provincial booking platform, 电话预约 by staff): a queue
    open to citizens' booking books by their rules, so neither channel can overfill a slot;
    another queue takes an appointment at any time within its sessions."""
    item = item_by_id(uow, hall.id, item_id)
    if BookingSpec.of_hall(hall).capacity_of(item.queue.code):
        return book(uow, hall, item.id, start, name, holder, end)
    return appointments.book(uow, hall, item.id, start, end, name, holder)


def cancel(uow: UnitOfWork, hall: Hall, code: str) -> Appointment:
    """The booker cancels: the slot's room is free again."""
    appointment = by_code(uow, hall, code)
    if appointment.status != AppointmentStatus.BOOKED:
        raise InvalidState(f"appointment {appointment.code} is {appointment.status}, not booked")
    if appointment.slot_end <= uow.now():
        raise InvalidState(f"the slot of appointment {appointment.code} is over")
    appointment.status = AppointmentStatus.CANCELLED
    return appointment


def off_calendar(hall: Hall, appointment: Appointment) -> bool:
    """A booking whose slot the calendar no longer holds: the hall entered a closure or
    other hours for its day after it was booked. It stays booked (it may still be checked
    in); its booker is told to book again, and the staff see it on the Bookings page."""
    return appointment.status == AppointmentStatus.BOOKED and not appointments.within_sessions(
        hall, appointment.item.queue, appointment.slot_start, appointment.slot_end
    )


def off_calendar_by_day(uow: UnitOfWork, hall: Hall, first: date, days: int) -> dict[date, int]:
    """How many bookings are off the calendar (off_calendar) on each of `days` days from
    `first`, for the days that have any."""
    zone = ZoneInfo(hall.timezone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    booked = uow.session.scalars(
        select(Appointment)
        .where(Appointment.hall_id == hall.id, Appointment.status == AppointmentStatus.BOOKED)
        .where(Appointment.slot_start >= start, Appointment.slot_start < start + timedelta(days=days))
    )
    counted: dict[date, int] = {}
    for appointment in booked:
        if off_calendar(hall, appointment):
            day = local_time(hall, appointment.slot_start).date()
            counted[day] = counted.get(day, 0) + 1
    return counted


def door_token(secret: str, hall_code: str) -> str:
    """What the QR code on the hall's door carries (/arrive/<token>): scanning it with the
    phone proves the citizen is at the door, so their booking may check in from the phone.
    Only staff can show it (the managers' door poster); a new secret key makes a new one."""
    return hmac.new(secret.encode(), f"door:{hall_code}".encode(), hashlib.sha256).hexdigest()[:24]


def check_door(secret: str, hall: Hall, door: str) -> None:
    """The token sent is the door's: the citizen scanned the QR code at the hall's door."""
    if not hmac.compare_digest(door.encode(), door_token(secret, hall.code).encode()):
        raise NotPermitted("scan the QR code at the hall's door to say you have arrived", needs="door")


def arrive(uow: UnitOfWork, hall: Hall, code: str, door: str, secret: str) -> tuple[Ticket, bool]:
    """我已到达: the booking checked in from the citizen's phone at the door, as at a kiosk."""
    check_door(secret, hall, door)
    return appointments.check_in(uow, hall, code)


def by_code(uow: UnitOfWork, hall: Hall, code: str) -> Appointment:
    found = uow.session.scalar(
        select(Appointment).where(Appointment.hall_id == hall.id, Appointment.code == code.strip().upper())
    )
    if found is None:
        raise NotFound(f"no appointment {code.strip().upper()[:12]}")
    return found


def of_day(uow: UnitOfWork, hall: Hall, day: date) -> list[Appointment]:
    """The hall's bookings and appointments of a day, by their slot."""
    first = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(hall.timezone))
    return list(
        uow.session.scalars(
            select(Appointment)
            .where(Appointment.hall_id == hall.id)
            .where(Appointment.slot_start >= first, Appointment.slot_start < first + timedelta(days=1))
            .order_by(Appointment.slot_start, Appointment.id)
        )
    )


def _taken(uow: UnitOfWork, hall: Hall, queue: Queue, day: date) -> dict[datetime, int]:
    """Bookings holding room in the queue's slots that day, by the slot's local start."""
    zone = ZoneInfo(hall.timezone)
    first = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    rows = uow.session.execute(
        select(Appointment.slot_start, func.count())
        .join(ServiceItem, ServiceItem.id == Appointment.item_id)
        .where(Appointment.hall_id == hall.id, ServiceItem.queue_id == queue.id)
        .where(Appointment.slot_start >= first, Appointment.slot_start < first + timedelta(days=1))
        .where(Appointment.status.in_(HOLDING))
        .group_by(Appointment.slot_start)
    )
    return {start.astimezone(zone): n for start, n in rows}


def _check_person(uow: UnitOfWork, hall: Hall, item: ServiceItem, day: date, holder: str) -> None:
    """One booking per person per item per day; none for block_days after the last of
    no_show_limit bookings not checked in within NO_SHOW_DAYS."""
    zone = ZoneInfo(hall.timezone)
    first = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    mine = select(Appointment).where(Appointment.hall_id == hall.id, Appointment.holder_digest == holder)
    same = uow.session.scalar(
        mine.where(Appointment.item_id == item.id, Appointment.status.in_(HOLDING))
        .where(Appointment.slot_start >= first, Appointment.slot_start < first + timedelta(days=1))
        .limit(1)
    )
    if same is not None:
        raise LimitReached(
            f"this ID number already has a booking for {item.name} on {day}", why="already_booked"
        )
    rules = BookingSpec.of_hall(hall)
    now = uow.now()
    missed = list(
        uow.session.scalars(
            select(Appointment.slot_end)
            .where(Appointment.hall_id == hall.id, Appointment.holder_digest == holder)
            .where(Appointment.status == AppointmentStatus.BOOKED, Appointment.slot_end < now)
            .where(Appointment.slot_end >= now - timedelta(days=NO_SHOW_DAYS))
            .order_by(Appointment.slot_end)
        )
    )
    if len(missed) >= rules.no_show_limit:
        until = missed[-1] + timedelta(days=rules.block_days)
        if until > now:
            raise LimitReached(
                f"{len(missed)} bookings were not kept in {NO_SHOW_DAYS} days: booking is blocked "
                f"until {local_time(hall, until):%Y-%m-%d}",
                why="no_show_block",
                blocked_until=local_time(hall, until).date().isoformat(),
            )
