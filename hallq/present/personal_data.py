"""One citizen's personal data as the hall holds it (queue_core.retention.Held), for their
export (PIPL's right of access): their tickets, appointments and the ratings of those tickets."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from queue_core import UnitOfWork
from queue_core.models import Appointment, Evaluation, Ticket
from queue_core.retention import Anonymised, Held, case_notes


class HeldTicketOut(BaseModel):
    number: str
    queue: str
    queue_name: str
    item_name: str | None
    service_day: date
    issued_at: datetime
    finished_at: datetime | None
    status: str
    outcome: str | None


class HeldAppointmentOut(BaseModel):
    code: str
    item_name: str
    slot_start: datetime
    slot_end: datetime
    name: str = Field(description="Empty once anonymised")
    status: str


class HeldEvaluationOut(BaseModel):
    ticket: str = Field(description="The number of the ticket rated")
    service_day: date
    status: str
    score: int | None
    reasons: list[str]
    comment: str = Field(description="Empty once anonymised")
    rated_at: datetime | None
    case_notes: list[str] = Field(
        description="The notes of a bad rating's follow-up (they may quote the citizen)"
    )


class PersonalDataOut(BaseModel):
    tickets: list[HeldTicketOut]
    appointments: list[HeldAppointmentOut]
    evaluations: list[HeldEvaluationOut]


class ErasedOut(BaseModel):
    """How many rows gave up personal data; the rows stay, for the statistics."""

    tickets: int = Field(description="ID hashes dropped")
    appointments: int = Field(description="names and ID hashes blanked")
    comments: int = Field(description="rating comments blanked")
    notes: int = Field(description="follow-up notes blanked")


def personal_data_out(uow: UnitOfWork, held: Held) -> PersonalDataOut:
    return PersonalDataOut(
        tickets=[_ticket_out(t) for t in held.tickets],
        appointments=[_appointment_out(a) for a in held.appointments],
        evaluations=[_evaluation_out(uow, e) for e in held.evaluations],
    )


def erased_out(done: Anonymised) -> ErasedOut:
    return ErasedOut(**done.as_dict())


def _ticket_out(ticket: Ticket) -> HeldTicketOut:
    return HeldTicketOut(
        number=ticket.number,
        queue=ticket.queue.code,
        queue_name=ticket.queue.name,
        item_name=ticket.item.name if ticket.item else None,
        service_day=ticket.service_day,
        issued_at=ticket.issued_at,
        finished_at=ticket.finished_at,
        status=ticket.status,
        outcome=ticket.outcome,
    )


def _appointment_out(appointment: Appointment) -> HeldAppointmentOut:
    return HeldAppointmentOut(
        code=appointment.code,
        item_name=appointment.item.name,
        slot_start=appointment.slot_start,
        slot_end=appointment.slot_end,
        name=appointment.name,
        status=appointment.status,
    )


def _evaluation_out(uow: UnitOfWork, evaluation: Evaluation) -> HeldEvaluationOut:
    return HeldEvaluationOut(
        ticket=evaluation.ticket.number,
        service_day=evaluation.service_day,
        status=evaluation.status,
        score=evaluation.score,
        reasons=list(evaluation.reasons),
        comment=evaluation.comment,
        rated_at=evaluation.rated_at,
        case_notes=case_notes(uow, evaluation),
    )
