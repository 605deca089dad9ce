"""The managers' live dashboard (/manager): everything it shows when it (re)connects. Events
keep it live afterwards (hall_display.events sends every one of them to the dashboard room):
the state carries what the page needs to apply them without asking again, such as the issue
time of every waiting ticket (a call then tells the page that ticket's wait).

- per queue: waiting, the longest wait's start, today's mean handling time and the windows
  serving it (so the page works out the expected wait as windows open and close);
- per window: its state as the boards get it, and how many it served today;
- the hall's day: issued, served, no-shows, waiting, the mean wait so far;
- the alarms: every open one and those raised today, newest first;
- the charts: arrivals and calls per 15 minutes today against the same weekday's average over
  the previous four weeks, and each queue's waiting count at the end of each 15 minutes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from . import advisor, alarms
from .hall_calendar import WHOLE_DAY, HallCalendar
from .models import Hall, Queue, Ticket, TicketEvent, TicketEventKind, TicketStatus, Window
from .numbering import day_start, local_time, service_day
from .snapshots import waiting_counts, window_state

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

SLOT_MINUTES = 15
USUAL_WEEKS = 4  # the same weekday's average over this many weeks before today
DEFAULT_HOURS = (time(8, 0), time(18, 0))  # the charts' span when the calendar gives none


def state(uow: UnitOfWork, hall: Hall) -> dict[str, Any]:
    now = uow.now()
    today = service_day(hall, now)
    queues = list(uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position)))
    windows = list(
        uow.session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number))
    )
    waiting = waiting_counts(uow, hall.id)
    mean_handle: dict[int, Any] = dict(
        uow.session.execute(
            select(Ticket.queue_id, func.avg(Ticket.handle_seconds))
            .where(
                Ticket.hall_id == hall.id, Ticket.service_day == today, Ticket.status == TicketStatus.FINISHED
            )
            .where(Ticket.handle_seconds.is_not(None))
            .group_by(Ticket.queue_id)
        ).all()
    )
    served = dict(
        uow.session.execute(
            select(Ticket.window_id, func.count())
            .where(
                Ticket.hall_id == hall.id, Ticket.service_day == today, Ticket.status == TicketStatus.FINISHED
            )
            .group_by(Ticket.window_id)
        ).all()
    )
    serving_windows: dict[int, list[int]] = defaultdict(list)
    for window in windows:
        for link in window.queue_links:
            serving_windows[link.queue_id].append(window.number)
    return {
        "now": now.isoformat(),
        "queues": [
            {
                "queue": q.code,
                "queue_name": q.name,
                "queue_name_en": q.name_en,
                "target_wait_minutes": q.target_wait_minutes,
                "waiting": waiting.get(q.id, (0, None))[0],
                "oldest_issued_at": _iso(waiting.get(q.id, (0, None))[1]),
                "mean_handle_seconds": round(float(mean_handle[q.id])) if mean_handle.get(q.id) else None,
                "windows": serving_windows.get(q.id, []),
            }
            for q in queues
        ],
        "windows": [window_state(uow, w).payload() | {"served_today": served.get(w.id, 0)} for w in windows],
        "totals": totals(uow, hall, today),
        "waiting_since": _waiting_since(uow, hall, today),
        "alarms": [alarms.as_event(a).payload() for a in alarms.for_dashboard(uow, hall)],
        "advice": [move.payload() for move in advisor.advise(uow, hall, today)],
        "charts": charts(uow, hall, queues),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def totals(uow: UnitOfWork, hall: Hall, today: Any) -> dict[str, Any]:
    by_status = dict(
        uow.session.execute(
            select(Ticket.status, func.count())
            .where(Ticket.hall_id == hall.id, Ticket.service_day == today)
            .group_by(Ticket.status)
        ).all()
    )
    waited, wait_sum = uow.session.execute(
        select(func.count(Ticket.wait_seconds), func.sum(Ticket.wait_seconds)).where(
            Ticket.hall_id == hall.id, Ticket.service_day == today, Ticket.wait_seconds.is_not(None)
        )
    ).one()
    return {
        "issued": sum(by_status.values()),
        "served": by_status.get(TicketStatus.FINISHED, 0),
        "no_show": by_status.get(TicketStatus.NO_SHOW, 0),
        "waiting": by_status.get(TicketStatus.WAITING, 0),
        "serving": by_status.get(TicketStatus.CALLED, 0) + by_status.get(TicketStatus.SERVING, 0),
        "waited": waited,  # tickets called today, over which the mean wait is taken
        "wait_seconds_sum": int(wait_sum or 0),
        "mean_wait_seconds": round((wait_sum or 0) / waited) if waited else None,
    }


def _waiting_since(uow: UnitOfWork, hall: Hall, today: Any) -> dict[str, str]:
    rows = uow.session.execute(
        select(Ticket.id, Ticket.issued_at).where(
            Ticket.hall_id == hall.id, Ticket.service_day == today, Ticket.status == TicketStatus.WAITING
        )
    )
    return {str(ticket_id): issued_at.isoformat() for ticket_id, issued_at in rows}


# -- the charts ----------------------------------------------------------------------------


def charts(uow: UnitOfWork, hall: Hall, queues: list[Queue]) -> dict[str, Any]:
    now = uow.now()
    midnight = day_start(hall, now)
    # The day's span: the hall's sessions today (on a day off, or all day, the usual hours),
    # widened by any queue's own hours.
    sessions = HallCalendar.of_hall(hall).day(service_day(hall, now)).sessions
    hall_opens, hall_closes = (
        (sessions[0][0], sessions[-1][1]) if sessions != WHOLE_DAY and sessions else DEFAULT_HOURS
    )
    opens = [q.opens_at for q in queues if q.opens_at] + [hall_opens]
    closes = [q.closes_at for q in queues if q.closes_at] + [hall_closes]
    minutes_now = int((now - midnight).total_seconds() // 60)
    # From the present too: what the page adds as it happens (arrivals, calls) has its slot,
    # even before the hall's hours (an early ticket, a hall open at night).
    first = min(_minutes(min(opens)), minutes_now) // 60 * 60
    last = max(_minutes(max(closes)), min(minutes_now + 1, 24 * 60))
    today = service_day(hall, now)
    tickets = uow.session.execute(
        select(Ticket.id, Ticket.queue_id, Ticket.issued_at, Ticket.first_called_at)
        .where(Ticket.hall_id == hall.id, Ticket.service_day == today)
    ).all()  # fmt: skip
    if tickets:
        earliest = min(_minutes(local_time(hall, t.issued_at).time()) for t in tickets)
        first = min(first, earliest // 60 * 60)
    count = -(-(last - first) // SLOT_MINUTES)
    start = midnight + timedelta(minutes=first)

    def slot(moment: datetime) -> int | None:
        index = int((_minutes(local_time(hall, moment).time()) - first) // SLOT_MINUTES)
        return index if 0 <= index < count else None

    arrivals, calls = [0] * count, [0] * count
    for t in tickets:
        if (i := slot(t.issued_at)) is not None:
            arrivals[i] += 1
    for (at,) in _calls(uow, hall, midnight, midnight + timedelta(days=1)):
        if (i := slot(at)) is not None:
            calls[i] += 1

    usual_arrivals, usual_calls = [0.0] * count, [0.0] * count
    weeks = 0
    for week in range(1, USUAL_WEEKS + 1):
        day = today - timedelta(weeks=week)
        issued = uow.session.scalars(
            select(Ticket.issued_at).where(Ticket.hall_id == hall.id, Ticket.service_day == day)
        ).all()
        if not issued:
            continue  # closed that day (a holiday), or before the hall used Hallq
        weeks += 1
        for at in issued:
            if (i := slot(at)) is not None:
                usual_arrivals[i] += 1
        begin = midnight - timedelta(weeks=week)
        for (at,) in _calls(uow, hall, begin, begin + timedelta(days=1)):
            if (i := slot(at)) is not None:
                usual_calls[i] += 1

    return {
        "start": start.isoformat(),
        "slot_minutes": SLOT_MINUTES,
        "slots": [_label(first + i * SLOT_MINUTES) for i in range(count)],
        "arrivals": arrivals,
        "calls": calls,
        "usual_weeks": weeks,
        "usual_arrivals": [round(v / weeks, 1) for v in usual_arrivals] if weeks else None,
        "usual_calls": [round(v / weeks, 1) for v in usual_calls] if weeks else None,
        "waiting": _waiting_by_slot(uow, hall, queues, tickets, slot, count, midnight, now),
    }


def _calls(uow: UnitOfWork, hall: Hall, begin: datetime, end: datetime) -> Sequence[Any]:
    """First calls and calls again after a requeue (not recalls), between the two instants."""
    return uow.session.execute(
        select(TicketEvent.at).where(
            TicketEvent.hall_id == hall.id,
            TicketEvent.at >= begin,
            TicketEvent.at < end,
            TicketEvent.kind == TicketEventKind.CALLED,
        )
    ).all()


def _waiting_by_slot(
    uow: UnitOfWork,
    hall: Hall,
    queues: list[Queue],
    tickets: Sequence[Any],
    slot: Any,
    count: int,
    midnight: datetime,
    now: datetime,
) -> dict[str, list[int | None]]:
    """Each queue's waiting count at the end of every 15 minutes so far: a ticket waits from
    its issue to its first call or its cancellation."""
    cancelled = dict(
        uow.session.execute(
            select(TicketEvent.ticket_id, func.min(TicketEvent.at))
            .where(TicketEvent.hall_id == hall.id, TicketEvent.at >= midnight)
            .where(TicketEvent.kind == TicketEventKind.CANCELLED)
            .group_by(TicketEvent.ticket_id)
        ).all()
    )
    codes = {q.id: q.code for q in queues}
    steps: dict[str, list[int]] = {q.code: [0] * (count + 1) for q in queues}
    for t in tickets:
        line = steps[codes[t.queue_id]]
        begin = slot(t.issued_at)
        line[0 if begin is None else begin] += 1
        ended = min((m for m in (t.first_called_at, cancelled.get(t.id)) if m is not None), default=None)
        if ended is not None:
            end = slot(ended)
            line[count if end is None else end] -= 1
    current = slot(now)
    upto = count - 1 if current is None else current
    waiting: dict[str, list[int | None]] = {}
    for code, line in steps.items():
        running, values = 0, []
        for i in range(count):
            running += line[i]
            values.append(running if i <= upto else None)
        waiting[code] = values
    return waiting


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
