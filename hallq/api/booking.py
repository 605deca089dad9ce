"""Citizens' own booking (网上预约) from the phone page: the items and slots on offer, a
booking by name and ID number, and cancelling it by its code. Staff and other systems keep
POST /appointments (queue_core.booking holds both to the same calendar)."""

from __future__ import annotations

from datetime import date

import limits
from flask import request
from pydantic import Field
from sqlalchemy import select

from queue_core import booking, remote
from queue_core.halls import item_by_id, ticket_by_key
from queue_core.identity import holder_digest
from queue_core.models import Queue, ServiceItem
from queue_core.numbering import service_day
from queue_core.spec import BookingSpec

from ..present.booking import BookableItemOut, BookingOut, SlotsOut, booking_out, slot_out
from ..present.tickets import IssuedTicketOut, TicketOut, ticket_out
from ..state import current_hall, state
from . import TooManyAttempts, bp, doc
from .appointments import CHECKED_IN
from .schemas import DbInt, HallTime, IdNumber, Payload

# A family books for its members from one phone; a hall's office network shares an address.
BOOKINGS_PER_ADDRESS = limits.parse("20 per hour")


class SlotsQuery(Payload):
    item_id: DbInt
    day: date | None = Field(None, description="Default: the first day with a slot left")


class BookingRequest(Payload):
    item_id: DbInt
    slot_start: HallTime = Field(description="A slot's start as GET /booking/slots gives it")
    name: str = Field(min_length=1, max_length=60)
    id_number: IdNumber = Field(description="The booker's resident ID number; only a keyed hash is kept")


@doc.operation(
    bp,
    "/booking/items",
    "GET",
    summary="The service items citizens can book, or take a remote ticket for",
    tag="booking",
    responses={200: ("By department, in the catalogue's order", BookableItemOut)},
)
def bookable_items() -> list[BookableItemOut]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        rules = BookingSpec.of_hall(hall)
        items = uow.session.scalars(
            select(ServiceItem)
            .join(Queue, Queue.id == ServiceItem.queue_id)
            .where(ServiceItem.hall_id == hall.id, ServiceItem.active)
            .order_by(ServiceItem.department_id, ServiceItem.id)
        )
        return [
            BookableItemOut(
                id=i.id,
                name=i.name,
                name_en=i.name_en,
                department=i.department.name,
                department_en=i.department.name_en,
                queue=i.queue.code,
                slots=bool(rules.capacity_of(i.queue.code)),
                remote=i.queue.code in rules.remote_queues,
            )
            for i in items
            if rules.capacity_of(i.queue.code) or i.queue.code in rules.remote_queues
        ]


@doc.operation(
    bp,
    "/booking/slots",
    "GET",
    summary="The days an item can be booked on, and one day's slots with the room left",
    tag="booking",
    query=SlotsQuery,
    responses={200: ("The days and slots (hall-local times)", SlotsOut), 404: ("No such item", None)},
)
def booking_slots(query: SlotsQuery) -> SlotsOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        item = item_by_id(uow, hall.id, query.item_id)
        days = booking.bookable_days(hall, item.queue, service_day(hall, uow.now()))
        day = query.day
        if day is None:
            day = next((d for d in days if any(s.left for s in booking.slots(uow, hall, item, d))), None)
        offered = booking.slots(uow, hall, item, day) if day is not None else []
        return SlotsOut(days=days, day=day, slots=[slot_out(s) for s in offered])


@doc.operation(
    bp,
    "/booking",
    "POST",
    summary="Book a slot (a citizen, from the phone page)",
    tag="booking",
    body=BookingRequest,
    responses={
        201: ("The booking: its code, what to bring", BookingOut),
        404: ("No such item", None),
        409: ("No such slot, the slot is full, already booked that day, or blocked after no-shows", None),
        429: ("Too many bookings from this address", None),
    },
)
def create_booking(body: BookingRequest) -> tuple[BookingOut, int]:
    """No login: a booking is counted per address, so that one client cannot fill the slots."""
    _count_address()
    holder = holder_digest(state().settings.secret_key(), body.id_number)
    with state().db.write() as uow:
        hall = current_hall(uow)
        found = booking.book(uow, hall, body.item_id, body.slot_start, body.name, holder)
        return booking_out(hall, found), 201


