"""Taking a ticket, following it, cancelling it."""

from __future__ import annotations

import limits
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from queue_core import UnitOfWork
from queue_core.calling import requeue_no_show
from queue_core.errors import NotPermitted
from queue_core.halls import ticket_by_id, ticket_by_key, ticket_by_number
from queue_core.identity import holder_digest
from queue_core.models import GUIDES, Hall
from queue_core.numbering import service_day
from queue_core.postponing import postpone
from queue_core.ticketing import cancel_ticket, issue_ticket, ticket_for_request

from ..auth import guide_by_pin
from ..present.tickets import (
    IssuedTicketOut,
    TicketOut,
    TicketRecordOut,
    ticket_out,
    ticket_record,
    with_latest_print,
)
from ..state import current_hall, state
from . import TooManyAttempts, bp, doc
from .openapi import require
from .printing import acting_kiosk, is_kiosk, print_ticket
from .schemas import TicketLookup, TicketRequest

ISSUERS = ("device:kiosk", *GUIDES)


@doc.operation(
    bp,
    "/tickets",
    "POST",
    summary="Take a ticket",
    tag="tickets",
    body=TicketRequest,
    roles=ISSUERS,
    view_checks_roles=True,
    responses={
        201: ("The ticket, with its number and how many are ahead", IssuedTicketOut),
        200: ("The ticket an earlier request with the same request_id made", IssuedTicketOut),
        404: ("No such item or queue", None),
        409: ("The queue is closed or its numbers for today are used up", None),
    },
)
def create_ticket(body: TicketRequest) -> tuple[IssuedTicketOut, int]:
    """A kiosk's device token, or a guide's, manager's or admin's token or session. Anonymous
    callers only where the hall enables remote ticketing. With a request_id, repeating the
    request (a retry, a double tap) answers 200 with the ticket the first one made."""
    try:
        return _issue(body)
    except IntegrityError:
        # Two copies of one request raced (PostgreSQL); the first committed its ticket.
        return _issue(body)


def _issue(body: TicketRequest) -> tuple[IssuedTicketOut, int]:
    with state().db.write() as uow:
        return _issue_in(uow, body)


def _issue_in(uow: UnitOfWork, body: TicketRequest) -> tuple[IssuedTicketOut, int]:
    hall = current_hall(uow)
    if not (hall.remote_ticketing and not current_user.is_authenticated):
        require(ISSUERS, "Take a ticket")
    kiosk_id = acting_kiosk(body.kiosk, doing="issue tickets as")
    earlier = ticket_for_request(uow, hall, body.request_id) if body.request_id else None
    if earlier is not None:
        return with_latest_print(uow, ticket_out(uow, earlier, with_key=True)), 200
    if is_kiosk():
        _within_rate(current_user.device_id)  # after the replay check: a retry is not a new ticket
    authorised_by = _priority_guide(uow, hall, body)
    secret = state().settings.secret_key()
    holder = holder_digest(secret, body.id_number) if body.id_number else None
    ticket = issue_ticket(
        uow,
        hall,
        queue_code=body.queue,
        item_id=body.item_id,
        priority=body.priority,
        kiosk_id=kiosk_id,
        request_id=body.request_id,
        authorised_by=authorised_by,
        holder=holder,
    )
    answer: IssuedTicketOut = ticket_out(uow, ticket, with_key=True)
    if kiosk_id:
        print_ticket(uow, hall, answer, kiosk_id)  # printed once this commits
    return answer, 201


PIN_TRIES = 5  # wrong guide PINs a kiosk may send in PIN_LOCK_SECONDS
PIN_LOCK_SECONDS = 600


def _within_rate(kiosk_id: str) -> None:
    kiosk = next((k for k in state().spec.kiosks if k.id == kiosk_id), None)
    if kiosk is None or kiosk.rate_limit is None:
        return
    rate = limits.parse(kiosk.rate_limit)
    # Counted per hall: the halls of a city share Redis, and each may have a kiosk K1.
    if not state().rate_limiter.hit(rate, "kiosk-tickets", state().hall_code, kiosk_id):
        raise TooManyAttempts(f"kiosk {kiosk_id} may issue {kiosk.rate_limit} tickets: wait a little")


