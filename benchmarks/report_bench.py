"""How long the statistics take over a day, a month and a year of a large hall.

    .venv/bin/python benchmarks/report_bench.py                       # generate a year, then time
    .venv/bin/python benchmarks/report_bench.py --database sqlite:////tmp/sim365/h.sqlite   # reuse one

Without --database it makes a hall of its own in a temporary folder, runs `hallq init` and
`hallq simulate --days 365 --tickets-per-day 10000 --repeat-days 10` (about 45 minutes here:
ten working days through the core, the other working days copied from them), then times
what the report API does, for the last day, the last 30 days and the whole year, for the hall
and each grouping, and the XLSX workbook of each period (the hall and every breakdown: six
summaries from one statistics.summaries): queue_core.rollups.ensure (roll up the period's closed days that have no rollup
yet), then queue_core.statistics.summary. The first run of each row is printed with the days
it rolled up (the periods overlap: the month's first run builds what the day's did not), then
the best of three more. --fresh drops every rollup first, so that the first runs build them
all. Goal on this 2-core machine, on SQLite: a month under 1 s, a year under 5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hallq.present.reports import GROUP_NAMES, HALL, ReportHeading, as_xlsx  # noqa: E402
from queue_core import Database, SystemClock, make_engine, migrate, rollups, statistics  # noqa: E402
from queue_core.halls import hall_by_code  # noqa: E402
from queue_core.models import Ticket  # noqa: E402


def generate(folder: Path, days: int, per_day: int, repeat: int) -> str:
    url = f"sqlite:///{folder / 'hall.sqlite'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HALLQ_INSTANCE": str(folder / "instance"),
        "HALLQ_CONFIG": str(ROOT / "config"),
        "SECRET_KEY": "report-bench",
    }
    hallq = [sys.executable, "-m", "hallq"]
    subprocess.run([*hallq, "init"], env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [
            *hallq,
            "simulate",
            "--days",
            str(days),
            "--tickets-per-day",
            str(per_day),
            "--repeat-days",
            str(repeat),
        ],
        env=env,
        check=True,
    )
    print(f"generated in {time.perf_counter() - started:.0f} s")
    return url


def timed(work, runs: int = 3) -> tuple[float, float, int]:
    """(the first run, the best of the next `runs`, in seconds; days the first rolled up)."""
    times, built = [], []
    for _ in range(runs + 1):
        started = time.perf_counter()
        built.append(work())
        times.append(time.perf_counter() - started)
    return times[0], min(times[1:]), built[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="a SQLAlchemy URL of a hall with tickets (else one is generated)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--tickets-per-day", type=int, default=10_000)
    parser.add_argument("--repeat-days", type=int, default=10)
    parser.add_argument("--hall", default="qingshan")
    parser.add_argument("--fresh", action="store_true", help="drop every rollup first")
    args = parser.parse_args()
    folder = None
    url = args.database
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="hallq-report-bench-"))
        url = generate(folder, args.days, args.tickets_per_day, args.repeat_days)
    database = Database(make_engine(url), SystemClock())
    migrate.upgrade(database.engine)  # a reused data set may predate the newest revision
    try:
        with database.read() as uow:
            hall = hall_by_code(uow, args.hall)
            first_day, last_day, tickets = uow.session.execute(
                select(func.min(Ticket.service_day), func.max(Ticket.service_day), func.count()).where(
                    Ticket.hall_id == hall.id
                )
            ).one()
        if args.fresh:
            with database.write() as uow:
                rollups.forget(uow, hall.id, first_day, last_day)
        size = Path(url.removeprefix("sqlite:///")).stat().st_size / 1e9 if url.startswith("sqlite") else 0
        print(
            f"{url}: {tickets:,} tickets from {first_day} to {last_day}"
            + (f", {size:.2f} GB" if size else "")
        )
        periods = {
            "day": (last_day, last_day),
            "month (30 days)": (last_day - timedelta(days=29), last_day),
            "year": (first_day, last_day),
        }
        print(f"\n{'period':<16} {'grouping':<11} {'tickets':>10} {'built':>6} {'first s':>8} {'best s':>8}")
        for name, (first, last) in periods.items():
            for grouping in (None, *statistics.GROUPINGS):
                result: dict = {}

                def report(first=first, last=last, grouping=grouping, result=result) -> int:
                    built = rollups.ensure(database, hall.id, first, last)
                    with database.read() as uow:
                        result["summary"] = statistics.summary(uow, hall, first, last, grouping)
                    return built

                cold, best, built = timed(report)
                issued = result["summary"]["issued"]
                print(
                    f"{name:<16} {grouping or 'hall':<11} {issued:>10,} {built:>6} {cold:>8.3f} {best:>8.3f}"
                )

            def workbook(first=first, last=last) -> int:
                built = rollups.ensure(database, hall.id, first, last)
                with database.read() as uow:
                    every = statistics.summaries(uow, hall, first, last, (None, *statistics.GROUPINGS))
                    found = {GROUP_NAMES.get(g, HALL) if g else HALL: figures for g, figures in every.items()}
                as_xlsx(found, ReportHeading("bench", first, last, datetime.now().astimezone()))
                return built

            cold, best, built = timed(workbook, runs=1)
            print(f"{name:<16} {'XLSX, all':<11} {'':>10} {built:>6} {cold:>8.3f} {best:>8.3f}")
    finally:
        database.engine.dispose()
        if folder is not None:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
