"""The record of print jobs: queued with the ticket (in its transaction), finished by the
printer's worker. The printing itself is printer_driver's."""

from __future__ import annotations

from sqlalchemy import select

from .db import UnitOfWork
from .errors import NotFound
from .events import PrintDone
from .models import Hall, PrintRecord, PrintStatus

_LATEST_FOR_TICKET = select(PrintRecord).order_by(PrintRecord.id.desc()).limit(1)


def record_print_job(
    uow: UnitOfWork,
    hall: Hall,
    *,
    kind: str,
    kiosk: str,
    ticket_id: int | None = None,
    item_id: int | None = None,
    refused: str = "",
    printer: str = "",
) -> PrintRecord:
    """A job about to be handed to the kiosk's printer; with `refused`, one that could not
    be (every printer of the kiosk is out of order), recorded as failed at once."""
    record = PrintRecord(
        hall_id=hall.id,
        kind=kind,
        kiosk=kiosk,
        ticket_id=ticket_id,
        item_id=item_id,
        printer=printer,
        status=PrintStatus.FAILED if refused else PrintStatus.QUEUED,
        error=refused,
        created_at=uow.now(),
        finished_at=uow.now() if refused else None,
    )
    uow.session.add(record)
    uow.session.flush()
    if refused:
        uow.record(_done(record))
    return record


def finish_print_job(
    uow: UnitOfWork,
    job_id: int,
    *,
    status: PrintStatus,
    printer: str,
    url: str,
    size: int,
    reprinted: bool,
    error: str = "",
    problems: list[str] | None = None,
) -> PrintRecord:
    record = uow.session.get(PrintRecord, job_id)
    if record is None:
        raise NotFound(f"no print job {job_id}")
    record.status = status
    record.printer, record.url, record.bytes = printer, url, size
    record.reprinted, record.error, record.problems = reprinted, error, problems or []
    record.finished_at = uow.now()
    uow.record(_done(record))
    return record


def latest_print_job(uow: UnitOfWork, ticket_id: int) -> PrintRecord | None:
    return uow.session.scalar(_LATEST_FOR_TICKET.where(PrintRecord.ticket_id == ticket_id))


def _done(record: PrintRecord) -> PrintDone:
    return PrintDone(
        hall_id=record.hall_id,
        job_id=record.id,
        kind=record.kind,
        kiosk=record.kiosk,
        ticket_id=record.ticket_id,
        status=record.status,
        printer=record.printer,
        reprinted=record.reprinted,
        error=record.error,
    )
