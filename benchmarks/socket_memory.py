"""Server memory across cycles of a hall's screens connecting and leaving.

    .venv/bin/python benchmarks/socket_memory.py [--cycles 10] [--sockets 1000] [--reloads 50]
                                                [--retries 20] [--stay 5] [--trace]

A default `hallq serve` (as `./dev demo` runs it: uvicorn, every socket on one event loop) on a
fresh SQLite file with the demo hall. Each cycle, --sockets screens connect to /hall over the
websocket transport as the hall's would: per window its board, its clerk's panel (with the
clerk's token) and its keypad (with the keypad's token), 4 hall boards, 2 managers' dashboards,
the kiosk, and citizens' phones following their queue or their ticket (by its key), anonymous
ones at most 40 to a loopback address (under the default cap of 50). Each subscribes and gets
its screen's state; they stay --stay seconds while the kiosk issues tickets and every window
calls, starts and finishes one; then all disconnect. While they arrive, --reloads pages are
reloaded during their socket's handshake (they ask to join /hall and close at once); once they
are there, --retries boards try to join from an address at its cap and are refused. Once the
server has let them go (SETTLE_SECONDS), prints its RSS (VmRSS of it and its children, /proc);
at the end, the growth from cycle 1 and from cycle 2 to the last (the first cycle also fills
the process's caches: the catalogue, compiled queries, the allocator's arenas).

With --trace the server runs under tracemalloc (this file's own wrapper around the hallq CLI,
as benchmarks/server_probe.py does) and after each cycle also reports the Python heap as
tracemalloc counts it, glibc's heap (in use, and freed but kept), what is left in /hall's
per-connection registries (which must be nothing once every screen has gone), the asyncio
tasks still alive, and at the end the lines whose allocations grew most since cycle 1.

The clients are tests/socket_crowd.py's lean asyncio screens, in this one process.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.call_latency import Api  # noqa: E402
from hallq.live import NAMESPACE  # noqa: E402
from queue_core.models import Role  # noqa: E402
from tests.live.conftest import add_device_token, add_staff, new_hall, start_server  # noqa: E402
from tests.socket_crowd import Crowd, Refused, Screen  # noqa: E402

WINDOWS = 16  # the demo hall's
QUEUES = ["A", "B", "C", "D", "E", "F"]
PER_ADDRESS = 40
ANONYMOUS_CAP = 50  # [connections] anonymous_sockets_per_address: the default
# After the last screen closed, before reading the server's memory: python-engineio keeps each
# closed socket (its queue, its websocket) until its ping task wakes, up to ping_interval (20 s)
# later.
SETTLE_SECONDS = 25
RELOADS_APART = 0.05  # seconds between two reloaded pages


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def tree_rss_mib(pid: int) -> float:
    """VmRSS of the process and all its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024


def screens(url: str, count: int, tokens: dict[str, str], ticket_keys: list[str]) -> list[Screen]:
    wanted: list[tuple[dict[str, Any], str | None]] = []
    for n in range(1, WINDOWS + 1):
        wanted += [
            ({"window": n}, None),
            ({"window": n}, tokens[f"clerk{n}"]),
            ({"keypad": n}, tokens[f"P{n}"]),
        ]
    wanted += [({"board": "hall"}, None)] * 4
    wanted += [({"dashboard": True}, tokens["manager"])] * 2
    wanted += [({"kiosk": "K1"}, tokens["K1"])]
    for i in range(count - len(wanted)):
        key = ticket_keys[i % len(ticket_keys)] if ticket_keys and i % 2 else None
        wanted.append(({"ticket": key}, None) if key else ({"queue": QUEUES[i % len(QUEUES)]}, None))
    made, anonymous = [], 0
    for subscription, token in wanted[:count]:
        slot = anonymous // PER_ADDRESS if token is None else 0
        anonymous += token is None
        made.append(Screen(url, subscription, address=f"127.2.{slot // 250}.{slot % 250 + 1}", token=token))
    return made


class Hall:
    """The hall's work while the screens are there: tickets issued, every window calls one."""

    def __init__(self, port: int, tokens: dict[str, str]) -> None:
        self.kiosk = Api(port, tokens["K1"])
        self.clerks = {n: Api(port, tokens[f"clerk{n}"]) for n in range(1, WINDOWS + 1)}
        for n, clerk in self.clerks.items():
            status, body = clerk.post(f"/windows/{n}/sign-in")
            assert status == 200, (n, status, body)

    def issue(self, count: int) -> list[str]:
        keys = []
        for i in range(count):
            status, body = self.kiosk.post("/tickets", {"queue": QUEUES[i % len(QUEUES)]})
            assert status == 201 and body, (status, body)
            keys.append(body["key"])
        return keys

    def call_every_window(self) -> int:
        called = 0
        for n, clerk in self.clerks.items():
            status, body = clerk.post(f"/windows/{n}/call-next")
            if status == 200 and body and body["ticket"] is not None:
                called += 1
                for step in ("start", "finish"):
                    assert clerk.post(f"/windows/{n}/{step}")[0] == 200
        return called


