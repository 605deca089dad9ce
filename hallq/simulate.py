"""`hallq simulate`: generated hall days, through the same core calls the server makes.

A simulated day drives ``queue_core`` inside ``Database.write()`` units of work on a
``ManualClock`` of its own, as the server's requests do, one unit of work per minute of the
day covering everything every window and kiosk did in that minute:

- **Working days only.** A day that is not a working day on the hall's calendar
  (``queue_core.hall_calendar``: weekends and public holidays off, make-up Saturdays on, and
  the hall's own dated days) gets no tickets at all.
- **Clerks.** Every window is staffed: the hall's clerk accounts in the order they were made
  take windows in number order, and when the hall has fewer clerks than windows the missing
  ones are created as ``sim-clerk<n>`` (no password: nobody can log in as them). They sign in
  a few minutes before opening; about a third of them pause once (休息 or 会议, 5 to 20
  minutes) and resume; all sign out at closing once their last citizen is done.
- **Arrivals.** About ``tickets_per_day`` citizens (a Poisson-like count) over the hall's
  hours on an intraday curve: a morning peak around 09:30–11:00, a lunch dip, an afternoon
  peak around 14:30–16:00, few after 17:00. Each takes a ticket for a queue chosen in
  proportion to the service capacity the windows give it (so that no line is starved or
  flooded), 92 % of them for one of that queue's service items (the popular ones more
  often), 4 % with priority (mostly seniors). The core refuses what the hall's rules refuse
  (a daily quota used up, a queue closed): such a citizen gets no ticket and counts as
  refused.
- **Service.** A free window calls next (``calling.call_next``). 4 % of the called do not
  come: the clerk recalls, then marks them absent, and half of those are put back in the
  queue once (where the hall allows it). The others come to the window within 10–60 s and are
  served for a lognormal time around their queue's median (3 to 8 minutes, fixed per queue
  by the seed); 86 % of services end 办结, the rest 补正材料, 咨询 or, rarely, 不予受理; 2 %
  are instead transferred to another queue with a note (once per ticket). 3 % of citizens
  have a patience of 10 to 60 minutes: still waiting by then, they give up and their ticket
  is cancelled.
- **Ratings.** After a finish, 80 % rate on the window's keypad within its time (mostly 5 or
  4, some 3, about 1.5 % bad with one or two of the hall's reasons, which opens a follow-up
  case); the others do not, and ``evaluations.close_expired`` makes them 未评价 when the
  keypad's time is up.
- **A manager, if given.** An ``Overseer`` looks at the hall every few minutes while it is
  open and may change which queues windows serve (benchmarks/advisor_bench.py applies the
  advisor's moves so); the simulated clerks serve their windows' new lines from then on.
- **Closing.** At the hall's closing time every ticket still waiting is cancelled (in the
  log: cancelled by nobody, at closing time), as a hall voids the day's unserved numbers;
  windows finish the citizen they have, then sign out.

Everything random comes from ``random.Random`` seeded with the seed and the day, so a run is
deterministic for its seed (the tickets' keys, from the core's ``secrets``, are not).

The hall is the one in the database. A hall whose windows cannot serve the demand would
only grow queues that closing time cancels; ``sized_spec`` gives it as many more windows as
the demand needs (repeating the configured ones) and raises its quotas in proportion, and
`hallq simulate` writes that into the database unless told ``--as-configured``.

A year of a large hall is millions of tickets; ``repeat_days`` simulates only that many
distinct working days through the core and fills the others by copying those days' rows in
SQL with shifted dates and fresh ids and keys (see ``copy_day``). **Copied days are copies:
their figures equal their source days' figures.**
"""

from __future__ import annotations

import heapq
import math
import random
import time as timer
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    DateTime,
    Engine,
    String,
    case,
    cast,
    event,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from queue_core import Database, ManualClock, UnitOfWork, calling, evaluations, make_engine, rollups, windows
from queue_core.db import WRITE_OPTION
from queue_core.errors import LimitReached, QueueClosed, QuotaReached
from queue_core.hall_calendar import WHOLE_DAY, HallCalendar, from_rules
from queue_core.models import (
    CaseStep,
    Evaluation,
    EvaluationCase,
    FinishedTally,
    Hall,
    NumberCounter,
    Outcome,
    Priority,
    Queue,
    Role,
    ServiceItem,
    Staff,
    Ticket,
    TicketEvent,
    TicketStatus,
    Window,
    WindowEvent,
)
from queue_core.numbering import service_day
from queue_core.spec import HallSpec
from queue_core.ticketing import cancel_ticket, issue_ticket

Key = TypeVar("Key")
TICK_SECONDS = 60  # one unit of work per simulated minute
DEFAULT_HOURS = (time(8, 30), time(17, 30))

# The intraday arrival curve: (local time, relative rate), linear in between. It is drawn for
# a hall open 08:30-17:30 and stretched onto other hours.
ARRIVAL_CURVE = (
    (time(8, 30), 0.7), (time(9, 0), 1.1), (time(9, 30), 1.6), (time(10, 15), 1.8),
    (time(11, 0), 1.5), (time(11, 45), 0.9), (time(12, 15), 0.45), (time(13, 15), 0.45),
    (time(14, 0), 1.0), (time(14, 30), 1.4), (time(15, 15), 1.6), (time(16, 0), 1.3),
    (time(16, 45), 0.7), (time(17, 15), 0.2), (time(17, 30), 0.0),
)  # fmt: skip

