"""What-if staffing (排班推演): how a day of a given type would go with the windows of a plan.

Demand comes from the hall's own history: for a day type (the Mondays of the last eight
weeks, say), each queue's arrivals per hour, averaged over those days, and the handling times
its tickets took. A plan gives each queue a number of windows per hour, fractions allowed (a
window serving two queues gives each half of its time). The day is then played minute by
minute, each queue on its own windows: citizens arrive as a Poisson stream at the hour's
rate, wait in line, and are served for a handling time drawn from the queue's history (a
half window serves at half speed). Several seeded replications are averaged.

Per hour of the day, and for the whole day, it answers: the mean and 90th-percentile wait
of the citizens who arrived then, the service level (the share called within the queue's
target wait; still waiting at closing counts as not), and the windows' utilisation. No
Flask, no database writes: `demand` reads, `play` computes."""

from __future__ import annotations

import math
import random
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .models import Hall, Queue, Ticket, TicketStatus, Window, WindowQueue
from .numbering import local_time

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

HISTORY_WEEKS = 8
HANDLING_SAMPLE = 2000  # handling times kept per queue: plenty for the draws
TODAY = "today"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class QueueDemand:
    code: str
    name: str
    target_minutes: int
    arrivals: dict[int, float]  # hour -> citizens per hour, averaged over the days
    handling: tuple[int, ...]  # seconds, from the days' finished tickets


@dataclass(frozen=True)
class Demand:
    day_type: str
    days: tuple[date, ...]
    hours: tuple[int, ...]  # the hours of the day the hall is open, in order
    queues: tuple[QueueDemand, ...]


def days_of(day_type: str, today: date) -> list[date]:
    """The days a day type stands for: today, or one weekday over the last HISTORY_WEEKS weeks."""
    if day_type == TODAY:
        return [today]
    weekday = WEEKDAYS.index(day_type)
    last = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return [last - timedelta(weeks=n) for n in range(HISTORY_WEEKS)]


def demand(uow: UnitOfWork, hall: Hall, day_type: str, today: date) -> Demand:
    """The day type's demand, from the tickets of its days (those that had any)."""
    wanted = days_of(day_type, today)
    queues = list(uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position)))
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    handled: dict[int, list[int]] = defaultdict(list)
    days_seen: set[date] = set()
    rows = uow.session.execute(
        select(Ticket.queue_id, Ticket.issued_at, Ticket.service_day, Ticket.status, Ticket.handle_seconds)
        .where(Ticket.hall_id == hall.id, Ticket.service_day.in_(wanted))
        .execution_options(yield_per=5000)
    )
    for queue_id, issued_at, day, status, handle in rows:
        days_seen.add(day)
        counts[queue_id][local_time(hall, issued_at).hour] += 1
        if status == TicketStatus.FINISHED and handle and len(handled[queue_id]) < HANDLING_SAMPLE:
            handled[queue_id].append(handle)
    n_days = max(1, len(days_seen))
    hours = sorted({hour for per_hour in counts.values() for hour in per_hour})
    if hours:
        hours = list(range(hours[0], hours[-1] + 1))
    return Demand(
        day_type,
        tuple(sorted(days_seen)),
        tuple(hours),
        tuple(
            QueueDemand(
                q.code,
                q.name,
                q.target_wait_minutes,
                {hour: counts[q.id].get(hour, 0) / n_days for hour in hours},
                tuple(handled[q.id]),
            )
            for q in queues
        ),
    )


def current_plan(uow: UnitOfWork, hall: Hall, hours: Iterable[int]) -> dict[str, dict[int, float]]:
    """The windows × queues grid as a plan: each window gives its queues its time in
    proportion to their weights, the same every hour."""
    links = uow.session.execute(
        select(Window.id, Queue.code, WindowQueue.weight)
        .join(WindowQueue, WindowQueue.window_id == Window.id)
        .join(Queue, Queue.id == WindowQueue.queue_id)
        .where(Window.hall_id == hall.id)
    ).all()
    weights: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for window_id, code, weight in links:
        weights[window_id].append((code, weight or 1))
    per_queue: dict[str, float] = defaultdict(float)
    for queues in weights.values():
        total = sum(w for _, w in queues)
        for code, weight in queues:
            per_queue[code] += weight / total
    hours = list(hours)
    return {code: {hour: round(share, 1) for hour in hours} for code, share in per_queue.items()}


