"""The window's written notices: a clerk gives the citizen at their window a numbered
一次性告知书 (the ticked missing materials), 不予受理告知书 (a reason) or 受理通知单 (the
promised completion date), printed on the printer hall.toml names for the window
(`notice_printer`) through the hall's print queue, and kept with the ticket."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from queue_core import UnitOfWork, written_notices
from queue_core.halls import window_by_number
from queue_core.models import Hall, PrintRecord, Staff, Ticket, Window, WrittenNotice, WrittenNoticeKind
from queue_core.numbering import local_time
from queue_core.spec import DISCLOSURE_LINE_LENGTH, DisclosureLines

from ..present.tickets import print_out
from ..present.written_notices import WrittenNoticeOut, written_notice_out
from ..state import current_hall, state
from . import bp, doc
from .printing import time_limit_text
from .schemas import Payload
from .windows import STAFF, acting_staff

# The last lines of each notice: what the citizen does next.
CLOSINGS = {
    WrittenNoticeKind.MISSING_MATERIALS: "以上为需补正的全部材料，请补齐后再到窗口办理。",
    WrittenNoticeKind.REFUSAL: "如对本决定有异议，可依法申请行政复议或者提起行政诉讼。",
    WrittenNoticeKind.ACCEPTANCE: "您的申请已受理，请于承诺办结日期后凭本通知单领取办理结果。",
}


class WrittenNoticeRequest(Payload):
    kind: Literal["missing_materials", "refusal", "acceptance"]
    materials: DisclosureLines = Field(
        [], description="一次性告知书: the item's materials the citizen lacks, as the item lists them"
    )
    reason: str = Field(
        "",
        max_length=DISCLOSURE_LINE_LENGTH,
        description="不予受理告知书: why (one of the item's conditions, or typed)",
    )


@doc.operation(
    bp,
    "/windows/<int:number>/written-notices",
    "POST",
    summary="Print a written notice for the citizen at the window",
    tag="windows",
    body=WrittenNoticeRequest,
    roles=STAFF,
    responses={
        201: ("The numbered notice, kept with the ticket, and its print job", WrittenNoticeOut),
        404: ("No such window", None),
        409: ("Nobody is at the window, or the ticket names no item", None),
        422: ("No material ticked, one the item does not list, or no reason", None),
    },
)
def print_written_notice(number: int, body: WrittenNoticeRequest) -> tuple[WrittenNoticeOut, int]:
    """Only the clerk signed in at the window (or a manager) gives one; it names that clerk."""
    request = written_notices.Request(WrittenNoticeKind(body.kind), tuple(body.materials), body.reason)
    with state().db.write() as uow:
        hall = current_hall(uow)
        window = window_by_number(uow, hall.id, number, lock=True)
        acting = acting_staff(number, window.clerk_id, any_clerk=False)
        clerk = uow.session.get_one(Staff, window.clerk_id or acting)
        notice = written_notices.issue(uow, hall, window, clerk, request)
        ticket = uow.session.get_one(Ticket, notice.ticket_id)
        record = _print(uow, hall, window, notice, ticket)
        return written_notice_out(notice, ticket.number, print_out(record) if record else None), 201


def _print(
    uow: UnitOfWork, hall: Hall, window: Window, notice: WrittenNotice, ticket: Ticket
) -> PrintRecord | None:
    """The notice's print job on the window's notice printer, none where hall.toml names none.
    The job is not the ticket's (the kiosk's screen follows the ticket's own print)."""
    spec = next((w for w in state().spec.windows if w.number == window.number), None)
    if spec is None or spec.notice_printer is None:
        return None
    record = state().printing.record(
        uow,
        hall,
        kind="letter",
        kiosk=spec.notice_printer,
        fields=_fields(hall, window, notice, ticket),
        label=f"letter {written_notices.notice_number(notice)}",
        item_id=notice.item_id,
    )
    notice.print_job_id = record.id
    return record


def _fields(hall: Hall, window: Window, notice: WrittenNotice, ticket: Ticket) -> dict[str, object]:
    kind = WrittenNoticeKind(notice.kind)
    item = ticket.item
    accepted = kind == WrittenNoticeKind.ACCEPTANCE and item is not None
    return {
        "hall_name": hall.name,
        "title": written_notices.TITLES[kind],
        "notice_number": written_notices.notice_number(notice),
        "ticket_number": ticket.number,
        "item_name": notice.item_name,
        "department": item.department.name if item else "",
        "materials": notice.materials,
        "reason": notice.reason,
        "time_limit": time_limit_text(item.kind, item.promised_limit_days, item.legal_limit_days)
        if accepted and item is not None
        else "",
        "completion_date": f"{notice.completion_date:%Y年%m月%d日}" if notice.completion_date else "",
        "closing": CLOSINGS[kind],
        "window": window.name,
        "clerk": f"{notice.clerk_name}（工号 {notice.clerk_badge}）"
        if notice.clerk_badge
        else notice.clerk_name,
        "issued_on": f"{local_time(hall, notice.issued_at):%Y年%m月%d日}",
    }
