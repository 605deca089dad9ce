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
  hall's: from the first sign-in to the last sign-out of each day. Where the hall keeps its
  hours, open time is only what lies within its sessions (not the lunch break), and a wait
  is counted in open time when the ticket is called (queue_core.calling).
- utilisation: handling time over open time, for the hall (all windows), a window or a clerk.
- evaluation (好差评, from queue_core.evaluation_figures, over the services finished in the
  period): served, rated, unrated, defaulted, levels; good_rate (好评率) = (非常满意 + 满意) /
  rated; bad_count (差评数) = 不满意 + 非常不满意; bad_rate (差评率) = bad_count / rated;
  active_rate (主动评价率) = rated / served; rectified_rate (整改率) = closed cases / bad_count;
  callback_rate (回访率) = cases called back / bad_count. A rating belongs to the window, clerk,
  item and department of its service as they were at the finish, and to the ticket's queue
  of issue.

Groups: a ticket belongs to the queue it was issued in, its item and the item's department,
and the window and clerk that served (or last called) it. Percentiles are exact: durations
are whole seconds (queue_core.calling rounds them when it stores them), counted per second.

Closed days come from their rollups (queue_core.rollups) where there are some: each figure
is a sum over days, and the histograms add up, so a period's figures are the same whether
its days are rolled up or read from the rows. What a rollup could not settle (tickets not
yet ended, ratings that may still come, the follow-up cases) and the days without one
(today, above all) are read from the rows each time.
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate, chain
from operator import mul
from typing import TYPE_CHECKING, Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select

from . import evaluation_figures, written_notices
from .hall_calendar import elapsed
from .models import (
    Evaluation,
    EvaluationCase,
    Hall,
    Queue,
    ServiceItem,
    StatsDay,
    StatsRollup,
    Ticket,
    TicketStatus,
    WindowEvent,
    WindowEventKind,
)
from .numbering import day_start, service_day
from .spec import EvaluationSpec

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import Label

    from .unit_of_work import UnitOfWork

GROUPINGS = ("queue", "item", "department", "window", "staff")
HALL = "hall"  # the grouping of a rollup's whole-hall row
ENDED = (TicketStatus.FINISHED, TicketStatus.NO_SHOW, TicketStatus.CANCELLED)  # never change again
_MICROSECOND = timedelta(microseconds=1)
# The rating counts a rollup keeps; the follow-up cases' counts are always read live.
COUNTS = evaluation_figures.COUNTS
RATING_COUNTS = tuple(c for c in COUNTS if c not in ("closed", "called_back", "upheld"))
CASE_COUNTS = tuple(c for c in COUNTS if c not in RATING_COUNTS)


