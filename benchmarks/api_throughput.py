"""Ticket issuing and call-next through the HTTP API of a real `hallq serve` (gunicorn,
threaded) on a SQLite file, at 1, 10 and 50 concurrent clients.

    .venv/bin/python benchmarks/api_throughput.py [--seconds 8] [--concurrency 1 10 50]

Each client is a thread with its own keep-alive HTTP session. Issuing: clients POST
/api/v1/tickets as kiosks. Calling: each client is the clerk of its own window and repeats
call-next → start → finish; the call-next requests are what is timed and counted. Prints
requests/s and latency p50/p99 (ms). The clients run on the same 2 cores as the server,
so the figures include their cost too.
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
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live.conftest import LiveHall, add_staff, free_port, start_server  # noqa: E402

from queue_core.models import Role  # noqa: E402

WINDOWS = 60


def bench_config(target: Path) -> None:
    """The demo hall with 60 windows serving every queue and no daily quotas, so 50 clerks
    can call at once and no ticket is refused."""
    shutil.copytree(ROOT / "config", target)
    hall = (target / "hall.toml").read_text(encoding="utf-8")
    head = hall[: hall.index("[[windows]]")]
    tail = hall[hall.index("# Kiosks print") :]
    windows = "".join(
        f'[[windows]]\nnumber = {n}\nname = "{n}号窗口"\nqueues = ["A", "B", "C", "D", "E", "F", "G", "H"]\n\n'
        for n in range(1, WINDOWS + 1)
    )
    tail = "\n".join(line for line in tail.split("\n\n") if "window = " not in line or "kind" in line)
    head = "\n".join(line for line in head.splitlines() if not line.startswith("daily_quota"))
    (target / "hall.toml").write_text(head + "\n" + windows + tail, encoding="utf-8")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_clients(concurrency: int, seconds: float, work) -> tuple[list[float], int, float]:  # noqa: ANN001
    """Run `work(client_index, session, record)` in threads until time is up."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    start_gate = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        session = requests.Session()
        mine: list[float] = []
        start_gate.wait()
        while time.monotonic() < stop:
            if not work(index, session, mine):
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.monotonic()
    for t in threads:
        t.join()
    return latencies, errors[0], time.monotonic() - began


def timed(
    session: requests.Session, method: str, url: str, record: list[float], **kw: object
) -> requests.Response:
    t0 = time.perf_counter()
    response = session.request(method, url, timeout=30, **kw)
    record.append((time.perf_counter() - t0) * 1000)
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    bench_config(root / "config")
    env = {**os.environ, "HALLQ_CONFIG": str(root / "config"), "HALLQ_INSTANCE": str(root / "instance"),
           "DATABASE_URL": f"sqlite:///{root / 'bench.sqlite'}", "SECRET_KEY": "bench"}  # fmt: skip
    port = free_port()
    hall = LiveHall(url=f"http://127.0.0.1:{port}", env=env)
    hall.hallq("init")
    hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
    hall.tokens |= add_staff(env["DATABASE_URL"], [(f"clerk{n}", Role.CLERK) for n in range(1, WINDOWS + 1)])
    server = start_server(env, port, root / "server.log")
    api = f"{hall.url}/api/v1"
    kiosk = {"Authorization": f"Bearer {hall.tokens['K1']}"}
    queues = "ABCDEFGH"
    rows = []
    try:
        for n in range(1, WINDOWS + 1):
            hall.api("POST", f"/windows/{n}/sign-in", f"clerk{n}").raise_for_status()

        for concurrency in args.concurrency:

            def issue(index: int, session: requests.Session, record: list[float]) -> bool:
                body = {"queue": queues[(index + len(record)) % len(queues)]}
                return (
                    timed(session, "POST", f"{api}/tickets", record, json=body, headers=kiosk).status_code
                    == 201
                )

            lat, errors, elapsed = run_clients(concurrency, args.seconds, issue)
            rows.append(("issue ticket", concurrency, len(lat), errors, len(lat) / elapsed, lat))

        for concurrency in args.concurrency:

            def call(index: int, session: requests.Session, record: list[float]) -> bool:
                n = index + 1
                auth = {"Authorization": f"Bearer {hall.tokens[f'clerk{n}']}"}
                response = timed(session, "POST", f"{api}/windows/{n}/call-next", record, headers=auth)
                if response.status_code != 200:
                    return False
                ok = session.post(f"{api}/windows/{n}/start", headers=auth, timeout=30).ok
                return ok and session.post(f"{api}/windows/{n}/finish", headers=auth, json={}, timeout=30).ok

            lat, errors, elapsed = run_clients(concurrency, args.seconds, call)
            rows.append(("call-next", concurrency, len(lat), errors, len(lat) / elapsed, lat))
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"{'operation':<14}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
    )
    for name, concurrency, count, errors, rate, lat in rows:
        print(
            f"{name:<14}{concurrency:>8}{count:>10}{errors:>8}{rate:>9.1f}"
            f"{statistics.median(lat):>9.2f}{percentile(lat, 99):>9.2f}"
        )


if __name__ == "__main__":
    main()
