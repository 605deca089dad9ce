"""Every screen at once: 3,000 open Socket.IO connections on a hall's server while kiosks issue
and windows call.

    .venv/bin/python benchmarks/screens.py [--setup sqlite|postgres] [--seconds 60] [--rate 20]
                                           [--devices 500] [--phones 2500]

The hall is the demo hall grown to 50 windows (benchmarks/call_latency.py's bench_config). With
`--setup sqlite` one default `hallq serve` on a fresh SQLite file; with `--setup postgres` two,
on a fresh PostgreSQL database (HALLQ_TEST_POSTGRES, else 127.0.0.1:5432/test) sharing Redis
(HALLQ_TEST_REDIS, else 127.0.0.1:6379) as the message queue, the screens, kiosks and clerks
spread over both.

Screens: 500 devices (per window its board, its clerk's panel and its keypad with the keypad's
token; hall boards, queue boards, managers' dashboards, kiosks with their tokens) and 2,500
citizens' phone pages following their queue. They connect from many loopback addresses (at
most 40 anonymous screens each, under the default cap of 50), as 4 client processes of the lean
select-loop Socket.IO clients of benchmarks/call_latency.py, which time each
receipt by the kernel's arrival timestamp.

Then, for --seconds: kiosks issue --rate tickets a second (open loop, over the queues the
windows serve), and 50 clerks call-next, start, serve 1-4 s and finish, again and again. Each
`ticket_called` receipt is timed from just before its call-next request left the clerk; every
screen the server routes the call to (hallq.live.rooms_for) must hear it once, and no other.

Prints: ticket issuing p50/p99; call → every screen p50/p99/max; missing and unexpected
receipts; each server's RSS once connected and at its peak, and its CPU over the measured
stretch. Clients, servers and databases share this machine's 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.api_throughput import percentile, server_cpu_seconds, server_rss_mib  # noqa: E402
from benchmarks.call_latency import Api, ClientSpec, bench_config, serve, start_client_processes  # noqa: E402
from benchmarks.hall_day import halls, postgres_database  # noqa: E402
from hallq.live import rooms_for  # noqa: E402
from hallq.live.subscriptions import KINDS  # noqa: E402
from queue_core.events import TicketCalled  # noqa: E402
from queue_core.models import Role  # noqa: E402
from tests.live.conftest import add_device_token, add_staff  # noqa: E402

WINDOWS = 50
PER_ADDRESS = 40
GRACE_SECONDS = 5
CLIENT_PROCESSES = 4


def screen_mix(
    served: dict[int, list[str]], devices: int, phones: int, tokens: dict[str, str], servers: int
) -> list[ClientSpec]:
    wanted: list[tuple[str, dict[str, Any], str | None]] = []
    for n in served:
        wanted += [
            ("window board", {"window": n}, None),
            ("clerk panel", {"window": n}, tokens[f"clerk{n}"]),
            ("keypad", {"keypad": n}, tokens[f"P{n}"]),
        ]
    queues = sorted({q for codes in served.values() for q in codes})
    wanted += [("dashboard", {"dashboard": True}, tokens["manager"])] * 4
    wanted += [("kiosk", {"kiosk": "K1"}, tokens["K1"])] * 2
    for i in range(devices - len(wanted)):
        wanted.append(
            ("hall board", {"board": "hall"}, None)
            if i % 3 == 0
            else ("queue board", {"queue": queues[i % len(queues)]}, None)
        )
    wanted += [("phone", {"queue": queues[i % len(queues)]}, None) for i in range(phones)]
    specs, anonymous = [], 0
    for i, (kind, subscription, token) in enumerate(wanted):
        # 127.1.x.y: anonymous screens PER_ADDRESS to an address, as from many PCs and phones.
        slot = anonymous // PER_ADDRESS if token is None else 0
        anonymous += token is None
        address = f"127.1.{slot // 250}.{slot % 250 + 1}"
        specs.append(ClientSpec(i, kind, [subscription], token, address, i % servers))
    return specs


def room_of(spec: ClientSpec) -> str:
    ((name, value),) = spec.subscriptions[0].items()
    return KINDS[name].room(value)


# -- the hall's work --------------------------------------------------------------------------------


@dataclass
class Work:
    ports: list[int]
    tokens: dict[str, str]
    served: dict[int, list[str]]
    rate: float
    seconds: float
    issued_ms: list[float] = field(default_factory=list)
    calls: dict[int, tuple[int, float, str]] = field(default_factory=dict)  # ticket id → window, sent, queue
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        threads = [threading.Thread(target=self._kiosk, args=(k,)) for k in range(4)]
        threads += [threading.Thread(target=self._window, args=(n,)) for n in self.served]
        for thread in threads:
            thread.start()
        time.sleep(self.seconds)
        self.stop.set()
        for thread in threads:
            thread.join()

    def _kiosk(self, k: int) -> None:
        """One of 4 kiosks issuing rate/4 tickets a second, at fixed times (open loop)."""
        api = Api(self.ports[k % len(self.ports)], self.tokens["K1"])
        queues = [q for codes in self.served.values() for q in codes]
        period, began, i = 4 / self.rate, time.monotonic() + k / self.rate, 0
        while not self.stop.is_set():
            time.sleep(max(0.0, began + i * period - time.monotonic()))
            sent = time.perf_counter()
            status, body = api.post("/tickets", {"queue": random.choice(queues)})
            with self.lock:
                if status == 201:
                    self.issued_ms.append((time.perf_counter() - sent) * 1000)
                else:
                    self.errors.append(f"issue: {status} {body}")
            i += 1

    def _window(self, n: int) -> None:
        api = Api(self.ports[n % len(self.ports)], self.tokens[f"clerk{n}"])
        if (status := api.post(f"/windows/{n}/sign-in")[0]) != 200:
            self._error(f"window {n} sign-in: {status}")
            return
        while not self.stop.is_set():
            sent = time.time()  # as the clients' kernel timestamps
            status, body = api.post(f"/windows/{n}/call-next")
            if status == 204 or (status == 200 and body and body["ticket"] is None):
                time.sleep(0.5)  # nobody waiting for this window
                continue
            if status != 200 or not body:
                self._error(f"window {n} call-next: {status} {body}")
                time.sleep(0.5)
                continue
            ticket = body["ticket"]
            with self.lock:
                self.calls[ticket["id"]] = (n, sent, ticket["queue"])
            for step in ("start", "finish"):
                if step == "finish":
                    time.sleep(random.uniform(1, 4))
                if (status := api.post(f"/windows/{n}/{step}")[0]) != 200:
                    self._error(f"window {n} {step}: {status}")

    def _error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


# -- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=20, help="tickets issued a second")
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--phones", type=int, default=2500)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hallq-screens-"))
    served = bench_config(root / "config", WINDOWS, anonymous_per_address=None)  # the default cap
    with postgres_database() if args.setup == "postgres" else nullcontext() as database_url:
        hall_list = halls(root, args.setup, database_url)
        database = hall_list[0].env["DATABASE_URL"]
        tokens = add_staff(
            database, [("manager", Role.MANAGER)] + [(f"clerk{n}", Role.CLERK) for n in served]
        )
        tokens["K1"] = add_device_token(database, "kiosk", "K1")
        tokens |= {f"P{n}": add_device_token(database, "keypad", f"P{n}") for n in served}
        servers = [serve(hall, root / f"server{i}.log", None) for i, hall in enumerate(hall_list)]
        try:
            measure(args, served, tokens, hall_list, servers)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    print(f"(logs in {root})")


def measure(
    args: argparse.Namespace,
    served: dict[int, list[str]],
    tokens: dict[str, str],
    hall_list: list,
    servers: list,
) -> None:
    specs = screen_mix(served, args.devices, args.phones, tokens, len(servers))
    ports = [hall.port for hall in hall_list]
    processes: list[Any] = []
    began = time.monotonic()
    controls, _rooms = start_client_processes(specs, ports, CLIENT_PROCESSES, processes)
    connected_in = time.monotonic() - began
    rss_connected = [server_rss_mib(s.pid) for s in servers]
    print(f"{len(specs)} screens connected and subscribed in {connected_in:.1f} s to {len(servers)} server(s); "
          f"server RSS {' + '.join(f'{r:.0f}' for r in rss_connected)} MiB")  # fmt: skip

    work = Work(ports, tokens, served, args.rate, args.seconds)
    cpu_before = [server_cpu_seconds(s.pid) for s in servers]
    peak = list(rss_connected)
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(0.5):
            for i, s in enumerate(servers):
                peak[i] = max(peak[i], server_rss_mib(s.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    load_before = os.getloadavg()[0]
    work.run()
    time.sleep(GRACE_SECONDS)
    cpu = [server_cpu_seconds(s.pid) - b for s, b in zip(servers, cpu_before, strict=True)]
    stop_sampling.set()
    for control in controls:
        control.send("stop")
    results = [control.recv() for control in controls]
    for process in processes:
        process.join(30)
    report(specs, work, results, cpu, rss_connected, peak, load_before, args)


def report(specs, work, results, cpu, rss_connected, peak, load_before, args) -> None:
    receipts = [r for received, _counts, _cpu in results for r in received]
    closed = sum(counts.get("closed by the server", 0) for _, counts, _ in results)
    heard_by: dict[int, set[int]] = defaultdict(set)
    latencies = []
    for index, ticket_id, arrived, _read in receipts:
        heard_by[ticket_id].add(index)
        if ticket_id in work.calls:
            latencies.append((arrived - work.calls[ticket_id][1]) * 1000)
    by_room: dict[str, set[int]] = defaultdict(set)
    for spec in specs:
        by_room[room_of(spec)].add(spec.index)
    expected, missing, unexpected = 0, 0, 0
    for ticket_id, (window, _sent, queue) in work.calls.items():
        event = TicketCalled(
            0, ticket_id, "", queue, "", window, "", False, datetime.now(UTC)
        )  # its rooms only
        rooms = [room.split("/", 1)[1] for room in rooms_for(event)]
        should = set().union(*(by_room[room] for room in rooms))
        expected += len(should)
        missing += len(should - heard_by[ticket_id])
        unexpected += len(heard_by[ticket_id] - should)
    unexpected += sum(1 for _, ticket_id, _, _ in receipts if ticket_id not in work.calls)
    print(f"\n{args.setup}: {len(specs)} screens, {args.seconds:.0f} s at {args.rate:g} tickets/s, {WINDOWS} windows; "
          f"load average before {load_before:.1f}")  # fmt: skip
    print(
        f"tickets issued   {len(work.issued_ms):6d}   p50 {percentile(work.issued_ms, 50):7.1f} ms   p99 {percentile(work.issued_ms, 99):7.1f} ms"
    )
    print(f"calls            {len(work.calls):6d}   receipts {len(latencies)} of {expected} expected")
    if latencies:
        print(
            f"call → screen    p50 {percentile(latencies, 50):7.1f} ms   p99 {percentile(latencies, 99):7.1f} ms   max {max(latencies):7.1f} ms  (call-next sent → at the screen's socket)"
        )
    print(
        f"missing {missing}, unexpected {unexpected}, screens closed by the server {closed}, errors {len(work.errors)}"
    )
    for line in work.errors[:10]:
        print("  error:", line)
    print(f"the clients' CPU {sum(c for _, _, c in results):.1f} s")
    for i, (c, r0, r1) in enumerate(zip(cpu, rss_connected, peak, strict=True)):
        print(f"server {i}: CPU {c:.1f} s over the run ({c / (args.seconds + GRACE_SECONDS) * 100:.0f} % of one core), "
              f"RSS {r0:.0f} MiB connected, peak {r1:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
