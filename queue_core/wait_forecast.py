"""How long a citizen will wait, as a range: a median and the 80 % range around it.

A ticket with `ahead` people before it is called at the queue's `ahead + 1`-th call from now
(fewer when some of its windows stand idle). The model (docs/wait-forecast.md):

- **Capacity.** Each open window serving the queue gives it a share of its time: the queue's
  weight at that window over the weights of the window's queues that have people waiting
  (a queue without a weight counts 1). A window that serves only this queue gives all of it.
- **Handling time.** Today's mean in the queue, blended with the mean on the same weekday of
  the past `HISTORY_WEEKS` weeks (the statistics' rollups), which weighs as `PRIOR_SERVICES`
  of today's services: early in the day history speaks, later today does.
- **Spread.** The wait is a sum of gaps between calls, each about `(handling +
  CALL_OVERHEAD_SECONDS) ÷ capacity` long (a window spends time on the walk to it and the
  next call too);
  its relative variance is `GAP_CV² ÷ calls` (gaps vary) plus the uncertainty of the mean
  (its variance over the services it comes from) plus `DRIFT²` (windows pause, clerks come and
  go, the other queues' lines change). A lognormal of that mean and variance gives the median
  and the 10th and 90th percentiles. The constants are calibrated by benchmarks/wait_forecast.py
  on simulated weeks, for the 80 % range to hold about 80 % of the actual waits.

Everything is read in two statements per request however many queues there are: the windows
with their shares (`queue_windows` for one queue, `hall_windows` for the hall) and the handling
times (`handling_figures`). `forecast` itself is arithmetic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, exists, func, literal, select, union_all
from sqlalchemy.orm import aliased

from .models import FinishedTally, StatsRollup, Ticket, TicketStatus, Window, WindowQueue, WindowStatus

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

HISTORY_WEEKS = 4
PRIOR_SERVICES = 10  # how many of today's services the same weekday's history weighs as
# Calibrated by benchmarks/wait_forecast.py (docs/benchmarks.md):
CALL_OVERHEAD_SECONDS = 60  # a window's time per citizen besides the service: the walk, the next call
GAP_CV = 0.7  # coefficient of variation of the gap between two calls of a queue
DRIFT = 0.2  # relative uncertainty of the whole day's pace
HANDLING_CV = 0.6  # handling times' spread where today has too few services to measure it
Z80 = 1.2815515655446004  # the standard normal's 90th percentile: an 80 % range is ± this


@dataclass(frozen=True)
class WaitRange:
    """Seconds: the median wait and the 80 % range (low is the 10th percentile, high the 90th)."""

    median: int
    low: int
    high: int


NO_WAIT = WaitRange(0, 0, 0)  # called already
# A window of the queue stands free and nobody is ahead: its clerk calls within moments.
CALLED_SOON = WaitRange(10, 0, 30)


@dataclass(frozen=True)
class Handling:
    """A queue's handling times: today's services (count, mean, mean of squares) and those of
    the same weekday in past weeks (count, mean)."""

    today: int = 0
    today_mean: float = 0.0
    today_square_mean: float = 0.0
    history: int = 0
    history_mean: float = 0.0

    def mean(self) -> float | None:
        """Today's mean, pulled towards history's by PRIOR_SERVICES services; None without either."""
        prior = PRIOR_SERVICES if self.history else 0
        if self.today + prior == 0:
            return None
        return (self.today * self.today_mean + prior * self.history_mean) / (self.today + prior)

    def cv(self) -> float:
        """The handling times' coefficient of variation, from today's where there are enough."""
        if self.today < 5 or self.today_mean <= 0:
            return HANDLING_CV
        variance = max(self.today_square_mean - self.today_mean**2, 0.0)
        return math.sqrt(variance) / self.today_mean

    def weight(self) -> int:
        """How many services the mean stands on."""
        return self.today + (PRIOR_SERVICES if self.history else 0)


@dataclass(frozen=True)
class WindowOfQueue:
    """A window serving the queue: whether it is open, idle (open, nobody at it) and the share
    of its time the queue gets now (0 unless open)."""

    number: int
    name: str
    open: bool
    idle: bool
    share: float
    name_en: str | None = None  # for the pages in English


def capacity(windows: Iterable[WindowOfQueue]) -> tuple[float, int]:
    """The queue's windows' summed shares, and how many of them stand idle."""
    windows = [w for w in windows if w.open]
    return sum(w.share for w in windows), sum(1 for w in windows if w.idle)


def forecast(ahead: int, handling: Handling, windows: Iterable[WindowOfQueue]) -> WaitRange | None:
    """The wait of a ticket with `ahead` people before it; None when nothing honest can be said:
    no handling time known (today or on this weekday) or no window open for the queue."""
    mean_handling = handling.mean()
    servers, idle = capacity(windows)
    if mean_handling is None or servers <= 0:
        return None
    calls = ahead + 1 - idle  # the people ahead are called, then this ticket: by the busy windows
    if calls <= 0:
        return CALLED_SOON
    mean = calls * (mean_handling + CALL_OVERHEAD_SECONDS) / servers
    relative_variance = GAP_CV**2 / calls + handling.cv() ** 2 / handling.weight() + DRIFT**2
    sigma = math.sqrt(math.log1p(relative_variance))
    median = mean * math.exp(-(sigma**2) / 2)
    return WaitRange(
        median=round(median),
        low=round(median * math.exp(-Z80 * sigma)),
        high=round(median * math.exp(Z80 * sigma)),
    )


def ticket_wait(
    ticket: Ticket, ahead: int, handling: Handling, windows: Iterable[WindowOfQueue]
) -> WaitRange | None:
    """A ticket's wait: none once called, the forecast while it waits, None otherwise (ended,
    or away: a remote ticket's holder is not in the line yet)."""
    if ticket.status in (TicketStatus.CALLED, TicketStatus.SERVING):
        return NO_WAIT
    if ticket.status != TicketStatus.WAITING:
        return None
    return forecast(ahead, handling, windows)


