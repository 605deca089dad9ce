"""Booking appointments (预约) and checking in for them at a kiosk (预约签到)."""

from __future__ import annotations

from collections.abc import Callable

from flask_login import current_user

from queue_core import UnitOfWork, remote
from queue_core.appointments import check_in, check_in_holder
from queue_core.booking import book_from_system
from queue_core.errors import NotFound
from queue_core.identity import holder_digest
from queue_core.models import Hall, Role, Ticket

from ..present.tickets import AppointmentOut, IssuedTicketOut, appointment_out, ticket_out, with_latest_print
from ..state import current_hall, state
from . import bp, doc
from .printing import is_kiosk, print_ticket
from .schemas import AppointmentRequest, CheckInByIdRequest, CheckInRequest


@doc.operation(
    bp,
    "/appointments",
    "POST",
    summary="Book an appointment",
    tag="appointments",
    body=AppointmentRequest,
    roles=(Role.GUIDE, Role.MANAGER, Role.ADMIN),
    responses={
        201: ("The appointment and its check-in code", AppointmentOut),
        404: ("No such item", None),
        409: ("The slot is over, not offered, full, or the person may not book it", None),
    },
)
def create_appointment(body: AppointmentRequest) -> tuple[AppointmentOut, int]:
    """Other systems (a provincial booking platform) book with a staff token. A queue open
    to citizens' booking ([booking] in hall.toml) takes only its offered slots with room
    left (GET /booking/slots), and with `id_number` the person's rules too: one booking per
    person per item per day, none while blocked for no-shows."""
    with state().db.write() as uow:
        holder = holder_digest(state().settings.secret_key(), body.id_number) if body.id_number else None
        appointment = book_from_system(
            uow, current_hall(uow), body.item_id, body.slot_start, body.slot_end, body.name, holder
        )
        return appointment_out(appointment), 201


CHECKERS = ("device:kiosk", Role.GUIDE, Role.MANAGER, Role.ADMIN)
CHECKED_IN = {
    201: ("Its ticket, with appointment priority", IssuedTicketOut),
    200: ("The ticket of an earlier check-in", IssuedTicketOut),
    409: ("Too early (opens_at), too late, or cancelled", None),
}


@doc.operation(
    bp,
    "/appointments/<code>/check-in",
    "POST",
    summary="Check in for an appointment",
    tag="appointments",
    body=CheckInRequest,
    roles=CHECKERS,
    responses=CHECKED_IN | {404: ("No such appointment", None)},
)
def check_in_appointment(code: str, body: CheckInRequest) -> tuple[IssuedTicketOut, int]:
    """Opens 15 minutes before the slot and closes at its end."""
    return _checked_in(
        lambda uow, hall, kiosk: check_in(uow, hall, code, kiosk_id=kiosk, request_id=body.request_id)
    )


@doc.operation(
    bp,
    "/appointments/check-in",
    "POST",
    summary="Check in for today's appointment by the booker's ID number",
    tag="appointments",
    body=CheckInByIdRequest,
    roles=CHECKERS,
    responses=CHECKED_IN | {404: ("No appointment today for this ID number", None)},
)
def check_in_by_id(body: CheckInByIdRequest) -> tuple[IssuedTicketOut, int]:
    """An ID card on the kiosk's reader instead of the code: today's booking open for
    check-in, else the person's remote ticket of today, which then enters its line."""
    holder = holder_digest(state().settings.secret_key(), body.id_number)

    def booked_or_remote(uow: UnitOfWork, hall: Hall, kiosk: str | None) -> tuple[Ticket, bool]:
        try:
            return check_in_holder(uow, hall, holder, kiosk_id=kiosk, request_id=body.request_id)
        except NotFound:  # no booking today: a remote ticket (远程取号) arrives the same way
            ticket = remote.remote_today(uow, hall, holder)
            if ticket is None:
                raise
            return remote.arrive(uow, hall, ticket), True

    return _checked_in(booked_or_remote)


# Checks in: (the unit of work, the hall, the acting kiosk or None) → (the ticket, first time).
CheckingIn = Callable[[UnitOfWork, Hall, str | None], tuple[Ticket, bool]]


def _checked_in(checking_in: CheckingIn) -> tuple[IssuedTicketOut, int]:
    """Checks in (checking_in(uow, hall, kiosk) → (ticket, first)) and answers its ticket,
    printed at the kiosk the first time."""
    kiosk = current_user.device_id if is_kiosk() else None
    with state().db.write() as uow:
        hall = current_hall(uow)
        ticket, first = checking_in(uow, hall, kiosk)
        answer: IssuedTicketOut = ticket_out(uow, ticket, with_key=True)
        if first and kiosk:
            print_ticket(uow, hall, answer, kiosk)  # printed once this commits
        if not first:
            with_latest_print(uow, answer)
    return answer, 201 if first else 200