def _priority_guide(uow: UnitOfWork, hall: Hall, body: TicketRequest) -> int | None:
    """Where the hall requires it, a kiosk's priority ticket needs a guide's PIN; returns the
    guide who allowed it. Staff issuing tickets themselves need none: their login is the
    confirmation, and the ticket's log names them as it names the PIN's guide."""
    if current_user.is_authenticated and not is_kiosk():
        return current_user.id
    if body.priority is None or not hall.priority_pin or not is_kiosk():
        return None
    app_state, kiosk_id = state(), current_user.device_id
    with app_state.cache_lock:
        locked = app_state.pin_failures.get(kiosk_id, 0) >= PIN_TRIES
    if locked:
        raise TooManyAttempts(
            f"too many wrong PINs at kiosk {kiosk_id}: wait {PIN_LOCK_SECONDS // 60} minutes"
        )
    if body.guide_pin is None:
        raise NotPermitted("a guide's PIN is needed for a priority ticket", needs="guide_pin")
    guide = guide_by_pin(uow, hall, app_state.settings.secret_key(), body.guide_pin)
    if guide is None:
        with app_state.cache_lock:
            app_state.pin_failures[kiosk_id] = app_state.pin_failures.get(kiosk_id, 0) + 1
        raise NotPermitted("wrong guide PIN", needs="guide_pin")
    return guide.id


@doc.operation(
    bp,
    "/tickets/<int:ticket_id>",
    "GET",
    summary="Follow a ticket",
    tag="tickets",
    responses={
        200: ("Its status, its window once called, how many are still ahead", TicketOut),
        404: ("No such ticket", None),
    },
)
def get_ticket(ticket_id: int) -> TicketOut:
    """With its latest print job, so "no ticket came out" can be checked."""
    with state().db.read() as uow:
        return with_latest_print(uow, ticket_out(uow, ticket_by_id(uow, current_hall(uow).id, ticket_id)))


@doc.operation(
    bp,
    "/tickets/<int:ticket_id>/cancel",
    "POST",
    summary="Cancel a ticket",
    tag="tickets",
    roles=GUIDES,
    responses={200: ("The cancelled ticket", TicketOut), 409: ("Already served or cancelled", None)},
)
def cancel(ticket_id: int) -> TicketOut:
    with state().db.write() as uow:
        ticket = ticket_by_id(uow, current_hall(uow).id, ticket_id)
        cancel_ticket(uow, ticket, staff_id=current_user.id)
        return ticket_out(uow, ticket)


@doc.operation(
    bp,
    "/tickets/<int:ticket_id>/requeue",
    "POST",
    summary="重新排队: put an absent ticket back at the end of its queue",
    tag="tickets",
    roles=GUIDES,
    responses={
        200: ("The ticket, waiting again under its number", TicketOut),
        409: ("Not absent, already put back once, or the hall does not requeue", None),
    },
)
def requeue(ticket_id: int) -> TicketOut:
    """The holder of a ticket marked absent (过号) came back: a guide puts it back once."""
    with state().db.write() as uow:
        hall = current_hall(uow)
        ticket = requeue_no_show(uow, hall, ticket_by_id(uow, hall.id, ticket_id), current_user.id)
        return ticket_out(uow, ticket)


@doc.operation(
    bp,
    "/tickets/lookup",
    "GET",
    summary="Look up a ticket by today's number or its key, with its history",
    tag="tickets",
    query=TicketLookup,
    roles=GUIDES,
    responses={
        200: ("The ticket, its log, and whether a guide may cancel or requeue it", TicketRecordOut),
        404: ("No such ticket today", None),
    },
)
def lookup_ticket(query: TicketLookup) -> TicketRecordOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        if query.key is not None:
            ticket = ticket_by_key(uow, hall.id, query.key)
        else:
            day = service_day(hall, uow.now())
            ticket = ticket_by_number(uow, hall.id, day, (query.number or "").upper())
        return ticket_record(uow, hall, ticket)


@doc.operation(
    bp,
    "/tickets/by-key/<key>/postpone",
    "POST",
    summary="我需要多一点时间: the ticket's holder moves it back a few places in its line, once",
    tag="tickets",
    responses={
        200: ("The ticket in its new place (waiting_ahead)", TicketOut),
        403: ("The hall does not postpone tickets", None),
        404: ("No such ticket", None),
        409: ("Not waiting, already postponed once, or last in its line", None),
    },
)
def postpone_ticket(key: str) -> TicketOut:
    """No login: the key, printed on the ticket and held by its phone page, is the proof."""
    with state().db.write() as uow:
        hall = current_hall(uow)
        ticket = ticket_by_key(uow, hall.id, key)
        postpone(uow, ticket, state().spec.hall.postpone_places)
        return ticket_out(uow, ticket)
