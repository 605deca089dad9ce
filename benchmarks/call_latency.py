"""Call-to-screen latency: how long after a clerk presses 叫号 every screen that shows the call
has it, with a large hall's Socket.IO clients connected to a real `hallq serve`.

    .venv/bin/python benchmarks/call_latency.py [--quick] [--rate 10]

The server is a default `hallq serve` (uvicorn: every socket on one event loop) on a SQLite file,
serving the demo hall grown to 50 windows (window n serves the queues of demo window
(n - 1) % 16 + 1), each with its board and keypad, and no daily quotas. 500 clients connect to
/hall over the websocket transport: per window its board, its clerk's panel (the window and its
queues) and its keypad; 20 hall boards, a board per queue, 2 managers' dashboards, and citizens'
phones following their tickets. 50 clerks then make 20 calls each, 1,000 in all, at a fixed pace
(open loop, --rate calls/s over the hall, spread evenly over the windows): call-next, start at
once, finish halfway to the window's next call. `--quick` is 10 windows, 100 clients, 200 calls.

Each receipt of `ticket_called` is timed from just before the clerk's call-next request is sent
to the moment the message reached the client's socket (the kernel's receive timestamp,
SO_TIMESTAMPNS) and to the moment the client read it. Every client that the server's routing
(hall_display.events.rooms_for) sends the call to must receive it once; a missing receipt is a
failure. The clients are a minimal Engine.IO 4 / Socket.IO 5 client on plain sockets (wsproto,
which the server's websocket support brings), one select loop per process in 4 processes:
python-socketio's own client starts a thread for every message it receives, which on these
2 cores would be mostly measuring itself. Server and clients still share the 2 cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request, TextMessage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.api_throughput import percentile, server_cpu_seconds  # noqa: E402
from hallq.live import NAMESPACE, rooms_for  # noqa: E402
from queue_core.events import TicketCalled  # noqa: E402
from queue_core.models import Role  # noqa: E402
from tests.live.conftest import LiveHall, add_device_token, add_staff, new_hall  # noqa: E402

SO_TIMESTAMPNS = 35  # Linux; Python's socket module does not name it
EVENT = f"42{NAMESPACE},"  # a Socket.IO event packet on /hall: 42/hall,["name",{...}]
CALLED = f'{EVENT}["ticket_called",'
GRACE_SECONDS = 5  # after the last call, before a receipt that has not come counts as missing
CALLS_PER_WINDOW = 20


# -- the hall ---------------------------------------------------------------------------------


def bench_config(
    target: Path, windows: int, anonymous_per_address: int | None = 100_000
) -> dict[int, list[str]]:
    """The demo hall with `windows` windows, a window board and a keypad each, no daily quotas
    and no floor plan (it draws the demo's 16 windows). Window n serves the queues of demo
    window (n - 1) % 16 + 1. Its anonymous screens all come from 127.0.0.1, so their cap per
    address is raised (None: the default cap). Returns each window's queue codes."""
    shutil.copytree(ROOT / "config", target)
    path = target / "hall.toml"
    text = path.read_text(encoding="utf-8")
    demo = tomllib.loads(text)["windows"]
    blocks = re.split(r"(?m)^(?=\[)", text)
    kept = "".join(b for b in blocks if not b.startswith(("[[windows]]", "[[boards]]", "[[keypads]]")))
    parts = [re.sub(r"(?m)^(daily_quota|map) = .*\n", "", kept).rstrip() + "\n\n"]
    served = {}
    for n in range(1, windows + 1):
        model = demo[(n - 1) % len(demo)]
        queues = [q if isinstance(q, str) else q["code"] for q in model["queues"]]
        listed = ", ".join(
            f'"{q}"' if isinstance(q, str) else f'{{ code = "{q["code"]}", weight = {q["weight"]} }}'
            for q in model["queues"]
        )
        name = re.sub(r"^\d+", str(n), model["name"])
        parts.append(f'[[windows]]\nnumber = {n}\nname = "{name}"\nqueues = [{listed}]\n\n')
        served[n] = queues
    if anonymous_per_address is not None:
        parts.append(f"[connections]\nanonymous_sockets_per_address = {anonymous_per_address}\n\n")
    parts.append('[[boards]]\nid = "HALL"\nkind = "hall"\n\n')
    parts += [f'[[boards]]\nid = "W{n}"\nkind = "window"\nwindow = {n}\n\n' for n in served]
    parts += [f'[[keypads]]\nid = "P{n}"\nwindow = {n}\n\n' for n in served]
    path.write_text("".join(parts), encoding="utf-8")
    return served


def serve(hall: LiveHall, log: Path, probe: Path | None) -> subprocess.Popen:
    """`hallq serve` with a thread for every client, once it answers /healthz (with patience:
    the people sharing this machine may keep it busy). With probe: through server_probe.py,
    which writes its timings there."""
    hallq = [str(ROOT / "benchmarks" / "server_probe.py"), str(probe)] if probe else ["-m", "hallq"]
    command = [sys.executable, *hallq, "serve", "--port", str(hall.port)]
    server = subprocess.Popen(command, env=hall.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", hall.port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    server.wait()
    raise SystemExit(f"hallq serve did not come up:\n{log.read_text()}")


class Api:
    """One keep-alive HTTP connection to the server's JSON API, acting with one token. gunicorn
    closes a connection idle for 2 s; after 1 s this one starts afresh, as a browser would."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.used = time.monotonic()

    def post(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any] | None]:
        if time.monotonic() - self.used > 1:
            self.conn.close()
        self.used = time.monotonic()
        self.conn.request("POST", f"/api/v1{path}", body=json.dumps(body or {}), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None


# -- the clients ------------------------------------------------------------------------------


@dataclass
class ClientSpec:
    index: int
    kind: str  # window board, clerk panel, keypad, hall board, queue board, dashboard, phone
    subscriptions: list[dict[str, Any]]
    token: str | None = None
    address: str = "127.0.0.1"  # the loopback address it connects from
    server: int = 0  # which of the servers' ports it connects to


class HallClient:
    """One /hall client: Engine.IO 4 and Socket.IO 5 over a websocket (wsproto on a plain
    socket). It has no thread of its own, so that hundreds share one process's select loop."""

    def __init__(self, spec: ClientSpec, port: int) -> None:
        self.spec = spec
        self.rooms: list[str] = []
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=30, source_address=(spec.address, 0)
        )
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.inbox: list[str] = []
        self.partial = ""
        self.closed = False
        self._send_ws(Request(host=f"127.0.0.1:{port}", target="/socket.io/?EIO=4&transport=websocket"))
        self._reply("0")  # Engine.IO's open packet
        auth = json.dumps({"token": spec.token}) if spec.token else ""
        self.send(f"40{NAMESPACE},{auth}")
        self._reply(f"40{NAMESPACE},")
        for ack_id, subscription in enumerate(spec.subscriptions, start=1):
            self.send(f"{EVENT}{ack_id}{json.dumps(['subscribe', subscription])}")
            ack = json.loads(self._reply(f"43{NAMESPACE},{ack_id}")[len(f"43{NAMESPACE},{ack_id}") :])[0]
            if not ack["ok"]:
                raise RuntimeError(f"{spec.kind} {spec.index}: subscribe {subscription} refused: {ack}")
            self.rooms.append(ack["room"])
        self.sock.settimeout(None)

    def send(self, text: str) -> None:
        self._send_ws(TextMessage(data=text))

    def _send_ws(self, event: Any) -> None:
        self.sock.sendall(self.ws.send(event))

    def _reply(self, prefix: str) -> str:
        """Reads until a message that starts with prefix (while setting up: nothing else comes)."""
        while True:
            while self.inbox:
                message = self.inbox.pop(0)
                if message.startswith(prefix):
                    return message
            if self.closed:
                raise RuntimeError(f"{self.spec.kind} {self.spec.index}: closed while waiting for {prefix!r}")
            self.read()

    def read(self) -> tuple[float, float]:
        """Reads what the socket has into the inbox, answering pings. Returns when the data
        reached the socket (the kernel's timestamp) and when it was read (time.time())."""
        data, ancillary, _flags, _addr = self.sock.recvmsg(65536, 256)
        read_at = time.time()
        arrived = read_at
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", value[:16])
                arrived = seconds + nanoseconds / 1e9
        if not data:
            self.closed = True
            return arrived, read_at
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, TextMessage):
                self.partial += event.data
                if event.message_finished:
                    self._engineio(self.partial)
                    self.partial = ""
            elif isinstance(event, Ping):
                self._send_ws(event.response())
            elif isinstance(event, CloseConnection):
                self.closed = True
            elif not isinstance(event, AcceptConnection):
                raise RuntimeError(f"{self.spec.kind} {self.spec.index}: unexpected {event!r}")
        return arrived, read_at

    def _engineio(self, packet: str) -> None:
        if packet == "2":  # the server's ping
            self.send("3")
        else:  # Engine.IO's open packet, or a message: "4" and a Socket.IO packet
            self.inbox.append(packet)


