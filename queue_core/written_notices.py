"""The written notices a window owes a citizen (首问负责, 一次性告知): the 一次性告知书 naming
every missing material at once, the 不予受理告知书 with its reason, and the 受理通知单 with the
promised completion date in the hall's working days. Each is numbered in a sequence of its
kind per year for the hall (告知〔2026〕第 0001 号) and kept with the ticket it was given for.

The printing is the caller's (the hall's print queue, in the same transaction)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, null, select

from .errors import Invalid, InvalidState
from .events import WrittenNoticeGiven
from .hall_calendar import HallCalendar
from .models import (
    Hall,
    Outcome,
    ServiceItem,
    Staff,
    Ticket,
    TicketStatus,
    Window,
    WrittenNotice,
    WrittenNoticeKind,
)
from .numbering import service_day

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

# The word of each kind's number: 告知〔2026〕第 0001 号.
NUMBER_WORDS = {
    WrittenNoticeKind.MISSING_MATERIALS: "告知",
    WrittenNoticeKind.REFUSAL: "不予受理",
    WrittenNoticeKind.ACCEPTANCE: "受理",
}
TITLES = {
    WrittenNoticeKind.MISSING_MATERIALS: "一次性告知书",
    WrittenNoticeKind.REFUSAL: "不予受理告知书",
    WrittenNoticeKind.ACCEPTANCE: "受理通知单",
}
AT_THE_WINDOW = (TicketStatus.CALLED, TicketStatus.SERVING)


@dataclass(frozen=True)
class Request:
    """What the clerk chose: the ticked materials (一次性告知书) or the reason (不予受理)."""

    kind: WrittenNoticeKind
    materials: Sequence[str] = ()
    reason: str = ""


def notice_number(notice: WrittenNotice) -> str:
    return f"{NUMBER_WORDS[WrittenNoticeKind(notice.kind)]}〔{notice.year}〕第 {notice.seq:04d} 号"


def next_seq(uow: UnitOfWork, hall: Hall, kind: WrittenNoticeKind, year: int) -> int:
    """The next number of the kind in the year. The unique constraint is the guard against
    two transactions taking the same one: the later is refused, never numbered twice."""
    last = uow.session.scalar(
        select(func.max(WrittenNotice.seq)).where(
            WrittenNotice.hall_id == hall.id, WrittenNotice.kind == kind, WrittenNotice.year == year
        )
    )
    return (last or 0) + 1


def completion_date(calendar: HallCalendar, item: ServiceItem, day: date) -> date:
    """The promised completion date of an item accepted on `day`: its promised working days
    after it on the hall's calendar (a legal limit where no promise is published); an instant
    item is done that day."""
    days = item.promised_limit_days or item.legal_limit_days
    return calendar.add_working_days(day, days) if days > 0 else day


def issue(uow: UnitOfWork, hall: Hall, window: Window, clerk: Staff, request: Request) -> WrittenNotice:
    """The notice for the ticket at `window`, numbered and kept; refused when no ticket of an
    item is at the window or the request does not fit the item."""
    ticket = uow.session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    if ticket is None or ticket.status not in AT_THE_WINDOW:
        raise InvalidState(f"window {window.number} has no citizen at the window", why="nobody_at_window")
    item = ticket.item
    if item is None:
        raise InvalidState(f"ticket {ticket.number} names no service item", why="no_item")
    materials: list[str] = []
    reason = ""
    if request.kind == WrittenNoticeKind.MISSING_MATERIALS:
        unknown = [m for m in request.materials if m not in item.materials]
        if unknown:
            raise Invalid(f"not a material of {item.name}: {'; '.join(unknown)}", why="unknown_material")
        if not request.materials:
            raise Invalid("tick at least one missing material", why="no_material")
        materials = [m for m in item.materials if m in request.materials]  # in the item's order
    elif request.kind == WrittenNoticeKind.REFUSAL:
        reason = request.reason.strip()
        if not reason:
            raise Invalid("give the reason for not accepting", why="refusal_reason")
    now = uow.now()
    today = service_day(hall, now)
    promised = None
    if request.kind == WrittenNoticeKind.ACCEPTANCE:
        promised = completion_date(HallCalendar.of_hall(hall), item, today)
    notice = WrittenNotice(
        hall_id=hall.id,
        kind=request.kind,
        year=today.year,
        seq=next_seq(uow, hall, request.kind, today.year),
        ticket_id=ticket.id,
        item_id=item.id,
        window_number=window.number,
        clerk_id=clerk.id,
        clerk_name=clerk.name,
        clerk_badge=clerk.badge,
        item_name=item.name,
        materials=materials,
        reason=reason,
        completion_date=promised,
        issued_at=now,
    )
    uow.session.add(notice)
    uow.session.flush()
    uow.record(
        WrittenNoticeGiven(
            hall_id=hall.id,
            notice_id=notice.id,
            kind=notice.kind,
            number=notice_number(notice),
            ticket=ticket.number,
            window=window.number,
        )
    )
    return notice


def of_ticket(uow: UnitOfWork, ticket_id: int) -> list[WrittenNotice]:
    """The notices given for a ticket, in the order they were given."""
    query = select(WrittenNotice).where(WrittenNotice.ticket_id == ticket_id).order_by(WrittenNotice.id)
    return list(uow.session.scalars(query))


# -- statistics -----------------------------------------------------------------------------

# A ticket's group, as queue_core.statistics groups its tickets.
GROUP_COLUMNS: dict[str, Any] = {
    "queue": Ticket.origin_queue_id,
    "item": Ticket.item_id,
    "department": ServiceItem.department_id,
    "window": Ticket.window_id,
    "staff": Ticket.clerk_id,
}


@dataclass
class NoticeTally:
    """The written notices of a period's tickets (their service day in it), and the 一次告知 rate:
    of the services finished as 补正材料 of items that list materials (`owed` a written
    一次性告知), those that got a 一次性告知书 (`told`)."""

    one_time: int = 0
    refusals: int = 0
    acceptances: int = 0
    owed: int = 0
    told: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "one_time_notices": self.one_time,
            "refusal_notices": self.refusals,
            "acceptance_notices": self.acceptances,
            "supplement_services": self.owed,
            "told_in_writing": self.told,
            "one_time_rate": round(self.told / self.owed, 4) if self.owed else None,
        }


_KIND_FIELDS = {
    WrittenNoticeKind.MISSING_MATERIALS: "one_time",
    WrittenNoticeKind.REFUSAL: "refusals",
    WrittenNoticeKind.ACCEPTANCE: "acceptances",
}


def tallies(
    uow: UnitOfWork, hall: Hall, first: date, last: date, group_by: str | None
) -> dict[int | None, NoticeTally]:
    """Per group id (None: the whole hall, or tickets without one), the period's NoticeTally."""
    key = GROUP_COLUMNS[group_by] if group_by else null()
    in_period = (Ticket.hall_id == hall.id, Ticket.service_day >= first, Ticket.service_day <= last)
    found: dict[int | None, NoticeTally] = defaultdict(NoticeTally)
    given = (
        select(key, WrittenNotice.kind, func.count())
        .select_from(WrittenNotice)
        .join(Ticket, Ticket.id == WrittenNotice.ticket_id)
        .outerjoin(ServiceItem, ServiceItem.id == Ticket.item_id)
        .where(*in_period)
        .group_by(WrittenNotice.kind, *((key,) if group_by else ()))
    )
    for group, kind, n in uow.session.execute(given):
        field = _KIND_FIELDS[WrittenNoticeKind(kind)]
        setattr(found[group], field, getattr(found[group], field) + n)
    told = exists().where(
        WrittenNotice.ticket_id == Ticket.id, WrittenNotice.kind == WrittenNoticeKind.MISSING_MATERIALS
    )
    owed = (
        select(key, ServiceItem.materials, told)
        .select_from(Ticket)
        .outerjoin(ServiceItem, ServiceItem.id == Ticket.item_id)
        .where(*in_period, Ticket.status == TicketStatus.FINISHED, Ticket.outcome == Outcome.SUPPLEMENT)
    )
    for group, materials, was_told in uow.session.execute(owed):
        if materials:  # an item that lists no materials owes no list of them
            found[group].owed += 1
            found[group].told += bool(was_told)
    return found
