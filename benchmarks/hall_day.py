"""A large hall's peak hour through real servers: `hallq simulate-live` against `hallq serve`.

    .venv/bin/python benchmarks/hall_day.py --setup sqlite      # one process on a SQLite file
    .venv/bin/python benchmarks/hall_day.py --setup postgres    # two processes, PostgreSQL + Redis
    .venv/bin/python benchmarks/hall_day.py --tickets 150 --clients 50    # a quick check

The hall is the demo hall grown to 118 windows, as `hallq simulate`'s sized_spec grows it
(window n serves what demo window (n - 1) % 16 + 1 serves; benchmarks/call_latency.py's
bench_config writes it), each with its window board and keypad, and no daily quotas. The
servers are default `hallq serve` processes (uvicorn): one on a fresh SQLite
file, or two on a fresh PostgreSQL database (HALLQ_TEST_POSTGRES, else 127.0.0.1:5432/test)
sharing Redis as Socket.IO's message queue (HALLQ_TEST_REDIS, else 127.0.0.1:6379), with no
balancer: the driver spreads the clerks, kiosks, keypads and screens over both. The driver is
hallq.live_simulation with an admin's token made by the CLI (`hallq user add`, `hallq token
issue`): the day's busiest hour (09:45-10:45 on the arrival curve), 1,500 citizens, 10 times
faster, with 500 screens on /hall (per window its board, keypad and clerk's panel; 20 hall
boards, 2 dashboards, the rest queue boards), then the windows serve who still waits.

Prints the driver's report, then the figures: issue and call-next latency (the device's HTTP
answer), ticket_called latency (from just before the call-next request left to each screen's
receipt, at every screen the server routes the call to), errors, the server processes' CPU
over the day and their peak RSS (VmHWM), and the machine's load (1-minute average) before and
after: the server, the driver and the screens share the 2 cores with whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import tomllib
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.api_throughput import postgres_database, server_cpu_seconds  # noqa: E402
from benchmarks.call_latency import bench_config, host_cpu, print_probe, proc_status, serve  # noqa: E402
from hallq.live_simulation import LiveReport, parse_stretch, percentile, simulate_live  # noqa: E402
from tests.conftest import DEMO_CONFIG  # noqa: E402
from tests.live.conftest import LiveHall, free_port, new_hall  # noqa: E402

WINDOWS = 118
REDIS_URL = os.environ.get("HALLQ_TEST_REDIS", "redis://127.0.0.1:6379/0")
SAMPLE_SECONDS = 0.25


def halls(root: Path, setup: str, database_url: str | None) -> list[LiveHall]:
    """The servers' halls (one per process), initialised, with an admin `bench-admin`."""
    if setup == "sqlite":
        served = [new_hall(root)]
    else:
        env = {
            **os.environ,
            "HALLQ_CONFIG": str(root / "config"),
            "HALLQ_INSTANCE": str(root / "instance"),
            "DATABASE_URL": database_url or "",
            "SECRET_KEY": f"hall-day-{root.name}",
            "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
            "HALLQ_SECURE_COOKIES": "false",
        }
        served = [LiveHall(url=f"http://127.0.0.1:{free_port()}", env=env) for _ in range(2)]
        served[0].hallq("init")
    served[0].hallq(
        "user", "add", "bench-admin", "--role", "admin", "--password-stdin", input="Bench-day-pw-1\n"
    )
    served[0].tokens["admin"] = served[0].hallq("token", "issue", "bench-admin").strip()
    return served


