"""Appointments (预约): a booked slot for an item, checked in at a kiosk within its time."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from .errors import InvalidState, NotFound, QueueClosed, TooEarly, TooLate
from .hall_calendar import HallCalendar
from .halls import item_by_id
from .models import Appointment, AppointmentStatus, Hall, Priority, Queue, Ticket
from .numbering import local_time
from .ticketing import issue_ticket

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

# Read aloud, typed on a kiosk's keyboard: no 0/O or 1/I to confuse.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
EARLY = timedelta(minutes=15)  # check-in opens this long before the slot
DEFAULT_SLOT = timedelta(minutes=30)


def book(
    uow: UnitOfWork,
    hall: Hall,
    item_id: int,
    start: datetime,
    end: datetime | None = None,
    name: str = "",
    holder: str | None = None,
) -> Appointment:
    """holder: the keyed hash of the booker's ID number (queue_core.identity), if given."""
    item = item_by_id(uow, hall.id, item_id)
    start = start.astimezone(UTC)  # as the row reads back, whatever zone it came in
    end = end.astimezone(UTC) if end else start + DEFAULT_SLOT
    if end <= start:
        raise InvalidState("the slot must end after it starts")
    if end <= uow.now():
        raise InvalidState("the slot is already over")
    _check_slot(hall, item.queue, start, end)
    appointment = Appointment(
        hall_id=hall.id, code=_new_code(uow, hall), item_id=item.id, slot_start=start, slot_end=end,
        name=name, holder_digest=holder, status=AppointmentStatus.BOOKED, created_at=uow.now(),
    )  # fmt: skip
    uow.session.add(appointment)
    uow.session.flush()
    return appointment


def _check_slot(hall: Hall, queue: Queue, start: datetime, end: datetime) -> None:
    """Where the hall keeps its hours, a slot lies within one of its queue's sessions of a
    working day (queue_core.hall_calendar): no booking for a Sunday or over lunch."""
    if not hall.enforce_hours:
        return
    if within_sessions(hall, queue, start, end):
        return
    calendar = HallCalendar.of_hall(hall)
    first, last = local_time(hall, start), local_time(hall, end)
    sessions = calendar.queue_sessions(queue, first.date())
    spans = ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in sessions)
    day = calendar.day(first.date())
    slot = f"{first:%Y-%m-%d %H:%M}-{last:%H:%M}"
    if not sessions:
        message = f"queue {queue.code} takes no bookings on {first:%Y-%m-%d} ({day.reason or 'closed'})"
    else:
        message = f"the slot {slot} is not within a session of queue {queue.code} that day ({spans})"
    raise QueueClosed(message, why="day_off" if not sessions else "outside_sessions", day_off=day.reason)


def within_sessions(hall: Hall, queue: Queue, start: datetime, end: datetime) -> bool:
    """Whether the slot lies within one of the queue's sessions that day, as the hall's
    calendar has it now."""
    first, last = local_time(hall, start), local_time(hall, end)
    sessions = HallCalendar.of_hall(hall).queue_sessions(queue, first.date())
    return first.date() == last.date() and any(o <= first.time() and last.time() <= c for o, c in sessions)


def _new_code(uow: UnitOfWork, hall: Hall) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if (
            uow.session.scalar(
                select(Appointment.id).where(Appointment.hall_id == hall.id, Appointment.code == code)
            )
            is None
        ):
            return code


def check_in(
    uow: UnitOfWork, hall: Hall, code: str, *, kiosk_id: str | None = None, request_id: str | None = None
) -> tuple[Ticket, bool]:
    """Issue the appointment's ticket with appointment priority; (ticket, True) the first
    time, (the same ticket, False) when it was already checked in."""
    appointment = uow.session.scalar(
        select(Appointment).where(Appointment.hall_id == hall.id, Appointment.code == code.strip().upper())
    )
    if appointment is None:
        raise NotFound(f"no appointment {code.strip().upper()}")
    if appointment.status == AppointmentStatus.CANCELLED:
        raise InvalidState(f"appointment {appointment.code} was cancelled")
    if appointment.status == AppointmentStatus.CHECKED_IN:
        ticket = uow.session.get(Ticket, appointment.ticket_id)
        assert ticket is not None
        return ticket, False
    now = uow.now()
    slot = {
        "slot_start": _local_iso(hall, appointment.slot_start),
        "slot_end": _local_iso(hall, appointment.slot_end),
    }
    opens = appointment.slot_start - EARLY
    if now < opens:
        raise TooEarly(
            f"check-in for appointment {appointment.code} opens at {_hhmm(hall, opens)}",
            opens_at=_local_iso(hall, opens),
            **slot,
        )
    if now > appointment.slot_end:
        raise TooLate(
            f"the slot of appointment {appointment.code} ended at {_hhmm(hall, appointment.slot_end)}", **slot
        )
    ticket = issue_ticket(
        uow,
        hall,
        item_id=appointment.item_id,
        priority=Priority.APPOINTMENT,
        kiosk_id=kiosk_id,
        request_id=request_id,
        booked=True,  # its slot was within a session when booked: early over lunch is fine
    )
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = now
    appointment.ticket_id = ticket.id
    return ticket, True


def check_in_holder(
    uow: UnitOfWork, hall: Hall, holder: str, *, kiosk_id: str | None = None, request_id: str | None = None
) -> tuple[Ticket, bool]:
    """Check in by the booker's ID number (an ID card on the kiosk's reader): today's booking
    whose check-in is open now, else the nearest one today, which then says too early or
    too late."""
    now = uow.now()
    zone_day = local_time(hall, now).date()
    start = datetime.combine(zone_day, datetime.min.time(), tzinfo=local_time(hall, now).tzinfo)
    today = list(
        uow.session.scalars(
            select(Appointment)
            .where(Appointment.hall_id == hall.id, Appointment.holder_digest == holder)
            .where(Appointment.slot_start >= start, Appointment.slot_start < start + timedelta(days=1))
            .where(Appointment.status != AppointmentStatus.CANCELLED)
            .order_by(Appointment.slot_start)
        )
    )
    if not today:
        raise NotFound("no appointment today for this ID number")
    open_now = [a for a in today if a.slot_start - EARLY <= now <= a.slot_end]
    pending = [a for a in open_now if a.status == AppointmentStatus.BOOKED]
    chosen = (pending or open_now or [min(today, key=lambda a: abs(a.slot_start - now))])[0]
    return check_in(uow, hall, chosen.code, kiosk_id=kiosk_id, request_id=request_id)


def _local_iso(hall: Hall, instant: datetime) -> str:
    return local_time(hall, instant).isoformat()


def _hhmm(hall: Hall, instant: datetime) -> str:
    return local_time(hall, instant).strftime("%H:%M")