P_ITEM = 0.92
PRIORITIES = {
    Priority.SENIOR: 0.03,
    Priority.DISABLED: 0.005,
    Priority.MILITARY: 0.003,
    Priority.GREEN_CHANNEL: 0.002,
}
P_GIVE_UP = 0.03  # citizens who would give up if still waiting after their patience
PATIENCE_SECONDS = (600, 3600)
P_NO_SHOW = 0.04
P_REQUEUE = 0.5
P_TRANSFER = 0.02
OUTCOMES = {Outcome.COMPLETED: 86, Outcome.SUPPLEMENT: 8, Outcome.CONSULTATION: 5, Outcome.REJECTED: 1}
HANDLE_MEDIAN_MINUTES = (3.0, 8.0)  # each queue's median, drawn once per seed
HANDLE_SIGMA = 0.5
# What citizens press on the keypad after a service (None: they do not rate): 80 % rate,
# mostly 5 or 4, and about 1.5 % of services are rated bad.
PRESSES: dict[int | None, float] = {5: 56.0, 4: 16.0, 3: 6.8, 2: 0.8, 1: 0.4, None: 20.0}
BAD_COMMENTS = ("等候时间太长", "材料要求没有一次说清", "窗口人员态度生硬", "办理太慢", "")
P_PAUSE = 0.35
PAUSE_REASONS = {"休息": 7, "会议": 3}
TARGET_UTILISATION = 0.8  # sized_spec gives the hall windows for this share of their time
# Seconds a window spends per citizen besides the service itself: the walk to the window
# and the gap before the next call.
OVERHEAD_SECONDS = 35 + 22
# How long after an event a clerk acts (uniform, seconds): signing in before opening, the first
# call after signing in, the next call after a citizen leaves, noticing a newcomer when idle.
SIGN_IN_EARLY_SECONDS = (120, 900)
FIRST_CALL_SECONDS = (0, 120)
NEXT_CALL_SECONDS = (5, 40)
NOTICE_SECONDS = (3, 20)


@dataclass
class SimulationReport:
    """What a run did, counted as it did it (tests recompute these from the event log)."""

    days: int = 0  # working days simulated through the core
    copied_days: int = 0  # working days filled by copying a simulated day's rows
    skipped_days: int = 0  # days that are not working days: no tickets
    arrivals: int = 0  # citizens who came for a ticket
    issued: int = 0
    refused: int = 0  # refused by the hall's rules (quota, hours): no ticket
    called: int = 0  # calls, including calls of requeued tickets
    no_shows: int = 0  # no-show steps (a requeued ticket may be a no-show again)
    requeued: int = 0
    transfers: int = 0
    served: int = 0  # finished services
    gave_up: int = 0  # cancelled while waiting, by the citizen
    cancelled_at_close: int = 0  # still waiting at closing time
    ratings: int = 0  # rated on the keypad
    bad_ratings: int = 0  # of those, 不满意 or 非常不满意 (each opens a case)
    pauses: int = 0
    tickets_copied: int = 0
    seconds: float = 0.0  # wall-clock time of the run

    @property
    def cancelled(self) -> int:
        return self.gave_up + self.cancelled_at_close

    def add(self, other: SimulationReport) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class DayProgress:
    """Told to `progress` after each working day."""

    day: date
    done: int  # calendar days done
    total: int  # calendar days in the run
    tickets: int  # tickets of this day
    copied_from: date | None
    report: SimulationReport  # the run so far
    elapsed: float  # seconds since the run began


@dataclass(frozen=True)
class DayPlan:
    """One simulated stretch of a day. `closes` None: nothing closes (the run stops at `until`)."""

    day: date
    opens: datetime  # the first arrivals; clerks sign in just before
    arrivals_end: datetime
    closes: datetime | None
    tickets: int  # expected arrivals
    windows: tuple[int, ...]  # the windows staffed
    curve: tuple[tuple[float, float], ...]  # (fraction of opens..arrivals_end, relative rate)
    pause_share: float = P_PAUSE
    sign_in_early: bool = True
    presses: Mapping[int | None, float] = field(default_factory=lambda: dict(PRESSES))


def day_plan(spec: HallSpec, day: date, tickets: int) -> DayPlan:
    """A full working day within the hall's sessions (its hours, or 08:30-17:30, when it has
    none): nobody arrives over lunch, between two sessions."""
    zone = ZoneInfo(spec.hall.timezone)
    sessions = hall_sessions(spec, day)
    open_, close = sessions[0][0], sessions[-1][1]
    last = min(max((q.last_ticket for q in spec.queues if q.last_ticket), default=close), close)
    return DayPlan(
        day=day,
        opens=datetime.combine(day, open_, tzinfo=zone).astimezone(UTC),
        arrivals_end=datetime.combine(day, last, tzinfo=zone).astimezone(UTC),
        closes=datetime.combine(day, close, tzinfo=zone).astimezone(UTC),
        tickets=tickets,
        windows=tuple(w.number for w in spec.windows),
        curve=closed_between(_curve_fractions(), sessions, open_, last),
    )


def hall_sessions(spec: HallSpec, day: date | None = None) -> tuple[tuple[time, time], ...]:
    """The sessions of the hall's working day (of `day`, where it has other hours that day)."""
    calendar = HallCalendar(spec.full_calendar())
    sessions = calendar.day(day).sessions if day is not None else calendar.working_sessions
    if not sessions or sessions == WHOLE_DAY:
        hours = spec.hall.hours
        return ((hours.open, hours.close),) if hours else (DEFAULT_HOURS,)
    return sessions


def closed_between(
    curve: tuple[tuple[float, float], ...], sessions: Iterable[tuple[time, time]], start: time, end: time
) -> tuple[tuple[float, float], ...]:
    """The curve (fractions of start..end) with no arrivals between one session and the next."""

    def fraction(t: time) -> float:
        return _minutes_of(t, start) / max(1, _minutes_of(end, start))

    knots = list(curve)
    for (_, closes), (opens, _) in pairwise(sessions):
        a, b = fraction(closes), fraction(opens)
        if not 0 < a < b < 1:
            continue
        before = [k for k in knots if k[0] < a]
        after = [k for k in knots if k[0] > b]
        knots = [*before, (a, curve_rate(knots, a)), (a, 0.0), (b, 0.0), (b, curve_rate(knots, b)), *after]
    return tuple(knots)


def _minutes_of(t: time, since: time) -> int:
    return (t.hour * 60 + t.minute) - (since.hour * 60 + since.minute)


def _curve_fractions() -> tuple[tuple[float, float], ...]:
    return tuple((_curve_fraction(t), rate) for t, rate in ARRIVAL_CURVE)


def _curve_fraction(t: time) -> float:
    def minutes(t: time) -> int:
        return t.hour * 60 + t.minute

    first, last = minutes(ARRIVAL_CURVE[0][0]), minutes(ARRIVAL_CURVE[-1][0])
    return (minutes(t) - first) / (last - first)


