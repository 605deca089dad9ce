"""The hall's invariants between windows and tickets, and a check of them.

1. A window's current ticket is called or serving, and at that window.
2. A ticket called or serving today is the current ticket of its window, and of no other.

The transitions keep them (one lock order and status-checked updates: queue_core.ticket_log).
This check is the safety net and the detector: the sweeper runs it and raises an alarm with
the evidence (queue_core.alarms), and a manager can reset a stuck window
(queue_core.windows.reset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .models import Hall, Ticket, TicketStatus, Window
from .numbering import service_day

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

AT_A_WINDOW = (TicketStatus.CALLED, TicketStatus.SERVING)
# A ticket's status in the hall's words, for the alarm's message (its detail keeps the code).
STATUS_WORDS: dict[str, str] = {
    TicketStatus.REMOTE: "远程取号未到",
    TicketStatus.WAITING: "等候中",
    TicketStatus.CALLED: "已叫号",
    TicketStatus.SERVING: "办理中",
    TicketStatus.FINISHED: "已办结",
    TicketStatus.NO_SHOW: "过号",
    TicketStatus.CANCELLED: "已取消",
}


@dataclass(frozen=True)
class Violation:
    subject: str  # "window:3" or "ticket:12", as alarms name their subjects
    label: str  # for people: 3号窗口, A001
    message: str  # in the hall's words
    detail: dict[str, Any] = field(default_factory=dict)


def violations(uow: UnitOfWork, hall: Hall) -> list[Violation]:
    windows = list(
        uow.session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number))
    )
    current_ids = [w.current_ticket_id for w in windows if w.current_ticket_id is not None]
    live = uow.session.scalars(
        select(Ticket).where(
            Ticket.hall_id == hall.id,
            (Ticket.service_day == service_day(hall, uow.now())) & Ticket.status.in_(AT_A_WINDOW)
            | Ticket.id.in_(current_ids),
        )
    )
    tickets = {t.id: t for t in live}
    by_id = {w.id: w for w in windows}
    found: list[Violation] = []
    holders: dict[int, list[Window]] = {}
    for window in windows:
        if window.current_ticket_id is None:
            continue
        holders.setdefault(window.current_ticket_id, []).append(window)
        ticket = tickets[window.current_ticket_id]
        if ticket.status not in AT_A_WINDOW or ticket.window_id != window.id:
            elsewhere = by_id.get(ticket.window_id) if ticket.window_id else None
            found.append(
                Violation(
                    f"window:{window.number}",
                    window.name,
                    f"{window.name}的当前号 {ticket.number} 已是“{STATUS_WORDS[ticket.status]}”"
                    + (f"（在{elsewhere.name}）" if elsewhere and elsewhere is not window else "")
                    + "：窗口无法继续叫号，请复位窗口",
                    {"window": window.number, "ticket": ticket.number, "status": str(ticket.status),
                     "ticket_window": elsewhere.number if elsewhere else None},
                )
            )  # fmt: skip
    for ticket in tickets.values():
        if ticket.status not in AT_A_WINDOW:
            continue
        at = holders.get(ticket.id, [])
        if len(at) == 1 and at[0].id == ticket.window_id:
            continue
        names = "、".join(w.name for w in at)
        found.append(
            Violation(
                f"ticket:{ticket.id}",
                ticket.number,
                f"{ticket.number} 状态为“{STATUS_WORDS[ticket.status]}”，"
                + (f"却同时是{names}的当前号" if at else "却不在任何窗口"),
                {"ticket": ticket.number, "status": str(ticket.status), "windows": [w.number for w in at]},
            )
        )
    return found