@dataclass
class Sampler:
    """The server workers' CPU seconds and the machine's busy jiffies, sampled in a thread, so
    that the day's share can be cut out of a run that also sets up and connects."""

    workers: list[int]
    samples: list[tuple[float, list[float], tuple[int, int], float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            cpu = [server_cpu_seconds(pid) for pid in self.workers]
            self.samples.append((time.monotonic(), cpu, host_cpu(), time.process_time()))
            self.stop.wait(SAMPLE_SECONDS)

    def between(self, began: float, ended: float) -> tuple[list[float], float, float]:
        """Each worker's CPU seconds from `began` to `ended`, the machine's busy share and
        this process's (the driver's) CPU seconds."""
        first = max((s for s in self.samples if s[0] <= began), key=lambda s: s[0], default=self.samples[0])
        last = min((s for s in self.samples if s[0] >= ended), key=lambda s: s[0], default=self.samples[-1])
        busy = (last[2][0] - first[2][0]) / max(1, last[2][1] - first[2][1])
        return [b - a for a, b in zip(first[1], last[1], strict=True)], busy, last[3] - first[3]


def run(
    setup: str, tickets: int, clients: int, speed: float, hours: str, probe: bool
) -> tuple[LiveReport, dict]:
    root = Path(tempfile.mkdtemp(prefix="hallq-day-"))
    bench_config(root / "config", WINDOWS)
    servers = []
    try:
        with postgres_database() if setup == "postgres" else nullcontext() as database_url:
            served = halls(root, setup, database_url)
            probes = [root / f"probe{i}.jsonl" if probe else None for i in range(len(served))]
            servers = [serve(hall, root / f"server{i}.log", probes[i]) for i, hall in enumerate(served)]
            workers = [server.pid for server in servers]
            sampler = Sampler(workers)
            thread = threading.Thread(target=sampler.run, daemon=True)
            thread.start()
            load_before = os.getloadavg()
            report = simulate_live(
                [hall.url for hall in served],
                served[0].tokens["admin"],
                tickets=tickets,
                stretch=parse_stretch(hours),
                speed=speed,
                clients=clients,
            )
            load_after = os.getloadavg()
            sampler.stop.set()
            thread.join()
            cpu, busy, driver = sampler.between(*report.day)
            rss = [proc_status(pid, "VmHWM") / 1024 for pid in workers]
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=15)
            timings = [json.loads(line) for path in probes if path for line in path.read_text().splitlines()]
    finally:
        for server in servers:
            if server.poll() is None:
                server.kill()
        shutil.rmtree(root, ignore_errors=True)
    return report, {
        "cpu": cpu,
        "busy": busy,
        "driver": driver,
        "rss": rss,
        "load": (load_before, load_after),
        "probe": timings,
    }


def before_midnight(minutes: int) -> None:
    """The servers run on the real clock: a run that crosses midnight in the hall's time zone
    sees the service day roll over, and yesterday's waiting tickets are no longer called."""
    with (DEMO_CONFIG / "hall.toml").open("rb") as config:
        zone = ZoneInfo(tomllib.load(config)["hall"]["timezone"])
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone)
    if midnight - now < timedelta(minutes=minutes):
        raise SystemExit(
            f"it is {now:%H:%M} in the hall's time zone ({zone}): a run of up to {minutes} min would "
            f"cross midnight, when the service day rolls over; start after {midnight:%H:%M}"
        )


def ms(values: list[float], p: int) -> str:
    return f"{percentile(values, p):.1f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=1500, help="citizens over the stretch")
    parser.add_argument("--clients", type=int, default=500, help="screens on /hall")
    parser.add_argument("--speed", type=float, default=10)
    parser.add_argument("--hours", default="peak", help="HH:MM-HH:MM, peak or day")
    parser.add_argument(
        "--probe", action="store_true", help="time the requests' parts in the server (server_probe.py)"
    )
    args = parser.parse_args()
    start, end = parse_stretch(args.hours)
    stretch = (end.hour - start.hour) * 60 + end.minute - start.minute
    before_midnight(minutes=round(2 * stretch / args.speed) + 5)  # the stretch, the drain, set-up
    report, server = run(args.setup, args.tickets, args.clients, args.speed, args.hours, args.probe)
    cores = os.cpu_count() or 1
    for line in report.lines():
        print(line)
    print()
    kind = "1 process on SQLite" if args.setup == "sqlite" else "2 processes on PostgreSQL + Redis"
    cpu, seconds = server["cpu"], report.seconds
    print(
        f"hallq serve: {kind}; {WINDOWS} windows; {cores} CPUs shared by the servers, the driver and the screens"
    )
    print(
        f"server CPU over the day ({seconds:.0f} s): {sum(cpu):.1f} s "
        f"({', '.join(f'{c:.1f}' for c in cpu)} per process), {sum(cpu) / seconds / cores * 100:.0f} % of the "
        f"{cores} cores on average; the driver {server['driver']:.1f} s; the whole machine was "
        f"{server['busy'] * 100:.0f} % busy"
    )
    print(
        f"server peak RSS (VmHWM): {', '.join(f'{r:.0f}' for r in server['rss'])} MiB "
        f"({sum(server['rss']) * 1.048576:.0f} MB in all)"
    )
    before, after = server["load"]
    print(
        f"load average (1, 5, 15 min): before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}"
    )
    if server["probe"]:
        print_probe(server["probe"])
    events, missing, _unexpected = report.event_ms()
    print(
        f"summary: issue p50/p99 {ms(report.issue_ms, 50)}/{ms(report.issue_ms, 99)} ms, call p50/p99 "
        f"{ms(report.call_ms, 50)}/{ms(report.call_ms, 99)} ms, event p99 {ms(events, 99)} ms, errors "
        f"{report.errors.count}, receipts missing {missing}"
    )
    met = report.errors.count == 0 and not missing and events and percentile(events, 99) < 100
    print(f"goal (no error, every receipt, event p99 < 100 ms): {'PASS' if met else 'FAIL'}")
    if not met:
        sys.exit(1)


if __name__ == "__main__":
    main()
