"""Printers and print jobs: a kiosk's ticket and one-time notice, and the printers' state."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from printer_driver import PrinterStatus
from queue_core import UnitOfWork
from queue_core.errors import NotPermitted
from queue_core.models import OVERSIGHT, Hall, PrintRecord, Role

from ..present.catalog import ItemDetail, item_detail
from ..present.devices import PrinterOut
from ..present.tickets import IssuedTicketOut, PrintOut, print_out
from ..printing import PRIORITY_LABELS, window_numbers
from ..state import current_hall, state
from . import bp, doc
from .openapi import PayloadError
from .schemas import NoticeRequest

PRINTER_READERS = ("device:kiosk", *OVERSIGHT)


def print_ticket(uow: UnitOfWork, hall: Hall, ticket: IssuedTicketOut, kiosk_id: str) -> None:
    """The ticket's print job, in the ticket's transaction: it is delivered once that commits."""
    printing = state().printing
    kiosk = next((k for k in state().spec.kiosks if k.id == kiosk_id), None)
    fields = {
        "hall_name": hall.name,
        "number": ticket.number,
        "queue_name": ticket.queue_name,
        "item_name": ticket.item_name,
        "ahead": ticket.waiting_ahead,
        "issued_at": printing.local_time(ticket.issued_at),
        "windows": window_numbers([w.number for w in ticket.windows]),
        "phone_url": url_for("kiosk.phone", key=ticket.key, _external=True),
        "kiosk_name": kiosk.name if kiosk else kiosk_id,
        "priority": PRIORITY_LABELS.get(ticket.priority or "", ""),
    }
    record = printing.record(
        uow,
        hall,
        kind="ticket",
        kiosk=kiosk_id,
        fields=fields,
        label=f"ticket {ticket.number}",
        ticket_id=ticket.id,
    )
    ticket.print = print_out(record)


def time_limit_text(kind: str, promised_days: int, legal_days: int) -> str:
    """An item's time limit as printed: 即办件, or its promised and legal working days."""
    if kind == "instant":
        return "即办件，当场办结"
    text = f"承诺{promised_days}个工作日办结"
    return text + f"（法定{legal_days}个工作日）" if legal_days else text


def notice_fields(item: ItemDetail, hall_name: str, issued_at: str) -> dict[str, object]:
    return {
        "hall_name": hall_name,
        "item_name": item.name,
        "department": item.department_name,
        "time_limit": time_limit_text(item.kind, item.promised_limit_days, item.legal_limit_days),
        "fees": item.fees or "不收费",
        "windows": window_numbers([w.number for w in item.windows]),
        "issued_at": issued_at,
        "materials": item.materials,
        "conditions": item.conditions,
        "basis": item.basis,
        "procedure": item.procedure,
    }


@doc.operation(
    bp,
    "/items/<int:item_id>/notice",
    "POST",
    summary="Print an item's one-time notice",
    tag="printing",
    body=NoticeRequest,
    roles=("device:kiosk", Role.GUIDE, Role.MANAGER, Role.ADMIN),
    responses={
        202: (
            "The print job: queued, or failed at once when the kiosk's printers are out of order",
            PrintOut,
        ),
        404: ("No such item", None),
    },
)
def print_notice(item_id: int, body: NoticeRequest) -> tuple[PrintOut, int]:
    """一次性告知单: the item's conditions, full materials list, time limit, fees and windows,
    on the kiosk's printer (a kiosk prints on its own; staff name the kiosk)."""
    kiosk = acting_kiosk(body.kiosk, doing="print on", required=True)
    printing = state().printing
    with state().db.write() as uow:
        hall = current_hall(uow)
        item = item_detail(uow, hall, item_id)
        fields = notice_fields(item, hall.name, printing.local_time(uow.now()))
        record = printing.record(
            uow, hall, kind="notice", kiosk=kiosk, fields=fields, label=f"notice {item.code}", item_id=item_id
        )
    return print_out(record), 202


def acting_kiosk(named: str | None, *, doing: str, required: bool = False) -> str | None:
    """The kiosk a request acts for: a kiosk acts in its own name; staff may name one (must,
    where `required`), and it must be a kiosk of hall.toml."""
    if is_kiosk():
        if named and named != current_user.device_id:
            raise NotPermitted(f'kiosk {current_user.device_id} cannot {doing} kiosk "{named}"')
        return current_user.device_id
    if not named:
        if required:
            raise PayloadError([{"field": "kiosk", "message": "say which kiosk's printer to use"}])
        return None
    if named not in state().printing.kiosk_printers:
        raise PayloadError([{"field": "kiosk", "message": f'unknown kiosk "{named}"'}])
    return named


def is_kiosk() -> bool:
    return current_user.is_authenticated and current_user.role == "device"


_LATEST_BY_PRINTER = select(PrintRecord).order_by(PrintRecord.id.desc()).limit(1)


@doc.operation(
    bp,
    "/printers",
    "GET",
    summary="List printers",
    tag="printing",
    roles=PRINTER_READERS,
    responses={200: ("Every kiosk's printer and backup, its state and its last job", PrinterOut)},
)
def list_printers() -> list[PrinterOut]:
    """A kiosk's device token sees its own printers; managers and admins see them all.
    Changes are pushed to the dashboard over /hall as printer_state."""
    printing = state().printing
    own = current_user.device_id if is_kiosk() else None
    answer = []
    with state().db.read() as uow:
        hall = current_hall(uow)
        # Kiosk and printer names are the hall's own: another hall may have a K1 too.
        latest = _LATEST_BY_PRINTER.where(PrintRecord.hall_id == hall.id)
        for kiosk, printers in printing.views(uow, hall).items():
            if own is not None and kiosk != own:
                continue
            for printer in printers:
                last = uow.session.scalar(
                    latest.where(PrintRecord.printer == printer.name, PrintRecord.kiosk == kiosk)
                )
                answer.append(
                    PrinterOut(
                        name=printer.name,
                        kiosk=kiosk,
                        agent=printer.agent or None,
                        url=printer.settings.url,
                        mode=printer.settings.mode,
                        paper=printer.settings.paper,
                        status=printer.status,
                        alarm=PrinterStatus(printer.status).alarm,
                        error=printer.error,
                        last_job=print_out(last) if last else None,
                    )
                )
    return answer