def history_days(day: date) -> list[date]:
    """The same weekday in each of the past HISTORY_WEEKS weeks."""
    return [day - timedelta(weeks=n) for n in range(1, HISTORY_WEEKS + 1)]


def _handling_statement(one_queue: bool) -> Any:
    """Today's tallies of finished tickets (a row per clerk) and the past weeks' rollups side
    by side, per queue: built once (for the hall, or for one queue), run with the day's parameters."""
    handled = func.nullif(func.sum(FinishedTally.handled), 0)
    today = (
        select(
            literal(0).label("past"),
            FinishedTally.queue_id,
            func.sum(FinishedTally.handled),
            func.sum(FinishedTally.handle_sum) * 1.0 / handled,
            func.sum(FinishedTally.handle_square_sum) * 1.0 / handled,
        )
        .where(FinishedTally.service_day == bindparam("day"))
        .group_by(FinishedTally.queue_id)
    )
    past = (
        select(
            literal(1).label("past"),
            StatsRollup.group_id,
            func.sum(StatsRollup.served),
            func.sum(StatsRollup.handling_seconds) * 1.0 / func.nullif(func.sum(StatsRollup.served), 0),
            literal(None),
        )
        .where(StatsRollup.hall_id == bindparam("hall_id"), StatsRollup.grouping == "queue")
        .where(StatsRollup.service_day.in_(bindparam("history", expanding=True)))
        .group_by(StatsRollup.group_id)
    )
    # One queue's rows by its key (queue, day: a row per clerk); the hall's by its own index.
    if one_queue:
        today = today.where(FinishedTally.queue_id == bindparam("queue_id"))
        past = past.where(StatsRollup.group_id == bindparam("queue_id"))
    else:
        today = today.where(FinishedTally.hall_id == bindparam("hall_id"))
    return union_all(today, past)


_HANDLING_OF_HALL = _handling_statement(one_queue=False)
_HANDLING_OF_QUEUE = _handling_statement(one_queue=True)


