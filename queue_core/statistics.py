"""How the hall did over a period: tickets, waiting and handling times, service level,
throughput and utilisation, for the hall and per queue, item, department, window or clerk.

Definitions (each documented in docs/statistics.md; every figure is over tickets whose
service day lies in the period):
- issued: every ticket; served: finished; no_show and cancelled: ended so (a no-show put
  back and served later counts as served); transferred: moved to another queue or window at
  least once.
- wait: seconds from issue to the last call (after a requeue, the last call counts), over
  the tickets that were called; handle: seconds from start to finish, over served tickets.
  Each as mean, median (the middle value, or the mean of the two middle ones), p90 (the
  nearest-rank 90th percentile: the smallest value at or above 90 % of them) and max.
- service_level: the share of called tickets called within their queue's target wait.
- throughput_per_hour: served per hour open. A window's or clerk's hours are their own
  (signed in and not paused); the hall's and a queue's, item's or department's are the
  hall's: from the first sign-in to the last sign-out of each day.
- utilisation: handling time over open time, for the hall (all windows), a window or a clerk.
- evaluation (好差评, from queue_core.evaluation_figures, over the services finished in the
  period): served, rated, unrated, defaulted, levels; good_rate (好评率) = (非常满意 + 满意) /
  rated; bad_count (差评数) = 不满意 + 非常不满意; bad_rate (差评率) = bad_count / rated;
  active_rate (主动评价率) = rated / served; rectified_rate (整改率) = closed cases / bad_count;
  callback_rate (回访率) = cases called back / bad_count. A rating belongs to the window, clerk,
  item and department of its service as they were at the finish, and to the ticket's queue
  of issue.

Groups: a ticket belongs to the queue it was issued in, its item and the item's department,
and the window and clerk that served (or last called) it. Percentiles are exact: the database
returns how many tickets had each duration, never every ticket.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from . import evaluation_figures
from .models import (
    Hall,
    Queue,
    ServiceItem,
    Ticket,
    TicketStatus,
    WindowEvent,
    WindowEventKind,
)
from .numbering import day_start, service_day

if TYPE_CHECKING:
    from .db import UnitOfWork

GROUPINGS = ("queue", "item", "department", "window", "staff")


@dataclass
class Durations:
    """A histogram of whole seconds: exact mean, median, p90 and max without every value."""

    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, seconds: int, n: int) -> None:
        self.counts[seconds] += n

    def figures(self) -> dict[str, float | None]:
        n = sum(self.counts.values())
        if not n:
            return {"mean": None, "median": None, "p90": None, "max": None}
        values = sorted(self.counts)
        total = sum(v * c for v, c in self.counts.items())
        middle = (self._at_rank(values, (n + 1) // 2) + self._at_rank(values, n // 2 + 1)) / 2
        return {
            "mean": round(total / n, 1),
            "median": middle,
            "p90": float(self._at_rank(values, math.ceil(0.9 * n))),
            "max": float(values[-1]),
        }

    def _at_rank(self, values: list[int], rank: int) -> int:
        """The rank-th smallest value (1-based)."""
        seen = 0
        for value in values:
            seen += self.counts[value]
            if seen >= rank:
                return value
        return values[-1]


@dataclass
class Tally:
    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    transferred: int = 0
    called: int = 0
    within_target: int = 0
    handling_seconds: int = 0
    wait: Durations = field(default_factory=Durations)
    handle: Durations = field(default_factory=Durations)

    def add_counts(self, row: Any) -> None:
        for name in ("issued", "served", "no_show", "cancelled", "transferred", "called", "within_target"):
            setattr(self, name, getattr(self, name) + int(row[name]))
        self.handling_seconds += int(row["handling_seconds"])

    def figures(self, open_seconds: float | None, utilisation: bool) -> dict[str, Any]:
        hours = open_seconds / 3600 if open_seconds else None
        return {
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "transferred": self.transferred,
            "wait": self.wait.figures(),
            "handle": self.handle.figures(),
            "service_level": round(self.within_target / self.called, 4) if self.called else None,
            "throughput_per_hour": round(self.served / hours, 2) if hours else None,
            "utilisation": round(self.handling_seconds / open_seconds, 4)
            if utilisation and open_seconds
            else None,
        }


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_GROUP_COLUMNS = {
    "queue": Ticket.origin_queue_id,
    "item": Ticket.item_id,
    "department": ServiceItem.department_id,
    "window": Ticket.window_id,
    "staff": Ticket.clerk_id,
}
_called = Ticket.wait_seconds.is_not(None)


def summary(
    uow: UnitOfWork, hall: Hall, first: date, last: date, group_by: str | None = None
) -> dict[str, Any]:
    """The period's figures for the hall and, with group_by, per group under "groups"."""
    if group_by is not None and group_by not in GROUPINGS:
        raise ValueError(f"group_by is one of {', '.join(GROUPINGS)}")
    key = _GROUP_COLUMNS[group_by] if group_by else None
    keys = [key] if key is not None else []
    in_period = (Ticket.hall_id == hall.id) & Ticket.service_day.between(first, last)

    counts = (
        select(
            *keys,
            func.count().label("issued"),
            _count(Ticket.status == TicketStatus.FINISHED).label("served"),
            _count(Ticket.status == TicketStatus.NO_SHOW).label("no_show"),
            _count(Ticket.status == TicketStatus.CANCELLED).label("cancelled"),
            _count(Ticket.transfer_count > 0).label("transferred"),
            _count(_called).label("called"),
            _count(_called & (Ticket.wait_seconds <= Queue.target_wait_minutes * 60)).label("within_target"),
            func.coalesce(func.sum(Ticket.handle_seconds), 0).label("handling_seconds"),
        )
        .join(Queue, Queue.id == Ticket.origin_queue_id)
        .where(in_period)
        .group_by(*keys)
    )
    tallies: dict[int | None, Tally] = defaultdict(Tally)
    total = Tally()
    for row in uow.session.execute(_with_item(counts, group_by)).mappings():
        group = row[key.key] if key is not None else None
        tallies[group].add_counts(row)
        total.add_counts(row)
    for column, attribute in ((Ticket.wait_seconds, "wait"), (Ticket.handle_seconds, "handle")):
        histogram = (
            select(*keys, column, func.count()).where(in_period, column.is_not(None)).group_by(*keys, column)
        )
        for row in uow.session.execute(_with_item(histogram, group_by)):
            *group, seconds, n = row
            getattr(tallies[group[0] if group else None], attribute).add(seconds, n)
            getattr(total, attribute).add(seconds, n)

    opening = open_seconds(uow, hall, first, last)
    rated_total, rated_groups = evaluation_figures.tally(
        uow, hall, first, last, by=(group_by,) if group_by else ()
    )
    result: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group_by": group_by,
        **total.figures(opening.hall, utilisation=False),
    }
    result["utilisation"] = (
        round(total.handling_seconds / opening.all_windows, 4) if opening.all_windows else None
    )
    result["evaluation"] = rated_total.as_dict()
    if group_by is not None:
        result["groups"] = _labelled(uow, group_by, tallies, opening, rated_groups[group_by])
    return result