def run_clients(specs: list[ClientSpec], ports: list[int], control: Any) -> None:
    """A client process: connects and subscribes its clients, reports their rooms, then records
    every ticket_called until told to stop, and sends back what it received."""
    clients = [HallClient(spec, ports[spec.server]) for spec in specs]
    control.send({c.spec.index: c.rooms for c in clients})
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    for client in clients:
        selector.register(client.sock, selectors.EVENT_READ, client)
    receipts: list[tuple[int, int, float, float]] = []  # client, ticket id, arrived, read
    counts: Counter[str] = Counter()
    cpu = time.process_time()
    stop = False
    while not stop:
        for key, _ in selector.select():
            if key.data is None:
                control.recv()
                stop = True
                continue
            client = key.data
            arrived, read_at = client.read()
            if client.closed:
                selector.unregister(client.sock)
                counts["closed by the server"] += 1
            for message in client.inbox:
                if message.startswith(CALLED):
                    called = json.loads(message[len(EVENT) :])[1]
                    receipts.append((client.spec.index, called["ticket_id"], arrived, read_at))
                if message.startswith(EVENT):
                    counts[message[len(EVENT) + 2 : message.index('"', len(EVENT) + 2)]] += 1
            client.inbox.clear()
    control.send((receipts, counts, time.process_time() - cpu))