@dataclass
class Cycle:
    subscribed: int  # screens that joined and got their state
    heard: int  # messages they heard while there
    connected_in: float  # seconds for all of them to connect and subscribe
    rss_connected: float  # the server's RSS while they were there, MiB
    turned_away: int  # boards refused over their address's cap


def cycle(
    url: str,
    sockets: int,
    reloads: int,
    retries: int,
    stay: float,
    hall: Hall,
    tokens: dict[str, str],
    server_pid: int,
) -> Cycle:
    keys = hall.issue(2 * WINDOWS)
    crowd = Crowd()
    opened = screens(url, sockets, tokens, keys)
    began = time.monotonic()
    # Pages reloaded while the crowd arrives, as after a restart or a network cut, when the
    # server's worker threads are busiest checking tokens and reading states.
    reloading = asyncio.run_coroutine_threadsafe(reloaded(url, reloads, tokens), crowd.loop)
    acks = crowd.open(opened)
    connected_in = time.monotonic() - began
    reloading.result(60)
    refused = [a for a in acks if not (isinstance(a, dict) and a["ok"])]
    if refused:
        print(f"  {len(refused)} screens not subscribed, e.g. {refused[0]!r}")
    # Boards from an address at its cap (the default 50), trying again as they do until a
    # screen of that address goes: each is refused.
    over_cap = [
        Screen(url, {"board": "hall"}, address=opened[0].address)
        for _ in range(ANONYMOUS_CAP - PER_ADDRESS + retries)
    ]
    turned_away = sum(isinstance(a, Refused) for a in crowd.open(over_cap))
    opened += over_cap
    deadline = time.monotonic() + stay
    hall.call_every_window()
    time.sleep(max(0.0, deadline - time.monotonic()))
    rss_connected = tree_rss_mib(server_pid)
    heard = sum(len(s.heard) for s in opened)
    crowd.close(opened)
    return Cycle(len(acks) - len(refused), heard, connected_in, rss_connected, turned_away)


async def reloaded(url: str, count: int, tokens: dict[str, str]) -> None:
    """Pages reloaded during their socket's handshake: each opens a websocket, asks to join
    /hall (a clerk's panel with its token, a board in a browser with a session cookie) and
    closes at once, often before the server has checked the token or the login."""
    uri = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def one(i: int) -> None:
        await asyncio.sleep(i * RELOADS_APART)  # spread over the crowd's arrival
        token = tokens[f"clerk{i % WINDOWS + 1}"] if i % 2 else None
        headers = None if token else {"Cookie": "session=expired"}
        address = f"127.3.{i // 250}.{i % 250 + 1}"
        async with connect(uri, additional_headers=headers, compression=None, local_addr=(address, 0)) as ws:
            await ws.recv()
            await ws.send(f"40{NAMESPACE}," + (json.dumps({"token": token}) if token else ""))

    await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)


# -- the traced server ------------------------------------------------------------------------


def traced_serve(report: Path) -> None:
    """The hallq CLI under tracemalloc; on SIGUSR1 appends the heap's size, /hall's registries
    and the top growth since the first report to `report` (one JSON line)."""
    import gc
    import linecache
    import tracemalloc

    from hallq.live import LiveServer

    tracemalloc.start(8)
    first: list[tracemalloc.Snapshot] = []
    # The server's own, caught as it is made: gc.freeze() (hallq.server) hides it from gc.get_objects().
    live: list[LiveServer] = []
    made = LiveServer.__init__

    def caught(self: LiveServer, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        live.append(self)

    LiveServer.__init__ = caught  # type: ignore[method-assign]  # to find the servers the run makes

    def dump(*_: Any) -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, module.__file__ or "") for module in (tracemalloc, linecache)]
        )
        first[:] = first or [snapshot]
        registries: dict[str, Any] = {}
        for server in live:
            manager, eio = server.sio.manager, server.sio.eio
            registries |= {
                name: len(value)
                for name, value in vars(server).items()
                if name.startswith("_") and isinstance(value, dict | set)
            }
            rooms = manager.rooms.get("/hall", {})
            registries |= {
                "manager.rooms": len(rooms),
                "manager.rooms members": sum(len(members) for members in rooms.values()),
                "manager.eio_to_sid": len(manager.eio_to_sid),
                "manager.callbacks": len(manager.callbacks),
                "sio.environ": len(server.sio.environ),
                "eio.sockets": len(eio.sockets),
                "asyncio tasks": _tasks(server.loop),
            }
        growth = [
            f"{stat.size_diff / 1024:+.0f} KiB {stat.count_diff:+d} {stat.traceback.format()[-1].strip()}"
            for stat in snapshot.compare_to(first[0], "traceback")[:12]
        ]
        line = {
            "traced_mib": tracemalloc.get_traced_memory()[0] / 2**20,
            "malloc": _malloc_mib(),
            "registries": registries,
            "growth": growth,
        }
        with report.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        sys._debugmallocstats()  # pymalloc's arenas and pools, into the server's log

    signal.signal(signal.SIGUSR1, lambda *_: threading.Thread(target=dump).start())
    from hallq.cli import main

    main()


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _malloc_mib() -> dict[str, float]:
    """glibc's view of the heap, over all its arenas: what is allocated, and what it keeps free
    (freed by the program, not given back to the system, still counted in RSS where touched)."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _Mallinfo2
    info = libc.mallinfo2()
    return {
        "in use": (info.uordblks + info.hblkhd) / 2**20,
        "kept free": info.fordblks / 2**20,
    }


def _tasks(loop: Any) -> dict[str, int]:
    """The tasks alive on the loop, by their coroutine's name."""
    import asyncio
    from collections import Counter

    if loop is None:
        return {}
    return dict(Counter(task.get_coro().__qualname__ for task in asyncio.all_tasks(loop)).most_common(5))  # type: ignore[union-attr]  # a coroutine object has its function's __qualname__


