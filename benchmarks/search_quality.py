"""The kiosk's search, measured: the everyday queries of tests/search_queries.py (colloquial
Chinese, pinyin, initials, mixed) against a fresh demo hall (config/ on SQLite), as
GET /api/v1/items answers them.

    .venv/bin/python benchmarks/search_quality.py [--verbose] [--copies N]

Prints the share of queries whose right item comes first (top-1) and among the first three
(top-3), each miss with what came instead, and the time a search takes (the database reads
and the ranking, without HTTP). --copies N then adds the catalogue N more times under other
codes (76 × (N + 1) items: a city hall's 600) and times the same queries again.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from queue_core import Database, SystemClock  # noqa: E402
from queue_core.models import Hall, ServiceItem  # noqa: E402
from queue_core.search import search_items  # noqa: E402
from tests.conftest import app_settings, initialise_database  # noqa: E402
from tests.search_queries import QUERIES  # noqa: E402


@dataclass(frozen=True)
class Outcome:
    query: str
    expected: tuple[str, ...]
    found: list[str]  # the first codes found, best first
    seconds: float

    @property
    def top1(self) -> bool:
        return bool(self.found) and self.found[0] in self.expected

    @property
    def top3(self) -> bool:
        return any(code in self.expected for code in self.found[:3])


def demo_database(folder: Path) -> Database:
    """A fresh demo hall from config/, migrated and imported as `hallq init` does."""
    return initialise_database(app_settings(folder), SystemClock())


def run(database: Database, queries: list[tuple[str, tuple[str, ...]]] = QUERIES) -> list[Outcome]:
    outcomes = []
    with database.read() as uow:
        hall_id = uow.session.query(Hall.id).scalar()
    for query, expected in queries:
        with database.read() as uow:
            started = time.perf_counter()
            found = [item.code for item in search_items(uow, hall_id, query, 30)]
            seconds = time.perf_counter() - started
        outcomes.append(Outcome(query, expected, found, seconds))
    return outcomes


def add_copies(database: Database, copies: int) -> tuple[int, list[Outcome]]:
    """The demo catalogue again under other codes (GA001X0 ...), and the queries timed there."""
    from hallq.config_files import load_config
    from queue_core.setup import import_items

    _, items = load_config(ROOT / "config")
    with database.write() as uow:
        hall = uow.session.query(Hall).one()
        import_items(
            uow, hall, [i.model_copy(update={"code": f"{i.code}X{n}"}) for n in range(copies) for i in items]
        )
    run(database, QUERIES[:20])
    return len(items) * (copies + 1), run(database)


def timing(outcomes: list[Outcome]) -> str:
    times = sorted(o.seconds * 1000 for o in outcomes)
    return (
        f"median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms, "
        f"max {times[-1]:.2f} ms"
    )


def rates(outcomes: list[Outcome]) -> tuple[float, float]:
    n = len(outcomes)
    return sum(o.top1 for o in outcomes) / n, sum(o.top3 for o in outcomes) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="print every query's first three")
    parser.add_argument("--copies", type=int, default=0, help="then time a hall with N more catalogues")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hallq-search-") as folder:
        database = demo_database(Path(folder))
        run(database, QUERIES[:20])  # warm up: the first reads compile SQLAlchemy's statements
        outcomes = run(database)
        with database.read() as uow:
            keywords = {k for item in uow.session.scalars(select(ServiceItem)) for k in item.keywords}
        larger = add_copies(database, args.copies) if args.copies else None
        database.engine.dispose()
    top1, top3 = rates(outcomes)
    print(f"{len(outcomes)} queries against the demo catalogue (76 items)")
    print(f"top-1: {top1:.1%} ({sum(o.top1 for o in outcomes)})")
    print(f"top-3: {top3:.1%} ({sum(o.top3 for o in outcomes)})")
    # The keywords were written with these queries in view: the queries that are not one of
    # them (pinyin, initials, sentences, other wordings) show what matching adds to the list.
    other = [o for o in outcomes if o.query not in keywords]
    top1, top3 = rates(other)
    print(f"of them not a keyword of any item ({len(other)}): top-1 {top1:.1%}, top-3 {top3:.1%}")
    print(f"time per search: {timing(outcomes)}")
    if larger:
        print(f"time per search among {larger[0]} items: {timing(larger[1])}")
    misses = [o for o in outcomes if not o.top1]
    if misses:
        print("\nnot first (query: expected → found):")
        for o in misses:
            mark = "" if o.top3 else "  [not in top-3]"
            print(f"  {o.query}: {'/'.join(o.expected)} → {' '.join(o.found[:3]) or '(nothing)'}{mark}")
    if args.verbose:
        print("\nevery query:")
        for o in outcomes:
            print(f"  {o.query}: {' '.join(o.found[:3]) or '(nothing)'}")


if __name__ == "__main__":
    main()