def handling_figures(
    uow: UnitOfWork, hall_id: int, day: date, queue_id: int | None = None
) -> dict[int, Handling]:
    """Per queue of the hall (or the one queue): its Handling, in one statement (today's
    finished tickets and the past weeks' rollups, side by side)."""
    params = {"hall_id": hall_id, "day": day, "history": history_days(day)}
    statement = _HANDLING_OF_HALL if queue_id is None else _HANDLING_OF_QUEUE
    if queue_id is not None:
        params["queue_id"] = queue_id
    rows = uow.session.execute(statement, params)
    found: dict[int, dict[str, Any]] = defaultdict(dict)  # Handling's fields
    for is_past, group, count, mean, square_mean in rows:
        if not count or mean is None:
            continue
        if is_past:
            found[group] |= {"history": int(count), "history_mean": float(mean)}
        else:
            found[group] |= {
                "today": int(count),
                "today_mean": float(mean),
                "today_square_mean": float(square_mean),
            }
    return {group: Handling(**figures) for group, figures in found.items()}


_OTHER = aliased(WindowQueue)
_WAITING_IN_OTHER = exists().where(
    Ticket.queue_id == _OTHER.queue_id,
    Ticket.service_day == bindparam("day"),
    Ticket.status == TicketStatus.WAITING,
)
# What the window's other queues with people waiting weigh beside this one.
_OTHERS_WEIGHT = (
    select(func.coalesce(func.sum(func.coalesce(_OTHER.weight, 1)), 0))
    .where(_OTHER.window_id == WindowQueue.window_id, _OTHER.queue_id != WindowQueue.queue_id)
    .where(_WAITING_IN_OTHER)
    .scalar_subquery()
)
_WINDOW_LINKS = (
    select(
        WindowQueue.queue_id,
        Window.number,
        Window.name,
        Window.name_en,
        Window.status == WindowStatus.OPEN,
        Window.current_ticket_id.is_(None),
        func.coalesce(WindowQueue.weight, 1),
        _OTHERS_WEIGHT,
    )
    .join(Window)
    .order_by(Window.number)
)


def _windows_by_queue(rows: Iterable[tuple]) -> dict[int, list[WindowOfQueue]]:
    found: dict[int, list[WindowOfQueue]] = defaultdict(list)
    for queue_id, number, name, name_en, is_open, idle, weight, others in rows:
        share = weight / (weight + others) if is_open else 0.0
        found[queue_id].append(
            WindowOfQueue(number, name, bool(is_open), bool(is_open and idle), share, name_en)
        )
    return found


_LINKS_OF_QUEUE = _WINDOW_LINKS.where(WindowQueue.queue_id == bindparam("queue_id"))
_LINKS_OF_HALL = _WINDOW_LINKS.where(Window.hall_id == bindparam("hall_id"))


def queue_windows(uow: UnitOfWork, queue_id: int, day: date) -> list[WindowOfQueue]:
    """The windows serving the queue, by number, with their shares now: one statement."""
    rows = uow.session.execute(_LINKS_OF_QUEUE, {"queue_id": queue_id, "day": day})
    return _windows_by_queue(rows).get(queue_id, [])


_NAMES_OF_QUEUE = (
    select(Window.number, Window.name, Window.name_en)
    .join(WindowQueue)
    .where(WindowQueue.queue_id == bindparam("queue_id"))
    .order_by(Window.number)
)


def queue_window_names(uow: UnitOfWork, queue_id: int) -> list[tuple[int, str, str]]:
    """The windows serving the queue, by number, as (number, name, English name): where a
    ticket no longer waiting is served, without the shares only a forecast needs."""
    return [
        (number, name, name_en)
        for number, name, name_en in uow.session.execute(_NAMES_OF_QUEUE, {"queue_id": queue_id})
    ]


def hall_windows(uow: UnitOfWork, hall_id: int, day: date) -> dict[int, list[WindowOfQueue]]:
    """Per queue of the hall, the windows serving it, as queue_windows: one statement."""
    return _windows_by_queue(uow.session.execute(_LINKS_OF_HALL, {"hall_id": hall_id, "day": day}))