def traced_report(server: subprocess.Popen, report: Path, reports: int) -> dict[str, Any]:
    server.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lines = report.read_text().splitlines() if report.exists() else []
        if len(lines) >= reports:
            return json.loads(lines[reports - 1])
        time.sleep(0.5)
    raise SystemExit("the traced server did not report")


def serve(hall: Any, log: Path, report: Path | None) -> subprocess.Popen:
    """The default `hallq serve`, once it answers /healthz; with report, under tracemalloc."""
    if report is None:
        return start_server(hall.env, hall.port, log, ["serve"])
    command = [sys.executable, str(Path(__file__).resolve()), "--traced-server", str(report), "serve"]
    server = subprocess.Popen(
        [*command, "--port", str(hall.port)], env=hall.env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{hall.url}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the traced server did not come up:\n{log.read_text()}")


# -- the run ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument(
        "--reloads", type=int, default=50, help="pages reloaded during the handshake, per cycle"
    )
    parser.add_argument(
        "--retries", type=int, default=20, help="boards refused over their address's cap, per cycle"
    )
    parser.add_argument("--stay", type=float, default=5, help="seconds the screens stay connected")
    parser.add_argument(
        "--trace", action="store_true", help="tracemalloc and /hall's registries in the server"
    )
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="hallq-socket-memory-"))
    hall = new_hall(root)
    database = hall.env["DATABASE_URL"]
    tokens = add_staff(
        database, [("manager", Role.MANAGER)] + [(f"clerk{n}", Role.CLERK) for n in range(1, 17)]
    )
    tokens["K1"] = add_device_token(database, "kiosk", "K1")
    tokens |= {f"P{n}": add_device_token(database, "keypad", f"P{n}") for n in range(1, WINDOWS + 1)}
    report = root / "trace.jsonl"
    server = serve(hall, root / "server.log", report if args.trace else None)
    print(
        f"load average {os.getloadavg()[0]:.2f}; server pid {server.pid}, RSS {tree_rss_mib(server.pid):.0f} MiB idle"
    )
    work = Hall(hall.port, tokens)
    rss: list[float] = []
    try:
        for i in range(1, args.cycles + 1):
            done = cycle(
                hall.url, args.sockets, args.reloads, args.retries, args.stay, work, tokens, server.pid
            )
            time.sleep(SETTLE_SECONDS)
            rss.append(tree_rss_mib(server.pid))
            line = (
                f"cycle {i:2d}: {done.subscribed} screens subscribed in {done.connected_in:.1f} s, heard "
                f"{done.heard} messages, {done.turned_away} refused over the cap; server RSS with them {done.rss_connected:.1f} MiB, after they left {rss[-1]:.1f} MiB, "
                f"{threads(server.pid)} threads"
            )
            if args.trace:
                traced = traced_report(server, report, i)
                malloc = traced["malloc"]
                line += (
                    f"; traced heap {traced['traced_mib']:.1f} MiB; malloc in use {malloc['in use']:.1f} MiB, "
                    f"kept free {malloc['kept free']:.1f} MiB; left in registries "
                    f"{ {k: v for k, v in traced['registries'].items() if v and k != 'asyncio tasks'} }; "
                    f"tasks {traced['registries'].get('asyncio tasks')}"
                )
            print(line, flush=True)
        print(
            f"growth cycle 1 → {args.cycles}: {rss[-1] - rss[0]:+.1f} MiB; cycle 2 → {args.cycles}: {rss[-1] - rss[min(1, len(rss) - 1)]:+.1f} MiB"
        )
        if args.trace:
            print("largest growth since cycle 1 (tracemalloc, by where allocated):")
            for entry in traced["growth"]:
                print("  ", entry)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"(server log and trace in {root})")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--traced-server":
        report_path = Path(sys.argv[2])
        del sys.argv[1:3]
        traced_serve(report_path)
    else:
        main()