@dataclass
class _Tally:
    """What one hour (or the day) saw, summed over queues and replications."""

    waits: list[float] = field(default_factory=list)  # minutes
    within: int = 0
    busy: float = 0.0  # window-minutes spent serving
    open: float = 0.0  # window-minutes available

    def figures(self) -> dict[str, float | int | None]:
        waits = sorted(self.waits)
        n = len(waits)
        return {
            "citizens": n,
            "mean_wait": round(sum(waits) / n, 1) if n else None,
            "p90_wait": round(waits[min(n - 1, math.ceil(0.9 * n) - 1)], 1) if n else None,
            "service_level": round(self.within / n, 3) if n else None,
            "utilisation": round(min(1.0, self.busy / self.open), 3) if self.open else None,
        }


def play(
    demand: Demand, plan: Mapping[str, Mapping[int, float]], replications: int, seed: int
) -> dict[str, Any]:
    """The plan played `replications` times: per hour and for the day, the waits, the service
    level and the utilisation (the figures of _Tally), over every queue."""
    per_hour: dict[int, _Tally] = {hour: _Tally() for hour in demand.hours}
    day = _Tally()
    for replication in range(replications):
        for queue in demand.queues:
            windows = {hour: max(0.0, float(plan.get(queue.code, {}).get(hour, 0))) for hour in demand.hours}
            # Arrivals and handling times from streams of their own: two plans played with one
            # seed meet the same citizens with the same needs (common random numbers), so their
            # difference is the plans', not the dice's.
            arrivals, services = (
                random.Random(f"{seed}:{replication}:{queue.code}:{part}") for part in ("come", "serve")
            )
            _play_queue(queue, demand.hours, windows, arrivals, services, per_hour, day)
    return {
        "replications": replications,
        "hours": {hour: tally.figures() for hour, tally in per_hour.items()},
        "day": day.figures(),
    }


def _play_queue(
    queue: QueueDemand,
    hours: tuple[int, ...],
    windows: dict[int, float],
    arrivals: random.Random,
    services: random.Random,
    per_hour: dict[int, _Tally],
    day: _Tally,
) -> None:
    """One queue's day, minute by minute: arrivals join the line; each of the hour's windows,
    when free, calls the next; a fraction of a window works at that fraction of the speed."""
    if not hours or (not any(queue.arrivals.values())):
        return
    handling = queue.handling or (300,)
    line: deque[tuple[float, int]] = deque()  # (arrival minute, hour of arrival)
    busy_until: list[float] = []
    start = hours[0] * 60
    end = (hours[-1] + 1) * 60
    for minute in range(start, end):
        hour = minute // 60
        rate = queue.arrivals.get(hour, 0.0) / 60
        for _ in range(_poisson(arrivals, rate)):
            line.append((minute + arrivals.random(), hour))
        capacity = windows.get(hour, 0.0)
        servers = math.ceil(capacity)
        speed = capacity / servers if servers else 0.0
        while len(busy_until) < servers:
            busy_until.append(float(minute))
        for index in range(servers):
            tally = per_hour[hour]
            tally.open += speed
            day.open += speed
            if busy_until[index] > minute:
                served = min(1.0, busy_until[index] - minute) * speed
                tally.busy += served
                day.busy += served
                continue
            if not line:
                continue
            arrived, arrival_hour = line.popleft()
            called = max(float(minute), arrived)
            wait = called - arrived
            _record(per_hour[arrival_hour], day, wait, queue.target_minutes)
            busy_until[index] = called + services.choice(handling) / 60 / max(speed, 0.05)
    for arrived, arrival_hour in line:  # still waiting at closing: never within the target
        _record(per_hour[arrival_hour], day, end - arrived, -1)


def _record(tally: _Tally, day: _Tally, wait: float, target: int) -> None:
    for where in (tally, day):
        where.waits.append(wait)
        if target >= 0 and wait <= target:
            where.within += 1


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson draw (Knuth's: the rates here are a few a minute at most)."""
    if rate <= 0:
        return 0
    limit, product, count = math.exp(-rate), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count