@dataclass
class Durations:
    """Whole seconds, as many as there were tickets: exact mean, median, p90 and max.

    It keeps the sequences of seconds it is given (a rollup's arrays, a query's rows as
    (seconds,) × count) and counts them only when its figures are asked: merging a year's
    days costs nothing per ticket, and counting runs in C (collections.Counter)."""

    runs: list[Sequence[int]] = field(default_factory=list)

    def add(self, seconds: int, n: int) -> None:
        self.runs.append((seconds,) * n)

    def add_values(self, values: Sequence[int]) -> None:
        self.runs.append(values)

    def merge(self, other: Durations) -> None:
        self.runs += other.runs

    def values(self) -> list[int]:
        """Every duration, in increasing order (a rollup's form)."""
        return sorted(chain.from_iterable(self.runs))

    def figures(self) -> dict[str, float | None]:
        counts: Counter[int] = Counter()
        for run in self.runs:
            counts.update(run)
        if not counts:
            return {"mean": None, "median": None, "p90": None, "max": None}
        values = sorted(counts)
        weights = [counts[v] for v in values]
        cumulative = list(accumulate(weights))
        n = cumulative[-1]

        def at_rank(rank: int) -> int:
            """The rank-th smallest value (1-based)."""
            return values[bisect_left(cumulative, rank)]

        return {
            "mean": round(sum(map(mul, values, weights)) / n, 1),
            "median": (at_rank((n + 1) // 2) + at_rank(n // 2 + 1)) / 2,
            "p90": float(at_rank(math.ceil(0.9 * n))),
            "max": float(values[-1]),
        }


def pack(values: list[int]) -> bytes:
    """Durations as a rollup stores them: 32-bit little-endian integers."""
    packed = array("i", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(stored: bytes) -> array[int]:
    found = array("i")
    found.frombytes(stored)
    if sys.byteorder == "big":
        found.byteswap()
    return found


TALLY_COUNTS = ("issued", "served", "no_show", "cancelled", "transferred", "called", "within_target")


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
        """Add the counts of a query row or a rollup (anything with those names)."""
        for name in (*TALLY_COUNTS, "handling_seconds"):
            setattr(self, name, getattr(self, name) + int(row[name]))

    def merge(self, other: Tally) -> None:
        self.add_counts(other.__dict__)
        self.wait.merge(other.wait)
        self.handle.merge(other.handle)

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


def ticket_tallies(
    uow: UnitOfWork, where: Any, group_by: str | None, *, by_day: bool = False
) -> dict[tuple[Any, ...], Tally]:
    """The tallies of the tickets `where` selects, keyed by (group id,), or by (day, group id)
    with by_day; without group_by the group is left out of the key. Three grouped queries,
    each read from the statistics' covering index: the counts and the two histograms."""
    keys: list[Label[Any]] = [Ticket.service_day.label("day")] if by_day else []
    if group_by is not None:
        keys.append(_GROUP_COLUMNS[group_by].label("group"))
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
        .where(where)
        .group_by(*keys)
    )
    width = len(keys)
    tallies: dict[tuple[Any, ...], Tally] = defaultdict(Tally)
    for row in uow.session.execute(_with_item(counts, group_by)).mappings():
        tallies[tuple(row[k.key] for k in keys)].add_counts(row)
    for column, attribute in ((Ticket.wait_seconds, "wait"), (Ticket.handle_seconds, "handle")):
        histogram = (
            select(*keys, column, func.count()).where(where, column.is_not(None)).group_by(*keys, column)
        )
        for found in uow.session.execute(_with_item(histogram, group_by)):
            getattr(tallies[tuple(found[:width])], attribute).add(found[width], found[width + 1])
    return tallies


def _with_item(query: Any, group_by: str | None) -> Any:
    """The department of a ticket is its item's."""
    return (
        query.outerjoin(ServiceItem, ServiceItem.id == Ticket.item_id) if group_by == "department" else query
    )


Found = tuple[evaluation_figures.Figures, dict[str, dict[int | None, evaluation_figures.Figures]]]


def counts_of(figures: evaluation_figures.Figures, names: Iterable[str]) -> dict[str, int]:
    """The counts `names` of evaluation_figures' figures, named as its query's columns."""
    every = {
        "served": figures.served,
        "rated": figures.rated,
        "defaulted": figures.defaulted,
        **{f"level_{n}": count for n, count in figures.levels.items()},
        "closed": figures.closed,
        "called_back": figures.called_back,
        "upheld": figures.upheld,
    }
    return {name: every[name] for name in names}


def _add(figures: evaluation_figures.Figures, counts: dict[str, int]) -> None:
    """Add some of the counts (the others are 0)."""
    figures.add({**dict.fromkeys(evaluation_figures.COUNTS, 0), **counts})


def summary(
    uow: UnitOfWork, hall: Hall, first: date, last: date, group_by: str | None = None
) -> dict[str, Any]:
    """The period's figures for the hall and, with group_by, per group under "groups"."""
    return summaries(uow, hall, first, last, [group_by])[group_by]


def summaries(
    uow: UnitOfWork, hall: Hall, first: date, last: date, groupings: Iterable[str | None]
) -> dict[str | None, dict[str, Any]]:
    """summary() for several groupings at once (a workbook's sheets): what they share, the
    days' coverage, the hall's tallies, open time and ratings, is read once."""
    groupings = list(groupings)
    if any(g is not None and g not in GROUPINGS for g in groupings):
        raise ValueError(f"group_by is one of {', '.join(GROUPINGS)}")
    wanted = tuple(dict.fromkeys(g for g in groupings if g is not None))
    cover = coverage(uow, hall, first, last)
    period = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # Tickets and open time: the days without a rollup, and the tickets rollups left open.
    live_days = [day for day in period if day not in cover.days]
    live = []
    if live_days:
        live.append((Ticket.hall_id == hall.id) & on_days(Ticket.service_day, live_days))
    if cover.open_ticket_ids:
        live.append((Ticket.hall_id == hall.id) & Ticket.id.in_(cover.open_ticket_ids))
    for first_live, last_live in runs(live_days):
        for opening in open_time(uow, hall, first_live, last_live).values():
            cover.opening.merge(opening)
    opening = cover.opening
    tallies = {g: stored_tallies(uow, hall, cover, g) for g in (None, *wanted) if g != "department"}
    if "department" in wanted:  # a department's tickets are its items' (as they belong now)
        items = tallies["item"] if "item" in wanted else stored_tallies(uow, hall, cover, "item")
        tallies["department"] = _by_department(uow, hall, items)
    for where in live:
        for g in (None, *wanted):
            for key, tally in ticket_tallies(uow, where, g).items():
                tallies[g][key[-1] if key else None].merge(tally)
    rated, rated_groups = ratings(uow, hall, period, cover, wanted)
    # Written notices are few: read from their rows every time, never rolled up.
    notices = {g: written_notices.tallies(uow, hall, first, last, g) for g in (None, *wanted)}

    total = tallies[None][None]
    hall_figures: dict[str, Any] = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        **total.figures(opening.hall_seconds, utilisation=False),
    }
    windows = opening.all_windows_us / 1e6
    hall_figures["utilisation"] = round(total.handling_seconds / windows, 4) if windows else None
    hall_figures["evaluation"] = rated.as_dict()
    hall_figures["notices"] = notices[None][None].as_dict()
    result = {}
    for g in groupings:
        result[g] = {**hall_figures, "group_by": g}
        if g is not None:
            result[g]["groups"] = _labelled(uow, g, tallies[g], opening, rated_groups[g], notices[g])
    return result


def on_days(column: Any, days: list[date]) -> Any:
    """`column` is one of `days` (in increasing order): one range per run of days."""
    return or_(*(column.between(low, high) for low, high in runs(days)))


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Days in increasing order as (first, last) of each run of consecutive days."""
    found: list[tuple[date, date]] = []
    for day in days:
        if found and found[-1][1] + timedelta(days=1) == day:
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found


def ratings(
    uow: UnitOfWork, hall: Hall, period: list[date], cover: Coverage, groupings: tuple[str, ...]
) -> tuple[evaluation_figures.Figures, dict[str, dict[int | None, evaluation_figures.Figures]]]:
    """The 好差评 figures of the period, for the hall and per group of each grouping: the
    rolled-up rating counts of the days whose ratings are final; from the rows, the other
    days' ratings (they may still come), the services of the open tickets of the rolled-up
    days, and every follow-up case (cases go on for weeks)."""
    total = evaluation_figures.Figures()
    groups: dict[str, dict[int | None, evaluation_figures.Figures]] = {
        g: defaultdict(evaluation_figures.Figures) for g in groupings
    }

    def add(found: Found, names: Iterable[str]) -> None:
        found_total, found_groups = found
        _add(total, counts_of(found_total, names))
        for g in groupings:
            for group, figures in found_groups[g].items():
                _add(groups[g][group], counts_of(figures, names))

    unsettled = [day for day in period if day not in cover.rated_days]
    if unsettled:
        condition = on_days(Evaluation.service_day, unsettled)
        add(evaluation_figures.tally(uow, hall, unsettled[0], unsettled[-1], condition, by=groupings), COUNTS)
    if cover.rated_days:
        days = sorted(cover.rated_days)
        add(stored_ratings(uow, hall, days, groupings), RATING_COUNTS)
        add(_case_tally(uow, hall, days, groupings), CASE_COUNTS)
    if cover.rated_open_ticket_ids:
        condition = Evaluation.ticket_id.in_(cover.rated_open_ticket_ids)
        add(
            evaluation_figures.tally(uow, hall, period[0], period[-1], condition, by=groupings), RATING_COUNTS
        )
    return total, groups


def _case_tally(uow: UnitOfWork, hall: Hall, days: list[date], groupings: tuple[str, ...]) -> Found:
    """The follow-up cases of the services of `days`, as evaluation_figures.tally counts them.
    Read from the cases (a few per thousand services) with each one's rating by id: the
    condition names no column of the ratings' own indexes, so SQLite starts from the cases."""
    keys = [getattr(Evaluation, evaluation_figures.GROUP_KEYS[g]).label(g) for g in groupings]
    query = (
        select(*keys, *evaluation_figures.CASE_FIGURES)
        .select_from(EvaluationCase)
        .join(Evaluation, Evaluation.id == EvaluationCase.evaluation_id)
        .where(EvaluationCase.hall_id == hall.id, on_days(Evaluation.service_day, days))
        .group_by(*keys)
    )
    total = evaluation_figures.Figures()
    groups: dict[str, dict[int | None, evaluation_figures.Figures]] = {
        g: defaultdict(evaluation_figures.Figures) for g in groupings
    }
    for row in uow.session.execute(query).mappings():
        counts = {name: int(row[name]) for name in CASE_COUNTS}
        _add(total, counts)
        for g in groupings:
            _add(groups[g][row[g]], counts)
    return total, groups


# -- rollups ---------------------------------------------------------------------------------


class RatingRules(TypedDict):
    phone_days: int
    default_after_days: int | None


def rating_rules(hall: Hall) -> RatingRules:
    """What decides whether a service's rating may still come: the phone page's days and the
    days after which a default is given."""
    rules = EvaluationSpec.of_hall(hall)
    return {"phone_days": rules.phone_days, "default_after_days": rules.default_after_days}


def ratings_hold(day: StatsDay, rules: RatingRules) -> bool:
    """Whether the day's rolled-up ratings are all of them: they were final when it was built
    and, if some services were then still unrated, the rules still rate them no more."""
    return day.ratings_settled and (day.ratings_rules is None or day.ratings_rules == rules)


def targets(uow: UnitOfWork, hall: Hall) -> dict[str, int]:
    """Each queue's target wait in minutes, by queue id: the service level is judged by the
    targets as they are, so a rollup is used only while they are as when it was built."""
    found = uow.session.execute(select(Queue.id, Queue.target_wait_minutes).where(Queue.hall_id == hall.id))
    return {str(queue_id): minutes for queue_id, minutes in found}


@dataclass
class Coverage:
    """What the rollups of a period hold: the days whose tickets and open time they hold (and
    the hall's open time of those days), the tickets those days left open, the days whose
    ratings they hold too, and those days' open tickets."""

    days: set[date] = field(default_factory=set)
    opening: Opening = field(default_factory=lambda: Opening())
    open_ticket_ids: list[int] = field(default_factory=list)
    rated_days: set[date] = field(default_factory=set)
    rated_open_ticket_ids: list[int] = field(default_factory=list)


def coverage(uow: UnitOfWork, hall: Hall, first: date, last: date) -> Coverage:
    """The rolled-up closed days of the period that hold for the hall as it is now."""
    cover = Coverage()
    today = service_day(hall, uow.now())
    rules, now_targets = rating_rules(hall), targets(uow, hall)
    in_period = (StatsDay.hall_id == hall.id) & StatsDay.service_day.between(first, last)
    for day in uow.session.scalars(select(StatsDay).where(in_period, StatsDay.service_day < today)):
        if day.targets != now_targets:
            continue  # its service level was judged by other targets: read from the rows
        cover.days.add(day.service_day)
        cover.open_ticket_ids += day.open_ticket_ids
        cover.opening.hall_us += day.hall_open_us
        cover.opening.all_windows_us += day.windows_open_us
        if ratings_hold(day, rules):
            cover.rated_days.add(day.service_day)
            cover.rated_open_ticket_ids += day.open_ticket_ids
    return cover


def _rollup_rows(hall: Hall, groupings: Iterable[str], days: set[date], *columns: Any) -> Any:
    return (
        select(StatsRollup.grouping, StatsRollup.group_id, *columns)
        .where(StatsRollup.hall_id == hall.id, StatsRollup.grouping.in_(list(groupings)))
        .where(on_days(StatsRollup.service_day, sorted(days)))
    )


def _summed(names: Iterable[str]) -> list[Any]:
    return [func.sum(getattr(StatsRollup, name)).label(name) for name in names]


def stored_tallies(
    uow: UnitOfWork, hall: Hall, cover: Coverage, group_by: str | None
) -> dict[int | None, Tally]:
    """The rolled-up tickets of the covered days, per group (the hall's: under None); the
    windows' and clerks' own open time goes into cover.opening. The counts are summed by the
    database; the durations are fetched to be counted."""
    tallies: dict[int | None, Tally] = defaultdict(Tally)
    if not cover.days:
        return tallies
    grouping = group_by or HALL
    own_time = {"window": cover.opening.by_window, "staff": cover.opening.by_staff}.get(grouping)
    counts = _rollup_rows(
        hall, [grouping], cover.days, *_summed((*TALLY_COUNTS, "handling_seconds", "open_us"))
    )
    for row in uow.session.execute(counts.group_by(StatsRollup.grouping, StatsRollup.group_id)).mappings():
        if row["issued"]:  # no tickets (a window only open, a clerk only rated): no group
            tallies[row["group_id"]].add_counts(row)
        if own_time is not None and row["group_id"] is not None:
            own_time[row["group_id"]] += int(row["open_us"])
    durations = _rollup_rows(hall, [grouping], cover.days, StatsRollup.wait, StatsRollup.handle)
    for _grouping, group, wait, handle in uow.session.execute(durations.where(StatsRollup.issued > 0)):
        tallies[group].wait.add_values(unpack(wait))
        tallies[group].handle.add_values(unpack(handle))
    return tallies


def _by_department(uow: UnitOfWork, hall: Hall, items: dict[int | None, Tally]) -> dict[int | None, Tally]:
    """The items' tallies added up by the department each item belongs to now."""
    query = select(ServiceItem.id, ServiceItem.department_id).where(ServiceItem.hall_id == hall.id)
    department_of: dict[int | None, int | None] = {item: dept for item, dept in uow.session.execute(query)}
    found: dict[int | None, Tally] = defaultdict(Tally)
    for item, tally in items.items():
        found[department_of.get(item)].merge(tally)
    return found


def stored_ratings(uow: UnitOfWork, hall: Hall, days: list[date], groupings: tuple[str, ...]) -> Found:
    """The rolled-up rating counts of `days`, as evaluation_figures.tally gives them."""
    total = evaluation_figures.Figures()
    groups: dict[str, dict[int | None, evaluation_figures.Figures]] = {
        g: defaultdict(evaluation_figures.Figures) for g in groupings
    }
    query = _rollup_rows(hall, (HALL, *groupings), set(days), *_summed(f"rating_{n}" for n in RATING_COUNTS))
    for row in uow.session.execute(query.group_by(StatsRollup.grouping, StatsRollup.group_id)).mappings():
        figures = total if row["grouping"] == HALL else groups[row["grouping"]][row["group_id"]]
        _add(figures, {name: int(row[f"rating_{name}"]) for name in RATING_COUNTS})
    return total, groups


@dataclass
class Opening:
    """Open time in microseconds (whole numbers, so that sums over days are exact)."""

    hall_us: int = 0  # first sign-in to last sign-out, per day, summed
    all_windows_us: int = 0  # every window's open time, summed
    by_window: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    by_staff: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def hall_seconds(self) -> float:
        return self.hall_us / 1e6

    def merge(self, other: Opening) -> None:
        self.hall_us += other.hall_us
        self.all_windows_us += other.all_windows_us
        for mine, theirs in ((self.by_window, other.by_window), (self.by_staff, other.by_staff)):
            for key, us in theirs.items():
                mine[key] += us


def open_time(uow: UnitOfWork, hall: Hall, first: date, last: date) -> dict[date, Opening]:
    """How long windows were open (signed in, not paused) on each day of the period, from
    their event log. Each day's from its own events: a window starts each day closed, and an
    open span ends at the end of its day at the latest (a clerk who forgot to sign out does
    not keep the window open overnight), and at the present moment for today. Where the hall
    keeps its hours, only the part of a span within its sessions counts: a window left signed
    in over lunch is not open then (queue_core.hall_calendar.elapsed)."""
    start = day_start(hall, _noon(hall, first))
    end = day_start(hall, _noon(hall, last + timedelta(days=1)))
    events = uow.session.execute(
        select(WindowEvent.window_id, WindowEvent.kind, WindowEvent.at, WindowEvent.staff_id)
        .where(WindowEvent.hall_id == hall.id, WindowEvent.at >= start, WindowEvent.at < end)
        .order_by(WindowEvent.window_id, WindowEvent.at, WindowEvent.id)
    )
    days: dict[date, Opening] = defaultdict(Opening)
    span_ends: dict[date, list[datetime]] = defaultdict(list)
    window_day: dict[int, date] = {}  # window → the day of its last event
    open_since: dict[int, tuple[datetime, int | None]] = {}  # window → (since, clerk)
    clerk_of: dict[int, int | None] = {}  # window → the clerk signed in there that day

    def close(window_id: int, at: datetime) -> None:
        opened, staff_id = open_since.pop(window_id)
        microseconds = max(0, elapsed(hall, opened, at) // _MICROSECOND)
        day = service_day(hall, opened)
        opening = days[day]
        opening.by_window[window_id] += microseconds
        opening.all_windows_us += microseconds
        if staff_id is not None:
            opening.by_staff[staff_id] += microseconds
        span_ends[day] += [opened, at]

    def end_of_day(since: datetime) -> datetime:
        return min(day_start(hall, _noon(hall, service_day(hall, since) + timedelta(days=1))), uow.now())

    for window_id, kind, at, staff_id in events:
        day = service_day(hall, at)
        if window_day.get(window_id) != day:
            if window_id in open_since:
                close(window_id, end_of_day(open_since[window_id][0]))
            clerk_of.pop(window_id, None)
            window_day[window_id] = day
        if kind == WindowEventKind.SIGNED_IN:
            clerk_of[window_id] = staff_id
        if kind in (WindowEventKind.SIGNED_IN, WindowEventKind.RESUMED):
            # A resume may be a manager's: the time is still the signed-in clerk's.
            open_since.setdefault(window_id, (at, clerk_of.get(window_id, staff_id)))
        elif window_id in open_since:  # signed out or paused
            close(window_id, at)
    for window_id, (since, _staff) in list(open_since.items()):
        close(window_id, end_of_day(since))
    for day, ends in span_ends.items():
        days[day].hall_us = elapsed(hall, min(ends), max(ends)) // _MICROSECOND
    return days


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
    notices: dict[int | None, written_notices.NoticeTally],
) -> list[dict[str, Any]]:
    """Each group's figures under its key and names, in key order; tickets without one (never
    called, say) come last with null. A group's evaluation figures are its services' ratings."""
    model, key, names = _LABELS[group_by]
    ids = [i for i in tallies if i is not None]
    rows = list(uow.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    own_time = {"window": opening.by_window, "staff": opening.by_staff}.get(group_by)
    result = []
    for row in sorted(rows, key=lambda r: getattr(r, key)):
        seconds = own_time.get(row.id, 0) / 1e6 if own_time is not None else opening.hall_seconds
        result.append(
            {
                group_by: getattr(row, key),
                **{n: getattr(row, n) for n in names},
                **tallies[row.id].figures(seconds, utilisation=own_time is not None),
                "evaluation": _rated(rated, row.id),
                "notices": notices.get(row.id, written_notices.NoticeTally()).as_dict(),
            }
        )
    if None in tallies:
        result.append(
            {
                group_by: None,
                **dict.fromkeys(names),
                **tallies[None].figures(opening.hall_seconds, utilisation=False),
                "evaluation": _rated(rated, None),
                "notices": notices.get(None, written_notices.NoticeTally()).as_dict(),
            }
        )
    return result


def _rated(rated: dict[int | None, evaluation_figures.Figures], group: int | None) -> dict[str, Any]:
    found = rated.get(group)
    return (found or evaluation_figures.Figures()).as_dict()