def _with_item(query: Any, group_by: str | None) -> Any:
    """The department of a ticket is its item's."""
    return (
        query.outerjoin(ServiceItem, ServiceItem.id == Ticket.item_id) if group_by == "department" else query
    )


# -- open time -----------------------------------------------------------------------------


@dataclass
class Opening:
    hall: float = 0.0  # first sign-in to last sign-out, per day, summed
    all_windows: float = 0.0  # every window's open time, summed
    by_window: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    by_staff: dict[int, float] = field(default_factory=lambda: defaultdict(float))


def open_seconds(uow: UnitOfWork, hall: Hall, first: date, last: date) -> Opening:
    """How long windows were open (signed in, not paused) in the period, from their event log.
    An open span ends at the end of its day at the latest (a clerk who forgot to sign out does
    not keep the window open overnight), and at the present moment for today."""
    start = day_start(hall, _noon(hall, first))
    end = day_start(hall, _noon(hall, last + timedelta(days=1)))
    events = uow.session.execute(
        select(WindowEvent.window_id, WindowEvent.kind, WindowEvent.at, WindowEvent.staff_id)
        .where(WindowEvent.hall_id == hall.id, WindowEvent.at >= start, WindowEvent.at < end)
        .order_by(WindowEvent.window_id, WindowEvent.at, WindowEvent.id)
    )
    opening = Opening()
    day_spans: dict[date, list[datetime]] = defaultdict(list)  # each day's span ends
    open_since: dict[int, tuple[datetime, int | None]] = {}  # window → (since, clerk)
    clerk_of: dict[int, int | None] = {}  # window → the clerk signed in there

    def close(window_id: int, at: datetime) -> None:
        opened, staff_id = open_since.pop(window_id)
        seconds = max(0.0, (at - opened).total_seconds())
        opening.by_window[window_id] += seconds
        opening.all_windows += seconds
        if staff_id is not None:
            opening.by_staff[staff_id] += seconds
        day_spans[service_day(hall, opened)] += [opened, at]

    def end_of_day(since: datetime) -> datetime:
        return min(day_start(hall, _noon(hall, service_day(hall, since) + timedelta(days=1))), uow.now())

    for window_id, kind, at, staff_id in events:
        since = open_since.get(window_id)
        if since is not None and service_day(hall, since[0]) != service_day(hall, at):
            close(window_id, end_of_day(since[0]))
        if kind == WindowEventKind.SIGNED_IN:
            clerk_of[window_id] = staff_id
        if kind in (WindowEventKind.SIGNED_IN, WindowEventKind.RESUMED):
            # A resume may be a manager's: the time is still the signed-in clerk's.
            open_since.setdefault(window_id, (at, clerk_of.get(window_id, staff_id)))
        elif window_id in open_since:  # signed out or paused
            close(window_id, at)
    for window_id, (since, _staff) in list(open_since.items()):
        close(window_id, end_of_day(since))
    opening.hall = sum((max(ends) - min(ends)).total_seconds() for ends in day_spans.values())
    return opening