def start_client_processes(
    specs: list[ClientSpec], ports: list[int], processes: int, started: list[Any]
) -> tuple[list[Any], dict[int, list[str]]]:
    """Forks `processes` client processes sharing out the specs (call it before this process
    starts any thread), adds them to `started` for the caller to end, and waits until every
    client has connected and subscribed. Returns their control pipes and the clients' rooms."""
    context = multiprocessing.get_context("fork")
    controls = []
    for p in range(processes):
        mine, theirs = context.Pipe()
        process = context.Process(target=run_clients, args=(specs[p::processes], ports, theirs), daemon=True)
        process.start()
        started.append(process)
        controls.append(mine)
    rooms: dict[int, list[str]] = {}
    for control, process in zip(controls, started[-processes:], strict=True):
        while not control.poll(1):
            if not process.is_alive():
                raise SystemExit("a client process failed to connect its clients (see above)")
        rooms |= control.recv()
    return controls, rooms


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Call:
    window: int
    ticket_id: int
    queue: str
    sent: float  # time.time() just before the call-next request
    answered: float


@dataclass
class Clerks:
    """The windows' clerks calling at a fixed pace; what they did and what went wrong."""

    port: int
    tokens: dict[int, str]
    calls_per_window: int
    rate: float
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> float:
        """All windows' calls; returns the seconds it took."""
        windows = sorted(self.tokens)
        began = time.monotonic() + 0.5
        threads = [
            threading.Thread(target=self._window, args=(n, began + i / self.rate))
            for i, n in enumerate(windows)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - began

    def _window(self, n: int, first: float) -> None:
        api = Api(self.port, self.tokens[n])
        period = len(self.tokens) / self.rate
        for k in range(self.calls_per_window):
            slot = first + k * period
            time.sleep(max(0.0, slot - time.monotonic()))
            sent = time.time()
            status, body = api.post(f"/windows/{n}/call-next")
            answered = time.time()
            if status != 200 or body is None or body["ticket"] is None:
                self._error(f"window {n} call-next: {status} {body}")
                continue
            ticket = body["ticket"]
            with self.lock:
                self.calls.append(Call(n, ticket["id"], ticket["queue"], sent, answered))
            if (status := api.post(f"/windows/{n}/start")[0]) != 200:
                self._error(f"window {n} start: {status}")
            time.sleep(max(0.0, slot + period / 2 - time.monotonic()))
            if (status := api.post(f"/windows/{n}/finish")[0]) != 200:
                self._error(f"window {n} finish: {status}")

    def _error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def client_mix(
    served: dict[int, list[str]],
    total: int,
    hall_boards: int,
    tokens: dict[str, str],
    phone_tickets: list[str],
) -> list[ClientSpec]:
    specs: list[ClientSpec] = []

    def add(kind: str, subscriptions: list[dict[str, Any]], token: str | None = None) -> None:
        specs.append(ClientSpec(len(specs), kind, subscriptions, token))

    for n, queues in served.items():
        add("window board", [{"window": n}])
        add("clerk panel", [{"window": n}] + [{"queue_load": q} for q in queues])
        add("keypad", [{"keypad": n}], tokens[f"P{n}"])
    for _ in range(hall_boards):
        add("hall board", [{"board": "hall"}])
    for queue in sorted({q for queues in served.values() for q in queues}):
        add("queue board", [{"queue": queue}])
    for _ in range(2):
        add("dashboard", [{"dashboard": True}], tokens["manager"])
    for key in phone_tickets[: total - len(specs)]:
        add("phone", [{"ticket": key}])
    if len(specs) != total:
        raise SystemExit(f"{total} clients are too few for this mix, or tickets too few for the phones")
    return specs


def proc_status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise KeyError(key)


def host_cpu() -> tuple[int, int]:
    """Busy and total jiffies of all CPUs so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def io_stall() -> float:
    """Seconds so far in which some task waited for the disk (Linux pressure stall information)."""
    some = Path("/proc/pressure/io").read_text().split("\n", 1)[0]
    return int(some.rsplit("total=", 1)[1]) / 1e6


@dataclass
class Run:
    """What one run did and measured."""

    windows: int
    specs: list[ClientSpec]
    rooms: dict[int, list[str]]
    clerks: Clerks
    results: list[tuple[list[tuple[int, int, float, float]], Counter[str], float]]
    connect_seconds: float
    seconds: float
    server_cpu: float
    own_cpu: float
    host_busy: float
    io_stalled: float
    threads_connected: int
    rss_connected_mib: float
    rss_peak_mib: float
    probe: list[dict[str, Any]]


def run(windows: int, clients: int, hall_boards: int, rate: float, processes: int, probe: bool) -> Run:
    root = Path(tempfile.mkdtemp(prefix="hallq-calls-"))
    served = bench_config(root / "config", windows)
    hall = new_hall(root)
    hall.hallq("check-config")
    database = hall.env["DATABASE_URL"]
    tokens = add_staff(database, [(f"clerk{n}", Role.CLERK) for n in served] + [("manager", Role.MANAGER)])
    tokens |= {f"P{n}": add_device_token(database, "keypad", f"P{n}") for n in served}
    tokens["K1"] = add_device_token(database, "kiosk", "K1")
    probe_log = root / "probe.jsonl"
    server = serve(hall, root / "server.log", probe_log if probe else None)
    worker = server.pid
    started: list[multiprocessing.Process] = []
    try:
        for n in served:
            if (status := Api(hall.port, tokens[f"clerk{n}"]).post(f"/windows/{n}/sign-in")[0]) != 200:
                raise SystemExit(f"clerk{n} could not sign in at window {n}: {status}")
        # Enough waiting tickets that no window runs dry: CALLS_PER_WINDOW for every window that
        # serves a queue, issued round the queues in turn as a morning's arrivals would be.
        left = Counter(q for queues in served.values() for q in queues for _ in range(CALLS_PER_WINDOW))
        kiosk = Api(hall.port, tokens["K1"])
        issued: list[str] = []
        while +left:
            for queue in sorted(+left):
                status, ticket = kiosk.post("/tickets", {"queue": queue})
                if status != 201 or ticket is None:
                    raise SystemExit(f"ticket in {queue} refused: {status} {ticket}")
                issued.append(ticket["key"])  # a phone joins its ticket's room with the key
                left[queue] -= 1
        specs = client_mix(served, clients, hall_boards, tokens, issued)

        connect_began = time.monotonic()
        controls, rooms = start_client_processes(specs, [hall.port], processes, started)
        connect_seconds = time.monotonic() - connect_began
        threads_connected = proc_status(worker, "Threads")
        rss_connected = proc_status(worker, "VmRSS") / 1024
        time.sleep(2)  # let the server settle (the kiosk's printing of the tickets above)

        clerks = Clerks(hall.port, {n: tokens[f"clerk{n}"] for n in served}, CALLS_PER_WINDOW, rate)
        server_cpu, own_cpu, host, io = (
            server_cpu_seconds(worker),
            time.process_time(),
            host_cpu(),
            io_stall(),
        )
        seconds = clerks.run()
        server_cpu = server_cpu_seconds(worker) - server_cpu
        own_cpu = time.process_time() - own_cpu
        after = host_cpu()
        host_busy = (after[0] - host[0]) / max(1, after[1] - host[1])
        io_stalled = (io_stall() - io) / seconds
        time.sleep(GRACE_SECONDS)
        for control in controls:
            control.send("stop")
        results = [control.recv() for control in controls]
        rss_peak = proc_status(worker, "VmHWM") / 1024
    finally:
        for process in started:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        server.terminate()
        server.wait(timeout=15)
        lines = probe_log.read_text().splitlines() if probe else []
        shutil.rmtree(root, ignore_errors=True)
    return Run(
        windows, specs, rooms, clerks, results, connect_seconds, seconds, server_cpu, own_cpu, host_busy,
        io_stalled, threads_connected, rss_connected, rss_peak, [json.loads(line) for line in lines],
    )  # fmt: skip


def row(name: str, values: list[float], width: int = 34) -> str:
    if not values:
        return f"{name:<{width}}{0:>8}"
    return (
        f"{name:<{width}}{len(values):>8}{percentile(values, 50):>9.1f}{percentile(values, 95):>9.1f}"
        f"{percentile(values, 99):>9.1f}{max(values):>9.1f}"
    )


def report(done: Run, rate: float, processes: int) -> bool:
    """Prints the figures; returns whether every call was made and every receipt came."""
    # What the server's routing sends each call to, against what each client received.
    members: dict[str, list[int]] = defaultdict(list)
    for index, joined in done.rooms.items():
        for room in set(joined):
            members[room].append(index)
    received: dict[tuple[int, int], tuple[float, float]] = {}
    duplicates, counts, client_cpu = 0, Counter[str](), 0.0
    for receipts, process_counts, cpu in done.results:
        counts += process_counts
        client_cpu += cpu
        for index, ticket_id, arrived, read_at in receipts:
            duplicates += (index, ticket_id) in received
            received[(index, ticket_id)] = (arrived, read_at)
    latencies: dict[str, list[tuple[float, float]]] = defaultdict(list)
    expected, missing = 0, Counter[str]()
    at = datetime.now(UTC)
    for call in done.clerks.calls:
        event = TicketCalled(0, call.ticket_id, "", call.queue, "", call.window, "", False, at)
        # Rooms are the hall's ("<hall id>/window:3"); a subscription's answer names them without it.
        for index in {i for room in rooms_for(event) for i in members.get(room.partition("/")[2], [])}:
            expected += 1
            kind = done.specs[index].kind
            if (index, call.ticket_id) not in received:
                missing[kind] += 1
                continue
            arrived, read_at = received.pop((index, call.ticket_id))
            latencies[kind].append(((arrived - call.sent) * 1000, (read_at - call.sent) * 1000))

    cpus = os.cpu_count() or 1
    kinds = Counter(spec.kind for spec in done.specs)
    windows, calls = done.windows, done.clerks.calls
    period = windows / rate
    print(
        f"hallq serve (uvicorn, default settings) on SQLite; {cpus} CPUs shared by the "
        f"server, the clients and whatever else runs on this machine"
    )
    print(
        f"clients: {len(done.specs)} on /hall over websocket in {processes} processes, connected in "
        f"{done.connect_seconds:.1f} s: " + ", ".join(f"{count} {kind}s" for kind, count in kinds.items())
    )
    print(
        f"calls: {len(calls)} of {windows * CALLS_PER_WINDOW} from {windows} windows in {done.seconds:.1f} s, "
        f"paced at {rate:g} calls/s over the hall (each window calls every {period:g} s, starts at once "
        f"and finishes {period / 2:g} s later); errors: {len(done.clerks.errors)}"
    )
    for error in done.clerks.errors[:5]:
        print(f"  {error}")
    print(
        f"ticket_called receipts: {expected} expected, {expected - missing.total()} received, "
        f"{missing.total()} missing{f' {dict(missing)}' if missing else ''}, {duplicates} duplicate, "
        f"{len(received)} unexpected"
    )
    if unsent := [f"{k}s" for k in kinds if k not in latencies and not missing[k]]:
        print(f"  ({', '.join(unsent)}: the server's routing sends them no ticket_called)")
    print("messages the clients received: " + ", ".join(f"{name} {n}" for name, n in counts.most_common()))
    print()
    print(f"{'from call-next sent to …':<34}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    print(row("the clerk's HTTP answer", [(c.answered - c.sent) * 1000 for c in calls]))
    for kind in kinds:
        if kind in latencies:
            print(row(f"ticket_called read at {kind}s", [r for _, r in latencies[kind]]))
    everything = [pair for pairs in latencies.values() for pair in pairs]
    reads = [r for _, r in everything]
    print(row("ticket_called read, all clients", reads))
    print(row("… at their sockets (kernel time)", [a for a, _ in everything]))
    print()
    rss_mb = done.rss_peak_mib * 1.048576
    others = max(0.0, done.host_busy * cpus * done.seconds - done.server_cpu - client_cpu - done.own_cpu)
    print(
        f"server worker: peak RSS (VmHWM) {done.rss_peak_mib:.0f} MiB = {rss_mb:.0f} MB; with the clients "
        f"connected {done.rss_connected_mib:.0f} MiB and {done.threads_connected} threads; CPU during the "
        f"calls {done.server_cpu:.1f} s ({done.server_cpu / done.seconds * 100:.0f} % of one core)"
    )
    print(
        f"during the calls: clients' CPU {client_cpu:.1f} s, the clerks' {done.own_cpu:.1f} s, other work on "
        f"the machine about {others:.0f} s ({others / done.seconds / cpus * 100:.0f} % of the {cpus} CPUs); "
        f"some task waited for the disk {done.io_stalled * 100:.0f} % of the time"
    )
    if done.probe:
        print_probe(done.probe)
    complete = len(calls) == windows * CALLS_PER_WINDOW and not missing and not counts["closed by the server"]
    if reads:
        print(
            f"goal: p99 {percentile(reads, 99):.1f} ms < 100 ms {'PASS' if percentile(reads, 99) < 100 else 'FAIL'}"
            f", max {max(reads):.1f} ms < 250 ms {'PASS' if max(reads) < 250 else 'FAIL'}, memory "
            f"{rss_mb:.0f} MB < 250 MB {'PASS' if rss_mb < 250 else 'FAIL'}, every call and receipt "
            f"{'PASS' if complete else 'FAIL'}"
        )
    return complete


def print_probe(lines: list[dict[str, Any]]) -> None:
    """Where the clerks', kiosks' and keypads' requests spent their time in the server
    (benchmarks/server_probe.py)."""
    print()
    print("in the server, per request (--probe): ms p50/p99/max")
    fields = ("wall_ms", "cpu_ms", "lock_wait_ms", "lock_held_ms", "commit_ms", "publish_ms")
    print(
        f"{'request':<10}{'count':>6}"
        + "".join(f"{f.removesuffix('_ms').replace('_', ' '):>19}" for f in fields)
    )
    requests = [line for line in lines if "path" in line]
    for action in ("call-next", "start", "finish", "tickets", "evaluation"):
        mine = [line for line in requests if line["path"].endswith(f"/{action}")]
        if not mine:
            continue
        cells = "".join(
            f"{f'{percentile(v, 50):.1f}/{percentile(v, 99):.1f}/{max(v):.0f}':>19}"
            for v in ([line[f] for line in mine] for f in fields)
        )
        print(f"{action:<10}{len(mine):>6}{cells}")
    for generation in range(3):
        pauses = sorted(line["ms"] for line in lines if line.get("gc") == generation)
        if pauses:
            print(
                f"garbage collections of generation {generation}: {len(pauses)}, "
                f"ms p50/p99/max {percentile(pauses, 50):.1f}/{percentile(pauses, 99):.1f}/{pauses[-1]:.0f}, "
                f"{sum(pauses) / 1000:.1f} s in all"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 windows, 100 clients, 200 calls")
    parser.add_argument("--rate", type=float, default=10, help="calls per second over the whole hall")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument(
        "--probe", action="store_true", help="time the requests' parts in the server (server_probe.py)"
    )
    args = parser.parse_args()
    windows, clients, hall_boards = (10, 100, 4) if args.quick else (50, 500, 20)
    done = run(windows, clients, hall_boards, args.rate, args.client_processes, args.probe)
    if not report(done, args.rate, args.client_processes):
        sys.exit(1)


if __name__ == "__main__":
    main()
