"""The advisor (queue_core.advisor) on simulated peak days: its moves applied against none.

    .venv/bin/python benchmarks/advisor_bench.py [--days 3] [--every 5] [--surge D=1.8,C=2.5]

A fresh demo hall on a SQLite file gets a week of ordinary simulated days (hallq.simulate) as
the wait model's history. Then each peak day is simulated twice from that same database, with
the same seed: once as configured, and once with a manager who, every `--every` minutes while
the hall is open, applies every move the dashboard's advisor proposes, through the core call
that the dashboard's 采纳 button makes (setup.set_window_queues, audited as advised), and never
undoes one. A peak day is an ordinary day's demand plus the surges of `--surge`: 社保医保 (D) at
1.8 times its usual line, as in the yearly insurance renewal, and 婚姻登记 (C), one window's
worth, at 2.5 times, as on 520 or 七夕.

Prints, per run and over all its citizens: the mean and 90th-percentile wait (issue to first
call, in minutes; a ticket still waiting at closing counts its wait until then, one given up
until it was cancelled), the citizens served, those left at closing, and the moves applied;
then the same waits for the surged queues alone and for the others, and the machine's load.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import hallq.simulate as sim  # noqa: E402
from hallq.config_files import load_hall  # noqa: E402
from queue_core import Database, SystemClock, advisor, migrate  # noqa: E402
from queue_core.hall_calendar import HallCalendar  # noqa: E402
from queue_core.models import Hall, Queue, Ticket, TicketEvent, TicketEventKind, Window  # noqa: E402
from queue_core.numbering import service_day  # noqa: E402
from queue_core.setup import set_window_queues, sync_hall  # noqa: E402
from queue_core.spec import QueueRef  # noqa: E402
from queue_core.unit_of_work import UnitOfWork  # noqa: E402
from tests.conftest import DEMO_CONFIG  # noqa: E402

FIRST_MONDAY = date(2026, 10, 12)  # after 国庆节: working weeks in the official calendar
HISTORY_DAYS = 7


def surges_of(text: str) -> dict[str, float]:
    surges = {}
    for part in filter(None, text.split(",")):
        code, _, factor = part.partition("=")
        surges[code.strip()] = float(factor)
    return surges


def with_surges(surges: dict[str, float]) -> None:
    """Makes the simulator send each surged queue that many times its usual citizens."""
    usual = sim.arrival_weight

    def surged(seed: int, queue_code: str, share: float) -> float:
        return usual(seed, queue_code, share) * surges.get(queue_code, 1.0)

    sim.arrival_weight = surged


def manager_applying_advice(moves_applied: list[advisor.Move]) -> Callable[[UnitOfWork, Hall], list[int]]:
    """What a manager does at each look: apply every move the advisor proposes."""

    def look(uow: UnitOfWork, hall: Hall) -> list[int]:
        changed = []
        for move in advisor.advise(uow, hall, service_day(hall, uow.now())):
            window = uow.session.scalar(
                select(Window).where(Window.hall_id == hall.id, Window.number == move.window)
            )
            assert window is not None
            refs = [QueueRef(code=q["code"], weight=q["weight"]) for q in move.window_queues]
            uow.audit_detail["advised"] = True
            set_window_queues(uow, hall, window, [*refs, QueueRef(code=move.queue)])
            moves_applied.append(move)
            changed.append(move.window)
        return changed

    return look


def peak_day_waits(
    folder: Path, history: Path, spec, day: date, tickets: int, seed: int, every: int | None
) -> tuple[dict[str, list[float]], int, int, int]:
    """The day played on a copy of the history: each queue's waits in minutes, the citizens
    served, those left at closing, and the moves applied."""
    copy = folder / f"day-{day}-{every}.sqlite"
    shutil.copy(history, copy)
    engine = sim.fast_engine(f"sqlite:///{copy}")
    db = Database(engine, SystemClock())
    moves: list[advisor.Move] = []
    overseer = None if every is None else sim.Overseer(every, manager_applying_advice(moves))
    plan = sim.day_plan(spec, day, tickets)
    report = sim.simulate_day(db, spec, plan, seed=seed, overseer=overseer)
    waits: dict[str, list[float]] = {}
    with db.read() as uow:
        cancelled = (
            select(func.max(TicketEvent.at))
            .where(TicketEvent.ticket_id == Ticket.id, TicketEvent.kind == TicketEventKind.CANCELLED)
            .scalar_subquery()
        )
        rows = uow.session.execute(
            select(Queue.code, Ticket.issued_at, Ticket.first_called_at, cancelled)
            .join(Queue, Queue.id == Ticket.queue_id)
            .where(Ticket.service_day == day)
        )
        for code, issued, called, cancelled_at in rows:
            until: datetime | None = called or cancelled_at
            if until is not None:
                waits.setdefault(code, []).append((until - issued).total_seconds() / 60)
    engine.dispose()
    return waits, report.served, report.cancelled_at_close, len(moves)


def figures(waits: list[float]) -> str:
    if not waits:
        return "no citizens"
    ordered = sorted(waits)
    p90 = ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]
    return f"mean {statistics.fmean(ordered):5.1f} min, p90 {p90:5.1f} min ({len(ordered)} citizens)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=3, help="peak days, each played both ways")
    parser.add_argument("--every", type=int, default=5, help="minutes between the manager's looks")
    parser.add_argument("--surge", default="D=1.8,C=2.5", help="queue=factor, comma separated")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    surges = surges_of(args.surge)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        history = folder / "history.sqlite"
        engine = sim.fast_engine(f"sqlite:///{history}")
        migrate.upgrade(engine)
        db = Database(engine, SystemClock())
        spec = load_hall(DEMO_CONFIG)
        usual = sim.capacity(spec, args.seed)
        with db.write() as uow:
            sync_hall(uow, spec)
        sim.simulate(db, spec, days=HISTORY_DAYS, tickets_per_day=usual, start=FIRST_MONDAY, seed=args.seed)
        engine.dispose()
        with_surges(surges)
        weights = {q.code: sim.arrival_weight(args.seed, q.code, 1.0) for q in spec.queues}
        plain = {code: w / surges.get(code, 1.0) for code, w in weights.items()}
        tickets = round(usual * sum(weights.values()) / sum(plain.values()))
        print(
            f"demo hall, {len(spec.windows)} windows, ordinary day {usual} citizens; peak days {tickets} "
            f"(surges {args.surge}); manager looks every {args.every} min; seed {args.seed}"
        )
        peak_days: list[date] = []
        day = FIRST_MONDAY + timedelta(days=HISTORY_DAYS)
        while len(peak_days) < args.days:
            if HallCalendar(spec.full_calendar()).is_working_day(day):
                peak_days.append(day)
            day += timedelta(days=1)
        totals: dict[str, dict[str, list[float]]] = {"no moves": {}, "advised": {}}
        for index, peak in enumerate(peak_days):
            for label, every in (("no moves", None), ("advised", args.every)):
                waits, served, left, moves = peak_day_waits(
                    folder, history, spec, peak, tickets, args.seed + index, every
                )
                everyone = [w for queue in waits.values() for w in queue]
                print(
                    f"{peak} {label:<8}: {figures(everyone)}; served {served}, left at closing {left}, moves {moves}"
                )
                for code, queue in waits.items():
                    totals[label].setdefault(code, []).extend(queue)
        print("all peak days:")
        for label, waits in totals.items():
            everyone = [w for queue in waits.values() for w in queue]
            surged = [w for code, queue in waits.items() if code in surges for w in queue]
            others = [w for code, queue in waits.items() if code not in surges for w in queue]
            print(f"  {label:<8} all: {figures(everyone)}")
            print(f"  {label:<8} surged queues: {figures(surged)}; other queues: {figures(others)}")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
