"""Ticket issuing and call-next through the HTTP API of a real `hallq serve` (uvicorn,
Flask in its request threads) on a SQLite file, at 1, 10 and 50 concurrent clients.

    .venv/bin/python benchmarks/api_throughput.py [--seconds 8] [--concurrency 1 10 50]

Each client is a thread with its own keep-alive HTTP connection. Issuing: clients POST
/api/v1/tickets as kiosks. Calling: each client is the clerk of its own window and repeats
call-next → start → finish; the call-next requests are what is timed and counted. Prints
requests/s, latency p50/p99 (ms) and the server's CPU time per request. The clients run on
the same 2 cores as the server, so the figures include their cost too. The saturating runs
send as fast as answers come back; the paced run offers a fixed rate (open loop).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from queue_core.models import Role  # noqa: E402
from tests.live.conftest import add_staff, new_hall  # noqa: E402

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


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Client:
    """One keep-alive HTTP connection (the stdlib client: light, so the clients take as
    little as possible of the 2 cores the server runs on)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, token: str, body: dict | None = None) -> tuple[int, float]:
        """Returns the status and the latency in ms."""
        payload = json.dumps(body or {})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        self.conn.request("POST", path, body=payload, headers=headers)
        response = self.conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - t0) * 1000


def run_clients(
    concurrency: int, seconds: float, port: int, work, pace: float = 0
) -> tuple[list[float], int, float]:
    """Run `work(client_index, client, record)` in threads until time is up. With pace > 0
    each client starts a request every `pace` seconds (open loop: a realistic arrival
    rate) instead of as fast as it can."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    start_gate = threading.Barrier(concurrency + 1)

    def client(index: int) -> None:
        http_client = Client(port)
        mine: list[float] = []
        start_gate.wait()
        next_start = time.monotonic() + (pace * index / concurrency if pace else 0)
        while time.monotonic() < stop:
            if pace:
                time.sleep(max(0.0, next_start - time.monotonic()))
                next_start += pace
            if not work(index, http_client, mine):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--paced-rate", type=float, default=200, help="tickets/s offered in the paced run")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    bench_config(root / "config")
    hall = new_hall(root)
    port = hall.port
    tokens = {"K1": hall.hallq("token", "issue", "--device", "K1").strip()}
    tokens |= add_staff(hall.env["DATABASE_URL"], [(f"clerk{n}", Role.CLERK) for n in range(1, WINDOWS + 1)])
    server = hall.serve(root / "server.log")
    worker = server.pid  # hallq serve is one process
    queues = "ABCDEFGH"
    rows = []

    def issue(index: int, client: Client, record: list[float]) -> bool:
        status, ms = client.post(
            "/api/v1/tickets", tokens["K1"], {"queue": queues[(index + len(record)) % 8]}
        )
        record.append(ms)
        return status == 201

    def call(index: int, client: Client, record: list[float]) -> bool:
        n, token = index + 1, tokens[f"clerk{index + 1}"]
        status, ms = client.post(f"/api/v1/windows/{n}/call-next", token)
        record.append(ms)
        if status != 200:
            return False
        return (
            client.post(f"/api/v1/windows/{n}/start", token)[0] == 200
            and client.post(f"/api/v1/windows/{n}/finish", token)[0] == 200
        )

    def measure(name: str, concurrency: int, work, pace: float = 0) -> None:
        cpu = server_cpu_seconds(worker)
        lat, errors, elapsed = run_clients(concurrency, args.seconds, port, work, pace)
        cpu_ms = (server_cpu_seconds(worker) - cpu) * 1000 / max(len(lat), 1)
        rows.append((name, concurrency, len(lat), errors, len(lat) / elapsed, lat, cpu_ms))

    try:
        for n in range(1, WINDOWS + 1):
            Client(port).post(f"/api/v1/windows/{n}/sign-in", tokens[f"clerk{n}"])
        for concurrency in args.concurrency:
            measure("issue ticket", concurrency, issue)
        measure(f"issue, paced {args.paced_rate:.0f}/s", 10, issue, pace=10 / args.paced_rate)
        for concurrency in args.concurrency:
            measure("call-next", concurrency, call)
        rss = server_rss_mib(worker)
    finally:
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)

    print(
        f"{'operation':<22}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'server CPU ms/req':>19}"
    )
    for name, concurrency, count, errors, rate, lat, cpu_ms in rows:
        print(
            f"{name:<22}{concurrency:>8}{count:>10}{errors:>8}{rate:>9.1f}"
            f"{statistics.median(lat):>9.2f}{percentile(lat, 99):>9.2f}{cpu_ms:>19.2f}"
        )
    print(f"server worker memory (RSS) at the end: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