def _noon(hall: Hall, day: date) -> datetime:
    """An instant inside the hall's local day (for day_start)."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(hall.timezone))


# -- labels --------------------------------------------------------------------------------

# grouping: (model, its key in the answer, its names): the ratings' breakdowns, and queues.
_LABELS: dict[str, tuple[Any, str, tuple[str, ...]]] = {
    "queue": (Queue, "code", ("name",)),
    **evaluation_figures.BREAKDOWNS,
}


def _labelled(
    uow: UnitOfWork,
    group_by: str,
    tallies: dict[int | None, Tally],
    opening: Opening,
    rated: dict[int | None, evaluation_figures.Figures],
) -> list[dict[str, Any]]:
    """Each group's figures under its key and names, in key order; tickets without one (never
    called, say) come last with null. A group's evaluation figures are its services' ratings."""
    model, key, names = _LABELS[group_by]
    ids = [i for i in tallies if i is not None]
    rows = list(uow.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    own_time = {"window": opening.by_window, "staff": opening.by_staff}.get(group_by)
    result = []
    for row in sorted(rows, key=lambda r: getattr(r, key)):
        seconds = own_time.get(row.id, 0.0) if own_time is not None else opening.hall
        result.append(
            {
                group_by: getattr(row, key),
                **{n: getattr(row, n) for n in names},
                **tallies[row.id].figures(seconds, utilisation=own_time is not None),
                "evaluation": _rated(rated, row.id),
            }
        )
    if None in tallies:
        result.append(
            {
                group_by: None,
                **dict.fromkeys(names),
                **tallies[None].figures(opening.hall, utilisation=False),
                "evaluation": _rated(rated, None),
            }
        )
    return result


def _rated(rated: dict[int | None, evaluation_figures.Figures], group: int | None) -> dict[str, Any]:
    found = rated.get(group)
    return (found or evaluation_figures.Figures()).as_dict()
