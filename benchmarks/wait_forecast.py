"""The wait forecast (queue_core.wait_forecast), measured against the waits simulated citizens had.

    .venv/bin/python benchmarks/wait_forecast.py [--history-weeks 4] [--days 5] [--seed 1]

A fresh demo hall (config/, grown by `hallq simulate`'s sized_spec to serve the day's demand)
on a SQLite file gets `--history-weeks` weeks of simulated days (hallq.simulate, rolled up
as the server rolls them up), so that each later day has its same weekday's history. Then
`--days` more days are simulated, and at each ticket's issue, inside the simulator's own unit
of work (the hall exactly as it stood then), the forecast is read as the API reads it. Once
the day is over, each called ticket's forecast is compared with its actual wait (issue to
first call); tickets never called (cancelled, given up) have none and are left out.

Prints, over those tickets: the share whose actual wait fell within the 80 % range (the goal
is 75-85 %), the share below and above it, the median's mean absolute error, and the same
error for the plain estimate of today (people ahead × today's mean handling ÷ open windows;
where it has nothing to say yet, as at the start of a day, its error is counted against the
actual wait as if it said 0 and the count of such tickets is printed). The same per hour
of the day follow, then the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

import hallq.simulate as sim  # noqa: E402
from hallq.config_files import load_hall  # noqa: E402
from queue_core import Database, SystemClock, migrate  # noqa: E402
from queue_core.models import Ticket  # noqa: E402
from queue_core.setup import sync_hall  # noqa: E402
from queue_core.ticketing import waiting_ahead  # noqa: E402
from queue_core.wait_forecast import (  # noqa: E402
    Handling,
    WaitRange,
    WindowOfQueue,
    forecast,
    handling_figures,
    queue_windows,
)
from tests.conftest import DEMO_CONFIG  # noqa: E402

FIRST_MONDAY = date(2026, 10, 12)  # after 国庆节: five working weeks and more in the official calendar


@dataclass
class Issued:
    """What the forecast was given when a ticket was issued (its hour, hall-local), and the
    plain estimate of the moment."""

    hour: int
    ahead: int
    handling: Handling
    windows: list[WindowOfQueue]
    plain: float | None

    def forecast(self) -> WaitRange | None:
        return forecast(self.ahead, self.handling, self.windows)


def record_issues(found: dict[int, Issued]) -> None:
    """Makes the simulator's ticket issue also note, per ticket, what the forecast is given
    there, read as the API reads it."""
    issue = sim.issue_ticket

    def issue_and_note(uow, hall, **kwargs):
        ticket = issue(uow, hall, **kwargs)
        ahead = waiting_ahead(uow, ticket)
        windows = queue_windows(uow, ticket.queue_id, ticket.service_day)
        handling = handling_figures(uow, hall.id, ticket.service_day, ticket.queue_id).get(
            ticket.queue_id, Handling()
        )
        open_windows = sum(1 for w in windows if w.open)
        plain = ahead * handling.today_mean / open_windows if handling.today and open_windows else None
        hour = ticket.issued_at.astimezone(ZoneInfo(hall.timezone)).hour
        found[ticket.id] = Issued(hour, ahead, handling, windows, plain)
        return ticket

    sim.issue_ticket = issue_and_note


def replay(history_weeks: int, days: int, seed: int) -> tuple[str, list[tuple[Issued, float]]]:
    """The replayed days' called tickets: what their forecast was given, and their actual wait
    in seconds; with a line saying what was simulated."""
    with tempfile.TemporaryDirectory() as folder:
        engine = sim.fast_engine(f"sqlite:///{Path(folder) / 'hall.sqlite'}")
        migrate.upgrade(engine)
        db = Database(engine, SystemClock())
        spec = load_hall(DEMO_CONFIG)
        tickets_per_day = sim.capacity(spec, seed)
        spec = sim.sized_spec(spec, tickets_per_day, seed)
        with db.write() as uow:
            sync_hall(uow, spec)
        history_days = 7 * history_weeks
        if history_days:
            # The first week through the core, the later ones its copies: a weekday's history
            # is then the same day each week, as a hall's regular pattern.
            sim.simulate(
                db,
                spec,
                days=history_days,
                tickets_per_day=tickets_per_day,
                start=FIRST_MONDAY,
                seed=seed,
                repeat_days=5,
            )
        found: dict[int, Issued] = {}
        record_issues(found)
        start = FIRST_MONDAY + timedelta(days=history_days)
        sim.simulate(db, spec, days=days, tickets_per_day=tickets_per_day, start=start, seed=seed)
        with db.read() as uow:
            called = uow.session.execute(
                select(Ticket.id, Ticket.issued_at, Ticket.first_called_at).where(
                    Ticket.id.in_(list(found)), Ticket.first_called_at.is_not(None)
                )
            ).all()
        engine.dispose()
    described = (
        f"demo hall sized for {tickets_per_day} citizens a day ({len(spec.windows)} windows), seed {seed}: "
        f"{history_weeks} weeks of history, then {days} days replayed from {start}"
    )
    return described, [
        (found[ticket_id], (at - issued).total_seconds())
        for ticket_id, issued, at in called
        if at is not None
    ]  # (each was called: see the query)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--history-weeks", type=int, default=4)
    parser.add_argument("--days", type=int, default=5, help="calendar days replayed after the history")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    described, pairs = replay(args.history_weeks, args.days, args.seed)
    print(described)
    report("all hours", pairs)
    by_hour = defaultdict(list)
    for issued, wait in pairs:
        by_hour[issued.hour].append((issued, wait))
    for hour in sorted(by_hour):
        report(f"{hour:02d}:00-{hour + 1:02d}:00", by_hour[hour])
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def report(label: str, pairs: list[tuple[Issued, float]]) -> None:
    forecasts = [(issued.forecast(), issued.plain, wait) for issued, wait in pairs]
    ranged = [(f, plain, wait) for f, plain, wait in forecasts if f is not None]
    if not ranged:
        print(f"{label}: {len(pairs)} called tickets, none with a forecast")
        return
    below = sum(1 for f, _, wait in ranged if wait < f.low)
    above = sum(1 for f, _, wait in ranged if wait > f.high)
    inside = len(ranged) - below - above
    model_error = statistics.fmean(abs(f.median - wait) for f, _, wait in ranged)
    plain_error = statistics.fmean(abs((plain or 0) - wait) for _, plain, wait in ranged)
    silent = sum(1 for _, plain, _ in ranged if plain is None)
    print(
        f"{label}: {len(pairs)} called tickets, {len(ranged)} with a range: "
        f"coverage {inside / len(ranged):.1%} (below {below / len(ranged):.1%}, above {above / len(ranged):.1%}); "
        f"mean absolute error: median {model_error / 60:.1f} min, plain estimate {plain_error / 60:.1f} min "
        f"({silent} without one, counted as 0); mean actual wait "
        f"{statistics.fmean(wait for *_, wait in ranged) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
