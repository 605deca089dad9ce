"""CPU per request, by kind: what each of a hall's requests costs the server, the HTTP server's
own share left out, on a quiet queue and with a deep one.

    .venv/bin/python benchmarks/request_cpu.py [--repeat 200] [--deep 500]

The hall is api_throughput's (the demo hall with 60 windows serving the 8 queues, kiosk K1
printing on `dummy:`) on a fresh SQLite file, its app created in this process and driven by
Flask's test client, so that each request's cost can be told apart: issue (a kiosk's ticket,
printed), call-next, recall, start, finish, no-show, transfer, a board subscribing (its state
read, as the socket handler reads it) and a citizen's phone page. A request's figure is the
process's CPU time (every thread: the request's own and the printer station's that prints
the ticket) from just before it to 30 ms after it, averaged over --repeat rounds, and its
SQL statements. The whole `hallq serve` adds its HTTP and Socket.IO work on top: compare the
issue row with api_throughput.py's.

Each kind is measured twice: with nothing else waiting in window 3's queue (B), and with
--deep tickets waiting in it. Each round's own tickets are priority (senior) tickets, so that
window 3 calls them before the deep line, which stays as deep while the rounds run. The ratio
is deep / quiet: a request whose cost grows with the line shows it here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.api_throughput import WINDOWS, bench_config  # noqa: E402
from queue_core.models import Role  # noqa: E402
from tests.live.conftest import add_staff, new_hall  # noqa: E402

KINDS = ("issue", "call-next", "recall", "start", "finish", "no-show", "transfer", "board", "phone")
SETTLE_S = 0.03  # after each request: the printer station's thread finishes its part


class Hall:
    """The bench hall's app in this process, window 3 (queue B) signed in."""

    def __init__(self, root: Path) -> None:
        bench_config(root / "config")
        live = new_hall(root)
        self.kiosk = live.hallq("token", "issue", "--device", "K1").strip()
        self.clerk = add_staff(live.env["DATABASE_URL"], [("clerk3", Role.CLERK), ("guide", Role.GUIDE)])
        os.environ.update(live.env)
        from sqlalchemy import event

        from hallq import create_app

        self.app = create_app()
        self.client = self.app.test_client()
        self.statements = 0
        here = threading.get_ident()

        def count(*_args) -> None:
            if threading.get_ident() == here:
                self.statements += 1

        event.listen(self.app.extensions["hallq"].db.engine, "before_cursor_execute", count)
        self.post("/windows/3/sign-in", "clerk3")

    def post(self, path: str, who: str, body: dict | None = None) -> dict:
        token = self.kiosk if who == "K1" else self.clerk[who]
        answer = self.client.post(
            f"/api/v1{path}", json=body or {}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.get_data(as_text=True))
        return answer.get_json()


def measure_round(hall: Hall, costs: dict[str, list[float]], counts: dict[str, int]) -> None:
    """One of each kind at window 3, in an order a clerk's day has them."""
    from hallq.live.subscriptions import KINDS as SUBSCRIPTIONS
    from hallq.live.subscriptions import current_state

    def timed(kind: str, request) -> Any:
        hall.statements = 0
        cpu = time.process_time()
        answer = request()
        time.sleep(SETTLE_S)
        costs[kind].append((time.process_time() - cpu) * 1000)
        counts[kind] = hall.statements
        return answer

    def window(action: str, body: dict | None = None):
        return lambda: hall.post(f"/windows/3/{action}", "clerk3", body)

    # Priority, so that window 3 calls this round's ticket before the deep line's.
    ticket = timed("issue", lambda: hall.post("/tickets", "K1", {"queue": "B", "priority": "senior"}))
    timed("phone", lambda: hall.client.get(f"/t/{ticket['key']}"))
    with hall.app.app_context():
        timed("board", lambda: current_state(SUBSCRIPTIONS["board"], "hall"))
    timed("call-next", window("call-next"))
    timed("recall", window("recall"))
    timed("start", window("start"))
    timed("finish", window("finish", {"outcome": "completed"}))
    hall.post("/tickets", "guide", {"queue": "B", "priority": "senior"})
    hall.post("/windows/3/call-next", "clerk3")
    timed("no-show", window("no-show", {"requeue": False}))
    hall.post("/tickets", "guide", {"queue": "B", "priority": "senior"})
    hall.post("/windows/3/call-next", "clerk3")
    timed("transfer", window("transfer", {"queue": "D"}))


def deep_queue(hall: Hall, depth: int) -> None:
    """depth normal tickets waiting in queue B: window 3 calls each round's priority tickets
    first, so the line stays this deep while the rounds run."""
    for _ in range(depth):
        hall.post("/tickets", "guide", {"queue": "B"})


def run(hall: Hall, repeat: int) -> tuple[dict[str, float], dict[str, int]]:
    costs: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = {}
    for _ in range(repeat):
        measure_round(hall, costs, counts)
    return {kind: statistics.median(costs[kind]) for kind in KINDS}, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="rounds of every kind")
    parser.add_argument("--deep", type=int, default=500, help="tickets waiting in the deep run")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hallq-request-cpu-"))
    try:
        hall = Hall(root)
        run(hall, 5)  # warm: caches, the first statements compiled
        quiet, counts = run(hall, args.repeat)
        deep_queue(hall, args.deep)
        deep, deep_counts = run(hall, args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"request_cpu.py --repeat {args.repeat} --deep {args.deep}, {WINDOWS} windows, load {' '.join(load)}"
    )
    print(
        f"| request | CPU ms, quiet | CPU ms, {args.deep} waiting | deep / quiet | statements (quiet / deep) |"
    )
    print("|---|---:|---:|---:|---|")
    for kind in KINDS:
        print(
            f"| {kind} | {quiet[kind]:.2f} | {deep[kind]:.2f} | {deep[kind] / quiet[kind]:.2f} "
            f"| {counts[kind]} / {deep_counts[kind]} |"
        )
    sys.stdout.flush()
    os._exit(0)  # the app's printer station and sweeper threads need no orderly stop here


if __name__ == "__main__":
    main()