def stretch_curve(start: time, end: time) -> tuple[tuple[float, float], ...]:
    """The arrival curve between two times of a day 08:30-17:30, as a plan's curve for the
    stretch alone (its fractions run from 0 at `start` to 1 at `end`)."""
    day = _curve_fractions()
    a, b = _curve_fraction(start), _curve_fraction(end)
    knots = [(a, curve_rate(day, a)), *((x, r) for x, r in day if a < x < b), (b, curve_rate(day, b))]
    return tuple(((x - a) / (b - a), rate) for x, rate in knots)


def peak_hour() -> tuple[time, time]:
    """The busiest hour of the arrival curve, to the quarter hour."""
    day = _curve_fractions()
    opens, closes = (t.hour * 60 + t.minute for t in DEFAULT_HOURS)

    def arrivals(start: int) -> float:
        return sum(curve_rate(day, (m + 0.5 - opens) / (closes - opens)) for m in range(start, start + 60))

    best = max(range(opens, closes - 59, 15), key=arrivals)
    return time(best // 60, best % 60), time((best + 60) // 60, (best + 60) % 60)


# -- sizing a hall for the demand ----------------------------------------------------------


def handle_median_minutes(seed: int, queue_code: str) -> float:
    """A queue's median service time: fixed per seed and queue, so every day agrees."""
    return random.Random(f"{seed}:handle:{queue_code}").uniform(*HANDLE_MEDIAN_MINUTES)


def _mean_occupancy_seconds(seed: int, queue_code: str) -> float:
    mean_handle = handle_median_minutes(seed, queue_code) * 60 * math.exp(HANDLE_SIGMA**2 / 2)
    return mean_handle + OVERHEAD_SECONDS


def _queue_shares(links: Iterable[tuple[Key, int | None]]) -> dict[Key, float]:
    """How a window splits its time over its queues: by weight, else evenly."""
    links = list(links)
    total = sum(weight or 1 for _, weight in links)
    return {code: (weight or 1) / total for code, weight in links}


def capacity(spec: HallSpec, seed: int = 1) -> int:
    """About how many citizens the hall's windows serve in a day at TARGET_UTILISATION."""
    seconds = sum(_minutes_of(closes, opens) * 60 for opens, closes in hall_sessions(spec))
    total = 0.0
    for window in spec.windows:
        shares = _queue_shares((ref.code, ref.weight) for ref in window.queues)
        per_citizen = sum(share * _mean_occupancy_seconds(seed, code) for code, share in shares.items())
        total += seconds * TARGET_UTILISATION / per_citizen
    return int(total)


def sized_spec(spec: HallSpec, tickets_per_day: int, seed: int = 1) -> HallSpec:
    """The hall itself when its windows can serve `tickets_per_day`; else the same hall with
    more windows (window 17 of a 16-window hall serves what window 1 serves, and so on) and
    its daily quotas raised in the same proportion."""
    have = capacity(spec, seed)
    if tickets_per_day <= have:
        return spec
    factor = tickets_per_day / have
    needed = math.ceil(len(spec.windows) * factor)
    top = max(w.number for w in spec.windows)
    extra = []
    for i in range(needed - len(spec.windows)):
        model = spec.windows[i % len(spec.windows)]
        number = top + 1 + i
        extra.append(model.model_copy(update={"number": number, "name": f"{number}号窗口"}))
    scale = needed / len(spec.windows)
    queues = [
        q.model_copy(update={"daily_quota": math.ceil(q.daily_quota * scale)}) if q.daily_quota else q
        for q in spec.queues
    ]
    return spec.model_copy(update={"windows": [*spec.windows, *extra], "queues": queues})


# -- the citizens' and clerks' draws -------------------------------------------------------
# One function per decision, each drawing from the rng in a fixed order, so that the core's
# simulated day and `hallq simulate-live` (hallq/live_simulation.py) play the same hall.


def curve_rate(knots: Iterable[tuple[float, float]], x: float) -> float:
    """The relative arrival rate at fraction x of a curve of (fraction, rate) knots."""
    knots = tuple(knots)
    for (x0, r0), (x1, r1) in pairwise(knots):
        if x0 <= x <= x1:
            return r0 + (r1 - r0) * (x - x0) / (x1 - x0) if x1 > x0 else r0
    return knots[-1][1]


def arrival_times(
    rng: random.Random, curve: Iterable[tuple[float, float]], opens: int, span: int, tickets: int
) -> list[int]:
    """`tickets` instants (seconds) in opens..opens+span drawn from the curve, by the minute
    then the second."""
    minutes = max(1, span // 60)
    knots = tuple(curve)
    weights = [curve_rate(knots, (m + 0.5) / minutes) for m in range(minutes)]
    picks = rng.choices(range(minutes), weights=weights, k=tickets)
    return sorted(opens + m * 60 + rng.randrange(60) for m in picks)


def window_shares(windows: Iterable[Iterable[tuple[Key, int | None]]]) -> dict[Key, float]:
    """How many windows' worth of service each queue gets, from each window's (queue, weight)."""
    shares: dict[Key, float] = {}
    for links in windows:
        for queue, share in _queue_shares(links).items():
            shares[queue] = shares.get(queue, 0.0) + share
    return shares


def arrival_weight(seed: int, queue_code: str, share: float) -> float:
    """Citizens come to each line in proportion to the service the windows give it."""
    return share / _mean_occupancy_seconds(seed, queue_code)


@dataclass(frozen=True)
class Citizen:
    """Who comes for a ticket, and for what."""

    queue: Any  # a key of the queues it was drawn from
    item: int | None
    priority: Priority | None
    kiosk: str | None
    holder: int | None  # 256 random bits where the queue limits tickets per person


def draw_citizen(
    rng: random.Random,
    queues: list[Key],
    weights: list[float],
    items: Mapping[Key, list[int]],
    limited: Iterable[Key],
    kiosks: list[str],
) -> Citizen:
    """A queue in proportion to `weights`; mostly one of its items (in id order, the first the
    most popular); sometimes a priority; one of the kiosks."""
    (queue,) = rng.choices(queues, weights=weights)
    candidates = items.get(queue, [])
    item = None
    if candidates and rng.random() < P_ITEM:
        (item,) = rng.choices(candidates, weights=[1 / (rank + 1) for rank in range(len(candidates))])
    priority = None
    draw = rng.random()
    for kind, share in PRIORITIES.items():
        if draw < share:
            priority = kind
            break
        draw -= share
    kiosk = rng.choice(kiosks) if kiosks else None
    holder = rng.getrandbits(256) if queue in limited else None
    return Citizen(queue, item, priority, kiosk, holder)


def draw_patience(rng: random.Random) -> int | None:
    """Seconds after which a citizen still waiting gives up, for the few who would."""
    return rng.randint(*PATIENCE_SECONDS) if rng.random() < P_GIVE_UP else None


@dataclass(frozen=True)
class Pause:
    at: int  # seconds, on the day's scale
    reason: str
    seconds: int


def draw_pause(rng: random.Random, opens: int, closes: int, share: float) -> Pause | None:
    """For `share` of the windows, one pause in the middle of the day."""
    if rng.random() >= share:
        return None
    at = rng.randint(opens + 5400, max(opens + 5400, closes - 5400))
    (reason,) = rng.choices(list(PAUSE_REASONS), weights=list(PAUSE_REASONS.values()))
    return Pause(at, reason, rng.randint(300, 1200))


@dataclass(frozen=True)
class CallPlan:
    """What follows a call, in seconds after it: the citizen comes and the clerk starts, or
    they do not come and the clerk (perhaps after a recall) marks them absent."""

    start_after: int | None
    recall_after: int | None
    no_show_after: int | None


def draw_call(rng: random.Random) -> CallPlan:
    if rng.random() < P_NO_SHOW:
        recall = rng.randint(30, 60) if rng.random() < 0.7 else None
        return CallPlan(None, recall, rng.randint(90, 150))
    return CallPlan(rng.randint(10, 60), None, None)


def draw_requeue(rng: random.Random, allowed: bool) -> bool:
    """Whether an absent citizen is put back in the queue, where that is allowed."""
    return allowed and rng.random() < P_REQUEUE


@dataclass(frozen=True)
class Service:
    seconds: int  # from the start to the finish, or to the transfer
    transfer_to: Any  # one of `others`, or None: finished here


def draw_service(rng: random.Random, median_seconds: float, others: list[Key], may_transfer: bool) -> Service:
    """A lognormal service time around the queue's median; rarely a transfer halfway."""
    seconds = rng.lognormvariate(math.log(median_seconds), HANDLE_SIGMA)
    seconds = int(min(max(seconds, 60), median_seconds * 6))
    if may_transfer and others and rng.random() < P_TRANSFER:
        return Service(max(60, seconds // 2), rng.choice(others))
    return Service(seconds, None)


@dataclass(frozen=True)
class Rating:
    score: int
    reasons: list[str]
    comment: str
    after: int  # seconds after the finish, within the keypad's time


def draw_finish(
    rng: random.Random, presses: Mapping[int | None, float], reasons: list[str], keypad_seconds: int
) -> tuple[Outcome, Rating | None]:
    """The service's outcome, and the citizen's press on the keypad (None: no rating)."""
    (outcome,) = rng.choices(list(OUTCOMES), weights=list(OUTCOMES.values()))
    (score,) = rng.choices(list(presses), weights=list(presses.values()))
    if score is None:
        return outcome, None
    chosen, comment = [], ""
    if score in evaluations.BAD_LEVELS:
        chosen = rng.sample(reasons, k=min(len(reasons), rng.randint(1, 2)))
        comment = rng.choice(BAD_COMMENTS)
    return outcome, Rating(score, chosen, comment, rng.randint(3, max(3, min(40, keypad_seconds - 2))))


# -- the engine for a generated data set ---------------------------------------------------


def fast_engine(url: str) -> Engine:
    """The hall's engine (queue_core.db.make_engine: WAL, BEGIN IMMEDIATE), but on SQLite
    with ``synchronous=OFF``: a generated data set needs no crash safety, and not waiting for
    the disk at each commit is most of a simulated day's time. Only `hallq simulate` uses it;
    the server's engine keeps ``synchronous=FULL``. The listener is added after make_engine's
    own, so its PRAGMA comes last on every new connection."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_sync(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MB of page cache
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

    return engine


# -- the run -------------------------------------------------------------------------------


def simulate(
    db: Database,
    spec: HallSpec,
    *,
    days: int,
    tickets_per_day: int,
    start: date,
    seed: int = 1,
    until: datetime | None = None,
    repeat_days: int | None = None,
    progress: Callable[[DayProgress], None] | None = None,
) -> SimulationReport:
    """Simulate `days` calendar days from `start` in the hall of `spec` (already written to
    the database by setup.sync_hall, with its catalogue). Days that are not working days are
    skipped. With `repeat_days`, only the first that many working days go through the core;
    each later working day is a copy of one of them, in turn (copy_day). `until` stops the
    run at that instant, leaving the hall as it is then. The statistics' rollups of the days
    are made anew at the end (queue_core.rollups), for those that are over."""
    report = SimulationReport()
    began = timer.perf_counter()
    sources: list[date] = []
    hall_id = _hall_id(db, spec)
    last = start + timedelta(days=days - 1)
    with db.write() as uow:  # rows are about to be written into these days' past
        rollups.forget(uow, hall_id, start, last)
    calendar = HallCalendar(spec.full_calendar())
    for index in range(days):
        day = start + timedelta(days=index)
        if until is not None and day_plan(spec, day, 0).opens >= until:
            break
        copied_from = None
        if not calendar.is_working_day(day):
            report.skipped_days += 1
            tickets = 0
        elif repeat_days is not None and len(sources) >= repeat_days:
            copied_from = sources[(report.days + report.copied_days) % len(sources)]
            tickets = copy_day(db.engine, hall_id, copied_from, day)
            report.copied_days += 1
            report.tickets_copied += tickets
        else:
            rng = random.Random(f"{seed}:{day.isoformat()}")
            count = max(0, round(rng.gauss(tickets_per_day, math.sqrt(tickets_per_day))))
            day_report = simulate_day(db, spec, day_plan(spec, day, count), seed=seed, until=until)
            report.add(day_report)
            tickets = day_report.issued
            sources.append(day)
        report.seconds = timer.perf_counter() - began
        if progress is not None and (tickets or copied_from):
            progress(DayProgress(day, index + 1, days, tickets, copied_from, report, report.seconds))
    rollups.ensure(db, hall_id, start, last)
    report.seconds = timer.perf_counter() - began
    return report


@dataclass(frozen=True)
class Overseer:
    """A manager at the dashboard during a simulated day: every `every_minutes` while the hall
    is open, `look` sees the hall inside the minute's unit of work and may change, through the
    core, which queues windows serve. It returns the numbers of the windows it changed, which
    the simulated clerks then follow."""

    every_minutes: int
    look: Callable[[UnitOfWork, Hall], Iterable[int]]


def simulate_day(
    db: Database,
    spec: HallSpec,
    plan: DayPlan,
    *,
    seed: int = 1,
    until: datetime | None = None,
    overseer: Overseer | None = None,
) -> SimulationReport:
    """One day (or the stretch `plan` describes) through the core; see the module's doc."""
    return _Day(db, spec, plan, seed, until, overseer).run()


def _hall_id(db: Database, spec: HallSpec) -> int:
    with db.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id).where(Hall.code == spec.hall.code))
    if hall_id is None:
        raise LookupError(f'no hall "{spec.hall.code}" in the database: run "hallq init" first')
    return hall_id


def clerks_for(db: Database, hall_id: int, count: int) -> list[int]:
    """Ids of `count` clerks of the hall, in the order they were made, creating the missing
    ones as sim-clerk<n> (without a password)."""
    with db.write() as uow:
        ids = list(
            uow.session.scalars(
                select(Staff.id)
                .where(Staff.hall_id == hall_id, Staff.role == Role.CLERK, Staff.active)
                .order_by(Staff.id)
            )
        )
        n = 0
        while len(ids) < count:
            n += 1
            username = f"sim-clerk{n}"
            if uow.session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
                continue
            staff = Staff(
                hall_id=hall_id,
                username=username,
                name=f"模拟办事员{n}",
                badge=f"S{n:04d}",
                role=Role.CLERK,
            )
            uow.session.add(staff)
            uow.session.flush()
            ids.append(staff.id)
        return ids[:count]


@dataclass
class _Desk:
    """The simulator's view of a staffed window."""

    number: int
    clerk_id: int
    keypad: str
    queues: list[int]  # queue ids, in the window's order
    state: str = "closed"  # closed, idle, busy, paused
    call_due: bool = False  # a call is scheduled
    pause: tuple[str, int] | None = None  # reason and seconds, when a pause is due
    ticket: int | None = None
    ticket_queue: int = 0
    requeues: int = 0
    transfers: int = 0


@dataclass
class _QueueInfo:
    id: int
    code: str
    name: str
    items: list[int] = field(default_factory=list)
    id_limit: bool = False
    median_seconds: float = 300.0


class _Day:
    def __init__(
        self,
        db: Database,
        spec: HallSpec,
        plan: DayPlan,
        seed: int,
        until: datetime | None,
        overseer: Overseer | None = None,
    ) -> None:
        self.spec, self.plan, self.seed, self.overseer = spec, plan, seed, overseer
        self.rng = random.Random(f"{seed}:{plan.day.isoformat()}:day")
        # Instants are whole seconds after `base`, an hour before opening; the clock is set to
        # each event's instant as it is handled.
        self.base = plan.opens - timedelta(hours=1)
        self.clock = ManualClock(self.base)
        self.db = Database(db.engine, self.clock)  # a clock of its own; its events go nowhere
        self.until = None if until is None else self._at(until)
        self.report = SimulationReport(days=1)
        self.heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self.seq = 0
        self.waiting: dict[int, int] = {}  # queue id -> tickets waiting (as the simulator made them)
        self.closing = False
        self.unrated: deque[int] = deque()  # when the keypad questions nobody answers expire
        self.hall_id = _hall_id(db, spec)
        self._load()

    # -- set-up --

    def _at(self, instant: datetime) -> int:
        return int((instant - self.base).total_seconds())

    def _load(self) -> None:
        plan = self.plan
        clerks = clerks_for(self.db, self.hall_id, len(plan.windows))
        keypads = {k.window: k.id for k in self.spec.keypads}
        with self.db.read() as uow:
            rows = {
                w.number: w for w in uow.session.scalars(select(Window).where(Window.hall_id == self.hall_id))
            }
            missing = [n for n in plan.windows if n not in rows]
            if missing:
                raise LookupError(f"windows {missing} are not in the database: sync the hall first")
            self.desks = {
                n: _Desk(n, clerk, keypads.get(n, f"P{n}"), [link.queue_id for link in rows[n].queue_links])
                for n, clerk in zip(plan.windows, clerks, strict=True)
            }
            shares = window_shares(
                [(link.queue_id, link.weight) for link in rows[n].queue_links] for n in plan.windows
            )
            self.queues: dict[int, _QueueInfo] = {}
            for queue_id in shares:
                queue = next(
                    link.queue
                    for n in plan.windows
                    for link in rows[n].queue_links
                    if link.queue_id == queue_id
                )
                info = _QueueInfo(queue.id, queue.code, queue.name, id_limit=queue.id_limit is not None)
                info.median_seconds = handle_median_minutes(self.seed, queue.code) * 60
                info.items = list(
                    uow.session.scalars(
                        select(ServiceItem.id)
                        .where(ServiceItem.queue_id == queue.id, ServiceItem.active)
                        .order_by(ServiceItem.id)
                    )
                )
                self.queues[queue_id] = info
        self.queue_ids = sorted(shares)
        self.queue_weights = [
            arrival_weight(self.seed, self.queues[q].code, shares[q]) for q in self.queue_ids
        ]
        self.items = {q: info.items for q, info in self.queues.items()}
        self.limited = {q for q, info in self.queues.items() if info.id_limit}
        self.waiting = dict.fromkeys(self.queue_ids, 0)
        self._index_desks()

    def _index_desks(self) -> None:
        self.serving_desks: dict[int, list[_Desk]] = {q: [] for q in self.queue_ids}
        for desk in self.desks.values():
            for q in desk.queues:
                self.serving_desks.setdefault(q, []).append(desk)

    def _schedule(self, at: int, handler: Callable[..., None], *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, handler, args))

    def _plan_day(self) -> None:
        plan, rng = self.plan, self.rng
        opens = self._at(plan.opens)
        for desk in self.desks.values():
            early = rng.randint(*SIGN_IN_EARLY_SECONDS) if plan.sign_in_early else 0
            self._schedule(opens - early, self._sign_in, desk)
        span = self._at(plan.arrivals_end) - opens
        closes = self._at(plan.closes) if plan.closes else None
        if plan.pause_share and closes is not None:
            for desk in self.desks.values():
                pause = draw_pause(rng, opens, closes, plan.pause_share)
                if pause is not None:
                    self._schedule(pause.at, self._pause_due, desk, pause.reason, pause.seconds)
        for at in arrival_times(rng, plan.curve, opens, span, plan.tickets):
            self._schedule(at, self._arrive)
        if closes is not None:
            self._schedule(closes, self._close)
            if self.overseer is not None:
                every = self.overseer.every_minutes * 60
                for at in range(opens + every, closes, every):
                    self._schedule(at, self._oversee)

    # -- the loop --

    def run(self) -> SimulationReport:
        self._plan_day()
        last = 0
        while self.heap:
            first = self.heap[0][0]
            if self.until is not None and first >= self.until:
                break
            tick_end = (first // TICK_SECONDS + 1) * TICK_SECONDS
            if self.until is not None:
                tick_end = min(tick_end, self.until)
            with self.db.write() as uow:
                hall = uow.session.get(Hall, self.hall_id)
                assert hall is not None
                while self.heap and self.heap[0][0] < tick_end:
                    at, _, handler, args = heapq.heappop(self.heap)
                    self.clock.set(self.base + timedelta(seconds=at))
                    handler(uow, hall, at, *args)
                    last = at
                if self.unrated and self.unrated[0] <= last:
                    # Keypad questions nobody answered end as 未评价, as the server's sweeper does.
                    evaluations.close_expired(uow, hall)
                    while self.unrated and self.unrated[0] <= last:
                        self.unrated.popleft()
        if self.until is None and last:
            # The last keypad questions run out.
            keypad = int(self.spec.evaluation.keypad_seconds)
            self.clock.set(self.base + timedelta(seconds=last + keypad + 1))
            with self.db.write() as uow:
                hall = uow.session.get(Hall, self.hall_id)
                assert hall is not None
                evaluations.close_expired(uow, hall)
        return self.report

    # -- the citizens --

    def _arrive(self, uow: UnitOfWork, hall: Hall, at: int) -> None:
        rng, report = self.rng, self.report
        report.arrivals += 1
        kiosks = [k.id for k in self.spec.kiosks]
        citizen = draw_citizen(rng, self.queue_ids, self.queue_weights, self.items, self.limited, kiosks)
        try:
            with uow.session.begin_nested():  # a refusal leaves nothing behind, as a request's would
                ticket = issue_ticket(
                    uow,
                    hall,
                    queue_code=None if citizen.item else self.queues[citizen.queue].code,
                    item_id=citizen.item,
                    priority=citizen.priority,
                    kiosk_id=citizen.kiosk,
                    holder=None if citizen.holder is None else f"{citizen.holder:064x}",
                )
        except (QuotaReached, QueueClosed, LimitReached):
            report.refused += 1
            return
        report.issued += 1
        self._now_waiting(at, ticket.queue_id)
        patience = draw_patience(rng)
        if patience is not None:
            self._schedule(at + patience, self._give_up, ticket.id)

    def _give_up(self, uow: UnitOfWork, hall: Hall, at: int, ticket_id: int) -> None:
        ticket = uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        if ticket.status != TicketStatus.WAITING:
            return
        cancel_ticket(uow, ticket)
        self.waiting[ticket.queue_id] -= 1
        self.report.gave_up += 1

    def _now_waiting(self, at: int, queue_id: int) -> None:
        """A ticket joined a line: wake a window that serves it and has nothing to do."""
        self.waiting[queue_id] = self.waiting.get(queue_id, 0) + 1
        for desk in self.serving_desks.get(queue_id, ()):
            if desk.state == "idle" and not desk.call_due:
                desk.call_due = True
                self._schedule(at + self.rng.randint(*NOTICE_SECONDS), self._call, desk)
                return

    # -- the windows --

    def _sign_in(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        staff = uow.session.get(Staff, desk.clerk_id)
        assert staff is not None
        windows.sign_in(uow, hall, desk.number, staff)
        desk.state = "idle"
        desk.call_due = True
        self._schedule(at + self.rng.randint(*FIRST_CALL_SECONDS), self._call, desk)

    def _pause_due(
        self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk, reason: str, seconds: int
    ) -> None:
        if self.closing or desk.state == "closed":
            return
        desk.pause = (reason, seconds)
        if desk.state == "idle" and not desk.call_due:
            self._call(uow, hall, at, desk)

    def _resume(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        if desk.state != "paused":
            return
        windows.resume(uow, hall, desk.number, desk.clerk_id)
        desk.state = "idle"
        self._call(uow, hall, at, desk)

    def _call(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        """The window is free: sign out after closing, pause when due, else call next."""
        desk.call_due = False
        if desk.state in ("closed", "paused"):
            return
        desk.state = "idle"
        if self.closing:
            windows.sign_out(uow, hall, desk.number, desk.clerk_id)
            desk.state = "closed"
            return
        if desk.pause is not None:
            reason, seconds = desk.pause
            desk.pause = None
            windows.pause(uow, hall, desk.number, desk.clerk_id, reason)
            desk.state = "paused"
            self.report.pauses += 1
            self._schedule(at + seconds, self._resume, desk)
            return
        if not any(self.waiting.get(q) for q in desk.queues):
            return  # idle until a ticket joins one of its lines
        ticket = calling.call_next(uow, hall, desk.number, desk.clerk_id)
        if ticket is None:
            return
        self.report.called += 1
        self.waiting[ticket.queue_id] -= 1
        desk.state = "busy"
        desk.ticket, desk.ticket_queue = ticket.id, ticket.queue_id
        desk.requeues, desk.transfers = ticket.requeue_count, ticket.transfer_count
        plan = draw_call(self.rng)
        if plan.recall_after is not None:
            self._schedule(at + plan.recall_after, self._recall, desk)
        if plan.no_show_after is not None:
            self._schedule(at + plan.no_show_after, self._no_show, desk)
        if plan.start_after is not None:
            self._schedule(at + plan.start_after, self._start, desk)

    def _recall(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        calling.recall(uow, hall, desk.number, desk.clerk_id)

    def _no_show(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        requeue = draw_requeue(self.rng, hall.requeue_no_show and desk.requeues == 0 and not self.closing)
        calling.no_show(uow, hall, desk.number, desk.clerk_id, requeue=requeue)
        self.report.no_shows += 1
        if requeue:
            self.report.requeued += 1
            self._now_waiting(at, desk.ticket_queue)
        self._free(at, desk)

    def _start(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        calling.start(uow, hall, desk.number, desk.clerk_id)
        others = [q for q in self.queue_ids if q != desk.ticket_queue]
        service = draw_service(
            self.rng, self.queues[desk.ticket_queue].median_seconds, others, desk.transfers == 0
        )
        if service.transfer_to is not None:
            self._schedule(at + service.seconds, self._transfer, desk, service.transfer_to)
        else:
            self._schedule(at + service.seconds, self._finish, desk)

    def _transfer(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk, queue_id: int) -> None:
        if self.closing:  # no line to send them to any more: serve them here
            self._finish(uow, hall, at, desk)
            return
        target = self.queues[queue_id]
        calling.transfer_current(
            uow, hall, desk.number, desk.clerk_id, to_queue=target.code, note=f"请到{target.name}办理"
        )
        self.report.transfers += 1
        self._now_waiting(at, queue_id)
        self._free(at, desk)

    def _finish(self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk) -> None:
        keypad = int(self.spec.evaluation.keypad_seconds)
        outcome, rating = draw_finish(self.rng, self.plan.presses, self.spec.evaluation.reasons, keypad)
        calling.finish(uow, hall, desk.number, desk.clerk_id, outcome)
        self.report.served += 1
        if rating is None:
            self.unrated.append(at + keypad)
        else:
            self._schedule(at + rating.after, self._rate, desk, rating.score, rating.reasons, rating.comment)
        self._free(at, desk)

    def _rate(
        self, uow: UnitOfWork, hall: Hall, at: int, desk: _Desk, score: int, reasons: list[str], comment: str
    ) -> None:
        evaluations.rate_at_window(uow, hall, desk.number, desk.keypad, score, reasons, comment)
        self.report.ratings += 1
        self.report.bad_ratings += score in evaluations.BAD_LEVELS

    def _free(self, at: int, desk: _Desk) -> None:
        desk.ticket = None
        desk.state = "idle"
        desk.call_due = True
        self._schedule(at + self.rng.randint(*NEXT_CALL_SECONDS), self._call, desk)

    def _oversee(self, uow: UnitOfWork, hall: Hall, at: int) -> None:
        """The manager looks; the clerks of the windows changed serve their new lines, an idle
        one calling at once when someone waits in them."""
        assert self.overseer is not None
        changed = [self.desks[n] for n in self.overseer.look(uow, hall) if n in self.desks]
        if not changed:
            return
        for desk in changed:
            window = uow.session.scalar(
                select(Window).where(Window.hall_id == hall.id, Window.number == desk.number)
            )
            assert window is not None
            desk.queues = [link.queue_id for link in window.queue_links if link.queue_id in self.queues]
        self._index_desks()
        for desk in changed:
            if desk.state == "idle" and not desk.call_due and any(self.waiting.get(q) for q in desk.queues):
                desk.call_due = True
                self._schedule(at + self.rng.randint(*NOTICE_SECONDS), self._call, desk)

    def _close(self, uow: UnitOfWork, hall: Hall, at: int) -> None:
        """Closing time: the day's unserved numbers are void; free windows sign out."""
        self.closing = True
        day = service_day(hall, uow.now())
        left = uow.session.scalars(
            select(Ticket)
            .where(
                Ticket.hall_id == hall.id, Ticket.service_day == day, Ticket.status == TicketStatus.WAITING
            )
            .order_by(Ticket.id)
        ).all()
        for ticket in left:
            cancel_ticket(uow, ticket)
        self.report.cancelled_at_close += len(left)
        self.waiting = dict.fromkeys(self.waiting, 0)
        for desk in self.desks.values():
            if desk.state in ("idle", "paused") and not desk.call_due:
                windows.sign_out(uow, hall, desk.number, desk.clerk_id)
                desk.state = "closed"


# -- copying days ----------------------------------------------------------------------------


def copy_day(engine: Engine, hall_id: int, source: date, target: date) -> int:
    """Copy every row of the hall's `source` day onto `target`: tickets, their log, the
    windows' log, ratings, follow-up cases and their steps, the number counters and the
    finished tallies. Dates and times move by the days between them (in UTC: exact for halls
    without daylight saving, as China's); ids are fresh; ticket keys are new random ones and request ids get
    a suffix, so both stay unique; numbers are kept as they were. A case's deadline moves by
    the same number of working days. Returns the tickets copied. The copy's figures are the
    source day's: it is a copy, not a new day."""
    shift = (target - source).days
    zone_name, calendar_rules = _timezone_and_calendar(engine, hall_id)
    zone = ZoneInfo(zone_name)
    day_from = datetime.combine(source, time(0), tzinfo=zone).astimezone(UTC)
    day_to = day_from + timedelta(days=1)
    ticket_t, event_t, window_event_t = Ticket.__table__, TicketEvent.__table__, WindowEvent.__table__
    evaluation_t, case_t, step_t = Evaluation.__table__, EvaluationCase.__table__, CaseStep.__table__
    counter_t, tally_t = NumberCounter.__table__, FinishedTally.__table__
    # One transaction, a writing one from its start (BEGIN IMMEDIATE on SQLite, see queue_core.db).
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        dialect = engine.dialect.name
        taken = conn.scalar(
            select(func.count())
            .select_from(ticket_t)
            .where(ticket_t.c.hall_id == hall_id, ticket_t.c.service_day == target)
        )
        if taken:
            raise ValueError(f"{target} already has {taken} tickets: a day is copied onto an empty day only")

        def offset(table: Any, where: ColumnElement[bool]) -> int:
            low = conn.scalar(select(func.min(table.c.id)).where(where))
            return 0 if low is None else (conn.scalar(select(func.max(table.c.id))) or 0) - low + 1

        src_tickets = select(ticket_t.c.id).where(
            ticket_t.c.hall_id == hall_id, ticket_t.c.service_day == source
        )
        src_evaluations = select(evaluation_t.c.id).where(evaluation_t.c.ticket_id.in_(src_tickets))
        src_cases = select(case_t.c.id).where(case_t.c.evaluation_id.in_(src_evaluations))
        dt = offset(ticket_t, ticket_t.c.id.in_(src_tickets))
        if dt == 0:
            return 0
        de = offset(evaluation_t, evaluation_t.c.id.in_(src_evaluations))
        dc = offset(case_t, case_t.c.id.in_(src_cases))
        calendar = from_rules(calendar_rules)
        deadlines = _moved_deadlines(conn, calendar, (source, target, shift), src_cases, case_t, step_t)
        ids = {"ticket": dt, "evaluation": de, "evaluation_case": dc}

        def copy(
            table: Any, where: ColumnElement[bool], *, keep_id: bool, special: dict[str, Any] | None = None
        ) -> None:
            names, values = [], []
            for column in table.columns:
                if column.primary_key and column.name == "id" and not keep_id:
                    continue
                value: Any = column
                if special and column.name in special:
                    value = special[column.name]
                elif column.primary_key and column.name == "id":
                    value = column + ids[table.name]
                elif column.foreign_keys:
                    (fk,) = column.foreign_keys
                    if fk.column.table.name in ids and fk.column.table.name != table.name:
                        value = column + ids[fk.column.table.name]
                    elif fk.column.table.name == table.name:
                        value = column + ids[table.name]
                elif _is_datetime(column):
                    value = _shift_datetime(dialect, column, shift)
                elif isinstance(column.type, Date):
                    if column.name == "deadline":
                        value = _mapped(column, deadlines, dialect, shift)
                    else:
                        value = _shift_date(dialect, column, shift)
                names.append(column.name)
                values.append(value)
            conn.execute(table.insert().from_select(names, select(*values).where(where)))

        copy(
            ticket_t,
            ticket_t.c.id.in_(src_tickets),
            keep_id=True,
            special={
                "key": _random_key(dialect),
                "request_id": _suffixed(ticket_t.c.request_id, ticket_t.c.id + dt, dialect),
                "service_day": literal(target, Date),
            },
        )
        copy(event_t, event_t.c.ticket_id.in_(src_tickets), keep_id=False)
        copy(
            window_event_t,
            (window_event_t.c.hall_id == hall_id)
            & (window_event_t.c.at >= day_from)
            & (window_event_t.c.at < day_to),
            keep_id=False,
        )
        copy(
            evaluation_t,
            evaluation_t.c.id.in_(src_evaluations),
            keep_id=True,
            special={"service_day": literal(target, Date)},
        )
        copy(case_t, case_t.c.id.in_(src_cases), keep_id=True)
        copy(step_t, step_t.c.case_id.in_(src_cases), keep_id=False)
        queues = select(Queue.__table__.c.id).where(Queue.__table__.c.hall_id == hall_id)
        conn.execute(
            counter_t.insert().from_select(
                ["queue_id", "service_day", "last_seq"],
                select(counter_t.c.queue_id, literal(target, Date), counter_t.c.last_seq).where(
                    counter_t.c.service_day == source, counter_t.c.queue_id.in_(queues)
                ),
            )
        )
        copy(
            tally_t,
            (tally_t.c.hall_id == hall_id) & (tally_t.c.service_day == source),
            keep_id=True,
            special={"service_day": literal(target, Date)},
        )
        if dialect == "postgresql":
            for table in ("ticket", "evaluation", "evaluation_case"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        copied = conn.execute(
            select(func.count()).where(ticket_t.c.hall_id == hall_id, ticket_t.c.service_day == target)
        ).scalar_one()
    return copied


def _timezone_and_calendar(engine: Engine, hall_id: int) -> tuple[str, str]:
    hall_t = Hall.__table__
    with engine.connect() as conn:
        found = conn.execute(select(hall_t.c.timezone, hall_t.c.calendar_rules).where(hall_t.c.id == hall_id))
        zone, rules = found.one()
    return zone, rules


def _is_datetime(column: Any) -> bool:
    return isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime)


def _shift_datetime(dialect: str, column: Any, days: int) -> Any:
    if dialect == "sqlite":
        # Stored as text 'YYYY-MM-DD HH:MM:SS.ffffff': move the date and time, keep the fraction.
        return func.strftime("%Y-%m-%d %H:%M:%S", column, f"{days:+d} days").concat(func.substr(column, 20))
    return column + literal_column(f"interval '{int(days)} days'")


def _shift_date(dialect: str, column: Any, days: int) -> Any:
    if dialect == "sqlite":
        return func.date(column, f"{days:+d} days")
    return column + days


def _mapped(column: Any, mapping: dict[date, date], dialect: str, days: int) -> Any:
    if not mapping:
        return _shift_date(dialect, column, days)
    return case(
        {old: literal(new, Date) for old, new in mapping.items()},
        value=column,
        else_=_shift_date(dialect, column, days),
    )


def _random_key(dialect: str) -> Any:
    # 24 characters: never the length of the core's keys (22), so never one of theirs.
    if dialect == "sqlite":
        return func.lower(func.hex(func.randomblob(12)))
    return func.substr(func.md5(cast(func.random(), String)), 1, 24)


def _suffixed(column: Any, new_id: Any, dialect: str) -> Any:
    return case((column.is_(None), None), else_=column.concat("~").concat(cast(new_id, String)))


def _moved_deadlines(
    conn: Any, calendar: HallCalendar, move: tuple[date, date, int], src_cases: Any, case_t: Any, step_t: Any
) -> dict[date, date]:
    """Each deadline of the source day's cases, moved by as many working days as it lay
    after the source day (a calendar shift could land on a holiday)."""
    source, target, shift = move
    found = set(conn.scalars(select(case_t.c.deadline).where(case_t.c.id.in_(src_cases)).distinct()))
    found |= set(conn.scalars(select(step_t.c.deadline).where(step_t.c.case_id.in_(src_cases)).distinct()))
    moved = {}
    for deadline in found:
        if deadline is None:
            continue
        if isinstance(deadline, str):
            deadline = date.fromisoformat(deadline)
        count, day = 0, source
        while day < deadline:
            day += timedelta(days=1)
            count += calendar.is_working_day(day)
        moved[deadline] = (
            calendar.add_working_days(target, count) if count else deadline + timedelta(days=shift)
        )
    return moved