@doc.operation(
    bp,
    "/booking/<code>",
    "GET",
    summary="A booking, by its code",
    tag="booking",
    responses={200: ("The booking", BookingOut), 404: ("No such booking", None)},
)
def get_booking(code: str) -> BookingOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        return booking_out(hall, booking.by_code(uow, hall, code))


@doc.operation(
    bp,
    "/booking/<code>/cancel",
    "POST",
    summary="Cancel a booking, by its code",
    tag="booking",
    responses={
        200: ("The booking, cancelled: its room is free again", BookingOut),
        404: ("No such booking", None),
        409: ("Not booked any more, or its slot is over", None),
    },
)
def cancel_booking(code: str) -> BookingOut:
    with state().db.write() as uow:
        hall = current_hall(uow)
        return booking_out(hall, booking.cancel(uow, hall, code))


class ArrivalRequest(Payload):
    door: str = Field(
        max_length=64, description="The token of the QR code on the hall's door (/arrive/<token>)"
    )


@doc.operation(
    bp,
    "/booking/<code>/arrive",
    "POST",
    summary="我已到达: check in for a booking from the phone, at the hall's door",
    tag="booking",
    body=ArrivalRequest,
    responses=CHECKED_IN | {403: ("Not the door's QR code", None), 404: ("No such booking", None)},
)
def arrive(code: str, body: ArrivalRequest) -> tuple[IssuedTicketOut, int]:
    with state().db.write() as uow:
        hall = current_hall(uow)
        ticket, first = booking.arrive(uow, hall, code, body.door, state().settings.secret_key())
        answer: IssuedTicketOut = ticket_out(uow, ticket, with_key=True)
        return answer, 201 if first else 200


def _count_address() -> None:
    """Counted per client address, so that one client cannot fill the slots or the lines."""
    if not state().rate_limiter.hit(
        BOOKINGS_PER_ADDRESS, "booking", state().hall_code, request.remote_addr or ""
    ):
        raise TooManyAttempts(f"too many bookings from this address: at most {BOOKINGS_PER_ADDRESS}")


class RemoteTicketRequest(Payload):
    item_id: DbInt
    id_number: IdNumber = Field(description="The holder's resident ID number; only a keyed hash is kept")


@doc.operation(
    bp,
    "/remote-tickets",
    "POST",
    summary="远程取号: take a ticket on the phone before coming; it enters the line on arrival",
    tag="booking",
    body=RemoteTicketRequest,
    responses={
        201: ("The ticket, status remote (its key opens the phone page)", IssuedTicketOut),
        403: ("The item's queue takes no remote tickets", None),
        409: ("The queue is closed now, or the person's remote tickets for today are taken", None),
        429: ("Too many from this address", None),
    },
)
def take_remote(body: RemoteTicketRequest) -> tuple[IssuedTicketOut, int]:
    _count_address()
    holder = holder_digest(state().settings.secret_key(), body.id_number)
    with state().db.write() as uow:
        ticket = remote.take(uow, current_hall(uow), body.item_id, holder)
        answer: IssuedTicketOut = ticket_out(uow, ticket, with_key=True)
        return answer, 201


@doc.operation(
    bp,
    "/tickets/by-key/<key>/arrive",
    "POST",
    summary="我已到达: a remote ticket's holder is at the hall's door; the ticket enters its line",
    tag="booking",
    body=ArrivalRequest,
    responses={
        200: ("The ticket, waiting in its place", TicketOut),
        403: ("Not the door's QR code", None),
        404: ("No such ticket", None),
        409: ("Not a remote ticket still away (arrived, called, cancelled)", None),
    },
)
def arrive_remote(key: str, body: ArrivalRequest) -> TicketOut:
    with state().db.write() as uow:
        hall = current_hall(uow)
        booking.check_door(state().settings.secret_key(), hall, body.door)
        return ticket_out(uow, remote.arrive(uow, hall, ticket_by_key(uow, hall.id, key)))
