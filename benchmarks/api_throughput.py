"""Ticket issuing and call-next through the HTTP API of a real `hallq serve` (uvicorn,
Flask in its request threads) on a SQLite file (or with --postgres a PostgreSQL database), at
1, 10 and 50 concurrent clients.

    .venv/bin/python benchmarks/api_throughput.py [--seconds 8] [--concurrency 1 10 50] [--paced-rate 200]

Each run starts a fresh hall (the demo config with 60 windows each serving the 8 queues A–H,
no daily quotas) and one `hallq serve` process on a temporary SQLite file. Each client is a
thread with its own keep-alive HTTP connection. Issuing: clients POST /api/v1/tickets as
kiosks. Calling: each client is the clerk of its own window and repeats call-next → start →
finish; the call-next requests are what is timed and counted. Prints requests/s, latency
p50/p99 (ms) and the server's CPU time per request: user + system time of the server process
(/proc/<pid>/stat) over the row and until the server is idle again (the printing of the row's
tickets by the kiosk's station counts for the row, not the next), not wall time; for
call-next, per whole cycle. The clients
run on the same 2 cores as the server, so the figures include their cost too. The saturating
runs send as fast as answers come back; the paced run offers a fixed rate (open loop).
--seconds is each row's length, --concurrency the client counts of the saturating rows,
--paced-rate the tickets/s that 10 clients offer in the paced row.

--flatness: does server CPU per ticket and per call cycle stay flat through a long day and
with a deep queue? (The issue asks for within ±10%.)

    .venv/bin/python benchmarks/api_throughput.py --flatness [--tickets 20000]

On one server: a warm-up of 100 tickets, issued and served, not measured. Then the day in
slices of 1,000 of --tickets: 10 kiosk clients issue the slice round the 8 queues (125 a
queue), then the clerks of windows 1–10 call, start and finish until nobody waits; so no queue
is ever longer than 125 and the served tickets pile up through the day. Per slice: server CPU
ms per ticket issued ("issue cpu ms") and per call cycle ("cycle cpu ms"), and last / first
slice. Then queue A with one kiosk and one clerk (window 1): 50 times, issue 10 tickets into A
and serve 10 with A otherwise empty (0–10 waiting); then 500 tickets are put in A and left
waiting, and the same is measured on top of them (500–510 waiting); the ratio 500 / ~0. The
default day takes several minutes (each cycle is 3 requests); try --tickets 2000 first.

--compare REF: the same figures for a git ref and for the working tree, in turns.

    .venv/bin/python benchmarks/api_throughput.py --compare HEAD~3 [--rounds 2] [--seconds 8 ...]
    .venv/bin/python benchmarks/api_throughput.py --compare 1a2b3c4 --flatness --tickets 2000 --rounds 1

REF is checked out with `git worktree add --detach` in a temporary folder, removed at the end
(also on an error or Ctrl-C). Each round runs each side once, the side that goes first taking
turns: this script runs itself as a child process with that side's checkout as its code (its
cwd, PYTHONPATH and sys.path), so that side's code makes the hall (`hallq init`, tokens) and
serves it, on a fresh database of its own; the load driver is this file for both. Each side
checks that its server's cwd is its checkout (`python -m hallq` imports from there) and
reports where its hallq was imported from. Prints each round's figures, then the medians over
the rounds of each side and the ratio tree / REF of server CPU per request as a Markdown table
for docs/benchmarks.md, with both commits, the date (UTC) and the load average at start and end.

--postgres: the same on PostgreSQL, with the database server's own CPU beside the server's.

    .venv/bin/python benchmarks/api_throughput.py --postgres [--seconds 8] [--concurrency 1 10 50]
    .venv/bin/python benchmarks/api_throughput.py --postgres --seconds 3 --concurrency 1
    .venv/bin/python benchmarks/api_throughput.py --postgres --flatness --tickets 2000
    .venv/bin/python benchmarks/api_throughput.py --postgres --compare HEAD~3 [--rounds 2]

The hall is made on a database created for the run (hallq_api_<random>) on the PostgreSQL of
HALLQ_TEST_POSTGRES, else postgresql+psycopg://postgres@127.0.0.1:5432/test (as the tests do),
and dropped at the end, also on an error, Ctrl-C or SIGTERM. It is still one `hallq serve`
process (SOCKETIO_MESSAGE_QUEUE empty). Each row adds "postgres CPU ms/req": the user + system
time (/proc/<pid>/stat) over the row of the PostgreSQL client backends of that database, per
request (per whole cycle for call-next). They are found by their process titles in
/proc/<pid>/cmdline, `postgres: [cluster_name: ]user database host(port) state`; this script's
own connection (pg_stat_activity, pg_stat_statements) is left out, and so are the postmaster,
the background processes (checkpointer, WAL writer, autovacuum workers) and parallel workers.
"backends" says how many served the row, and how many of them began or exited in it.
Caveat, backends that exit during a row: a thread reads the backends every 0.1 s, so such a
backend counts up to its last reading; its CPU after that is missed, and a backend that lives
less than 0.1 s is missed whole. SQLAlchemy's pool keeps its connections (5 by default) open,
so with up to 5 requests at once they live through the row; more at once open overflow
connections that are closed when given back (see "N new, M exited" in backends, as in the
paced row's 10 clients): there the figure is a lower bound. PostgreSQL must run on this
machine, its processes visible in /proc: if their entries cannot be read, or pg_stat_activity
lists backends of the database that /proc does not show (another host, a container, /proc
mounted with hidepid), the figure is printed as n/a with the reason, never as 0. Clients,
server and PostgreSQL share the 2 cores.
pg_stat_statements: the script runs `CREATE EXTENSION IF NOT EXISTS pg_stat_statements` in the
run's database and reads the view, which works only where the library is in
shared_preload_libraries (that takes a restart of PostgreSQL, which this script never does).
Where it works, each row resets it for the run's database at its start and adds "postgres exec
ms/req" (total_exec_time per request: the statements' time in PostgreSQL, lock waits included;
not CPU), and after the table each row's 5 statements with the most total_exec_time; where it
does not, one line says it is not loaded and that the /proc figure stands in. With --flatness
every row adds "issue pg cpu ms" and "cycle pg cpu ms" (the backends' CPU ms per ticket and per
call cycle) and their ratios; pg_stat_statements is not read. With --compare each side makes
its own fresh database (its tests/live/conftest.py new_hall() must take database_url), and the
table adds the medians and the ratio tree / REF of the backends' CPU.
"""

from __future__ import annotations

import argparse
import http.client
import inspect
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# The code under test: this checkout, or with --compare the side's checkout this script is
# run in as a child. `hallq init`, `token issue` and `serve` run as `python -m hallq` in
# subprocesses, which import from their cwd first (and PYTHONPATH next): both are that code.
ROOT = Path(os.environ.get("HALLQ_BENCH_CODE") or Path(__file__).parent.parent).resolve()
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ["PYTHONPATH"] = str(ROOT)

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from queue_core.models import Role  # noqa: E402
from tests.live.conftest import add_staff, new_hall  # noqa: E402

# --postgres: the server on which each run creates a database of its own (as tests/conftest.py)
POSTGRES_URL = os.environ.get("HALLQ_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

WINDOWS = 60
QUEUES = "ABCDEFGH"
SLICE = 1000  # --flatness: tickets per slice of the day
DEEP = 500  # --flatness: tickets left waiting in queue A
SETTLE_S = 0.25  # a row ends when the server is idle for this long (Hall.settled_cpu)
# --flatness: server CPU ms per ticket and per call cycle; with --postgres, the backends' too
FLATNESS_FIELDS = ["issue cpu ms", "cycle cpu ms"]
FLATNESS_PG_FIELDS = ["issue pg cpu ms", "cycle pg cpu ms"]
BATCH, BATCHES = 10, 50  # --flatness: queue A is measured in 50 batches of 10 tickets and 10 cycles
# A PostgreSQL client backend's process title: postgres: [cluster_name: ]user database host(port) state
BACKEND_TITLE = re.compile(r"postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\]) ")
SAMPLE_S = 0.1  # --postgres: how often the backends' CPU times are read


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


class PostgresBackends:
    """The CPU time (user + system, /proc/<pid>/stat) of the PostgreSQL client backends that
    serve one database, found by their process titles (/proc/<pid>/cmdline); this monitor's
    own connection is left out. A thread reads them every SAMPLE_S, so that a backend which
    exits during a stretch counts up to its last reading."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        self.database, self.own_pid = self.conn.info.dbname, self.conn.info.backend_pid
        self.lock = threading.Lock()
        self.live: dict[int, float] = {}  # backend pid -> its CPU seconds at the last reading
        self.exited: dict[int, float] = {}  # since begin(): backends gone, at their last reading
        self.start: dict[int, float] = {}  # at begin()
        self.error: str | None = None  # why the figure cannot be trusted
        self.stop = threading.Event()
        self.statements_missing = self.try_statements()
        self.sample()
        self.thread = threading.Thread(target=self.sampling, daemon=True)
        self.thread.start()

    def sampling(self) -> None:
        while not self.stop.wait(SAMPLE_S):
            self.sample()

    def sample(self) -> None:
        found = {}
        try:
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit() or int(entry.name) == self.own_pid:
                    continue
                try:
                    title = Path(entry.path, "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
                    match = BACKEND_TITLE.match(title)
                    if match and match[1] == self.database:
                        found[int(entry.name)] = server_cpu_seconds(int(entry.name))
                except (FileNotFoundError, ProcessLookupError):  # it exited meanwhile
                    continue
        except OSError as exc:  # PermissionError above all
            with self.lock:
                self.error = self.error or f"cannot read other processes' /proc entries ({exc})"
            return
        with self.lock:
            for pid in self.live.keys() - found.keys():
                self.exited[pid] = self.live[pid]
            self.live = found

    def begin(self) -> None:
        self.sample()
        with self.lock:
            self.start, self.exited = dict(self.live), {}

    def end(self) -> tuple[float | None, str]:
        """The backends' CPU seconds since begin() (None if /proc cannot tell), and how many
        backends that was (and how many of them began or exited meanwhile)."""
        listed = {
            pid
            for (pid,) in self.conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        }
        self.sample()
        with self.lock:
            if listed and not listed & (self.live.keys() | self.exited.keys()) and not self.error:
                self.error = (
                    f"none of the {len(listed)} backends that pg_stat_activity lists for {self.database}"
                    " is in /proc (PostgreSQL on another host or in a container? /proc mounted with hidepid?)"
                )
            seen = self.live | self.exited
            spent = sum(cpu - self.start.get(pid, 0.0) for pid, cpu in seen.items())
            new, gone = len(seen.keys() - self.start.keys()), len(self.exited)
            backends = f"{len(seen)}" + (f" ({new} new, {gone} exited)" if new or gone else "")
            return (None if self.error else spent), backends

    def try_statements(self) -> str | None:
        """None if pg_stat_statements can be read in this database, else why not."""
        try:
            self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            if not self.conn.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'"
            ).fetchone():
                return "the extension is not in this database"
            self.conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
        except psycopg.Error as exc:
            return str(exc).strip().splitlines()[0]
        return None

    def reset_statements(self) -> None:
        if not self.statements_missing:
            self.conn.execute(
                "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
            )

    def statements(self) -> tuple[float, list[tuple[float, int, str]]]:
        """Since reset_statements(): this database's total_exec_time (ms), and its top 5
        statements (total_exec_time ms, calls, query shortened); this script's own left out."""
        rows = self.conn.execute(
            "SELECT total_exec_time, calls, query FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND query NOT LIKE '%pg_stat_%' ORDER BY total_exec_time DESC"
        ).fetchall()
        top = [(ms, calls, " ".join(query.split())[:90]) for ms, calls, query in rows[:5]]
        return sum(row[0] for row in rows), top

    def notes(self, statements: bool = True) -> list[str]:
        notes = [
            f"postgres CPU: user + system time of the client backends of database {self.database}"
            f" (titled `postgres: … {self.database} host(port) …` in /proc), read every {SAMPLE_S} s;"
            " this script's own connection left out"
        ]
        if self.error:
            notes.append(f"postgres CPU NOT MEASURED (n/a): {self.error}")
        if not statements:
            notes.append("pg_stat_statements is not read with --flatness")
        elif self.statements_missing:
            notes.append(
                "pg_stat_statements is not loaded (it needs shared_preload_libraries; PostgreSQL:"
                f" {self.statements_missing}); the /proc figure, postgres CPU ms/req, stands in"
            )
        else:
            notes.append(
                "postgres exec ms/req: pg_stat_statements' total_exec_time, reset at each row's start"
            )
        return notes

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


@dataclass
class Hall:
    """A served hall: its port, the server's pid, the tokens of kiosk K1 and clerk1..60 and
    with --postgres the monitor of its database's backends."""

    port: int
    pid: int
    tokens: dict[str, str]
    pg: PostgresBackends | None = None

    def cpu(self) -> float:
        return server_cpu_seconds(self.pid)

    def settled_cpu(self) -> float:
        """The server's CPU once what the last requests left behind is done (their tickets
        printed by the kiosk's station, mainly), so that it counts for them and not for the
        next row: when a quarter second adds under 1 % of a core, at most after 30 s."""
        before, deadline = self.cpu(), time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(SETTLE_S)
            now = self.cpu()
            if now - before < SETTLE_S / 100:
                return now
            before = now
        return before


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database on POSTGRES_URL's server for this run: its URL. Dropped at the end,
    also on an error or Ctrl-C (WITH (FORCE): connections still open are closed)."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"hallq_api_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # whatever it is, the run cannot go on
        admin.dispose()
        shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        raise SystemExit(f"--postgres: cannot create a database on {shown}: {exc}") from exc
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def serving_hall(postgres: bool = False) -> Iterator[Hall]:
    """A fresh hall (bench_config) on a temporary SQLite file, or with `postgres` on a fresh
    PostgreSQL database, served by this code's `hallq serve`, with its 60 clerks signed in at
    their windows."""
    if postgres and "database_url" not in inspect.signature(new_hall).parameters:
        raise SystemExit(f"--postgres: {ROOT}'s tests/live/conftest.py new_hall() takes no database_url")
    root = Path(tempfile.mkdtemp(prefix="hallq-bench-"))
    server = pg = None
    try:
        with postgres_database() if postgres else nullcontext() as database_url:
            try:
                bench_config(root / "config")
                live = new_hall(root, database_url=database_url) if database_url else new_hall(root)
                tokens = {"K1": live.hallq("token", "issue", "--device", "K1").strip()}
                tokens |= add_staff(
                    live.env["DATABASE_URL"], [(f"clerk{n}", Role.CLERK) for n in range(1, WINDOWS + 1)]
                )
                server = live.serve(root / "server.log")  # hallq serve is one process
                cwd = Path(f"/proc/{server.pid}/cwd").resolve()
                assert cwd == ROOT, f"the server runs in {cwd}, so it may not import {ROOT}'s hallq"
                for n in range(1, WINDOWS + 1):
                    Client(live.port).post(f"/api/v1/windows/{n}/sign-in", tokens[f"clerk{n}"])
                pg = PostgresBackends(database_url) if database_url else None
                yield Hall(live.port, server.pid, tokens, pg)
            finally:
                if pg is not None:
                    pg.close()
                if server is not None:  # stopped before its database is dropped
                    server.terminate()
                    server.wait(timeout=15)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def issue(hall: Hall, client: Client, queue: str) -> tuple[bool, float]:
    """A kiosk's ticket: whether it was issued, and the latency in ms."""
    status, ms = client.post("/api/v1/tickets", hall.tokens["K1"], {"queue": queue})
    return status == 201, ms


def call_cycle(hall: Hall, client: Client, window: int) -> tuple[int, float]:
    """call-next, start, finish at the window: the first status that is not 200 (204 from
    call-next: nobody waits), else 200; and the call-next's latency in ms."""
    token = hall.tokens[f"clerk{window}"]
    status, ms = client.post(f"/api/v1/windows/{window}/call-next", token)
    for step in ("start", "finish"):
        if status == 200:
            status = client.post(f"/api/v1/windows/{window}/{step}", token)[0]
    return status, ms


def throughput(hall: Hall, args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    """The rows: issuing and call-next at each concurrency, and the paced issuing."""
    rows = []

    def issuing(index: int, client: Client, record: list[float]) -> bool:
        ok, ms = issue(hall, client, QUEUES[(index + len(record)) % 8])
        record.append(ms)
        return ok

    def calling(index: int, client: Client, record: list[float]) -> bool:
        status, ms = call_cycle(hall, client, index + 1)
        record.append(ms)
        return status == 200

    def measure(name: str, concurrency: int, work, pace: float = 0) -> None:
        cpu = hall.cpu()
        if hall.pg:
            hall.pg.reset_statements()
            hall.pg.begin()
        lat, errors, elapsed = run_clients(concurrency, args.seconds, hall.port, work, pace)
        row = {
            "row": name,
            "clients": concurrency,
            "requests": len(lat),
            "errors": errors,
            "req/s": len(lat) / elapsed,
            "p50 ms": statistics.median(lat),
            "p99 ms": percentile(lat, 99),
            "cpu ms": (hall.settled_cpu() - cpu) * 1000 / max(len(lat), 1),
        }
        if hall.pg:
            pg_s, backends = hall.pg.end()
            row["pg cpu ms"] = None if pg_s is None else pg_s * 1000 / max(len(lat), 1)
            row["pg backends"] = backends
            if not hall.pg.statements_missing:
                exec_ms, row["pg top"] = hall.pg.statements()
                row["pg exec ms"] = exec_ms / max(len(lat), 1)
        rows.append(row)

    for concurrency in args.concurrency:
        measure("issue ticket", concurrency, issuing)
    measure(f"issue, paced {args.paced_rate:.0f}/s", 10, issuing, pace=10 / args.paced_rate)
    for concurrency in args.concurrency:
        measure("call-next", concurrency, calling)
    notes = [f"server worker memory (RSS) at the end: {server_rss_mib(hall.pid):.0f} MiB"]
    return rows, notes + (hall.pg.notes() if hall.pg else [])


def in_threads(clients: list[Client], work) -> None:
    """`work(index, client)` for each client in a thread of its own; re-raises their errors."""
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(work, range(len(clients)), clients))


class Meter:
    """The server's CPU, and with --postgres its database backends', from now on."""

    def __init__(self, hall: Hall) -> None:
        self.hall, self.cpu = hall, hall.cpu()
        if hall.pg:
            hall.pg.begin()

    def per(self, count: int) -> dict[str, float | None]:
        """CPU ms per each of `count`: "cpu", the server's, and with --postgres "pg", the
        backends' (None if /proc cannot tell)."""
        spent: dict[str, float | None] = {"cpu": (self.hall.settled_cpu() - self.cpu) * 1000 / max(count, 1)}
        if self.hall.pg:
            pg_s = self.hall.pg.end()[0]
            spent["pg"] = None if pg_s is None else pg_s * 1000 / max(count, 1)
        return spent


def issue_many(hall: Hall, clients: list[Client], count: int, queues: str) -> dict[str, float | None]:
    """`count` tickets from these kiosks, round the queues: CPU ms per ticket (Meter.per)."""

    def kiosk(index: int, client: Client) -> None:
        for k in range(index, count, len(clients)):
            if not issue(hall, client, queues[k % len(queues)])[0]:
                raise RuntimeError(f"a ticket into queue {queues[k % len(queues)]} was refused")

    meter = Meter(hall)
    in_threads(clients, kiosk)
    return meter.per(count)


def serve(
    hall: Hall, clients: list[Client], windows: list[int], limit: float = math.inf
) -> dict[str, float | None]:
    """The clerks of these windows (one per client) call, start and finish until nobody waits
    or `limit` cycles are done: CPU ms per cycle (Meter.per)."""
    lock = threading.Lock()
    left, cycles = limit, 0

    def clerk(index: int, client: Client) -> None:
        nonlocal left, cycles
        while True:
            with lock:
                if left <= 0:
                    return
                left -= 1
            status = call_cycle(hall, client, windows[index])[0]
            if status == 204:
                return
            if status != 200:
                raise RuntimeError(f"a call cycle at window {windows[index]} answered {status}")
            with lock:
                cycles += 1

    meter = Meter(hall)
    in_threads(clients, clerk)
    return meter.per(cycles)


def mean(costs: list[dict[str, float | None]]) -> dict[str, float | None]:
    """Field by field; None where any is None."""
    return {
        key: None if any(c[key] is None for c in costs) else sum(c[key] or 0 for c in costs) / len(costs)
        for key in costs[0]
    }


def flatness(hall: Hall, args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    """The day in slices, then queue A with ~0 and with 500 waiting (see the docstring)."""

    def clients(n: int) -> list[Client]:  # new connections: idle ones are closed after 5 s
        return [Client(hall.port) for _ in range(n)]

    def measured(name: str, issue_ms: dict, cycle_ms: dict) -> dict:
        row = {"row": name, "issue cpu ms": issue_ms["cpu"], "cycle cpu ms": cycle_ms["cpu"]}
        if hall.pg:
            row |= {"issue pg cpu ms": issue_ms["pg"], "cycle pg cpu ms": cycle_ms["pg"]}
        return row

    def ratio(name: str, row: dict, base: dict) -> dict:
        return {"row": name} | {
            field: None if row[field] is None or base[field] is None else row[field] / base[field]
            for field in row
            if field != "row"
        }

    def queue_a(name: str) -> dict:
        kiosk, clerk = clients(1), clients(1)
        issued, served = [], []
        for _ in range(BATCHES):
            issued.append(issue_many(hall, kiosk, BATCH, "A"))
            served.append(serve(hall, clerk, [1], limit=BATCH))
        return measured(name, mean(issued), mean(served))

    clerks = list(range(1, 11))
    issue_many(hall, clients(10), 100, QUEUES)  # warm-up
    serve(hall, clients(10), clerks)
    rows = []
    for first in range(0, args.tickets, SLICE):
        count = min(SLICE, args.tickets - first)
        issue_ms = issue_many(hall, clients(10), count, QUEUES)
        cycle_ms = serve(hall, clients(10), clerks)
        rows.append(measured(f"tickets {first + 1:,}–{first + count:,}", issue_ms, cycle_ms))
    rows.append(ratio("last / first slice", rows[-1], rows[0]))
    shallow = queue_a(f"queue A, 0–{BATCH} waiting")
    issue_many(hall, clients(10), DEEP, "A")
    deep = queue_a(f"queue A, {DEEP}–{DEEP + BATCH} waiting")
    rows += [shallow, deep, ratio(f"{DEEP} / ~0 waiting in A", deep, shallow)]
    return rows, hall.pg.notes(statements=False) if hall.pg else []


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def commit_of(code: Path) -> str:
    """The checkout's commit, with +dirty if its tracked files have changes."""
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=code)
    return git("rev-parse", "--short", "HEAD", cwd=code) + ("+dirty" if dirty else "")


def run_here(args: argparse.Namespace) -> dict:
    """One side: this code's hall and server, and its figures."""
    with serving_hall(args.postgres) as hall:
        rows, notes = (flatness if args.flatness else throughput)(hall, args)
        return {
            "commit": commit_of(ROOT),
            "code": str(ROOT),
            "server_cwd": str(Path(f"/proc/{hall.pid}/cwd").resolve()),
            "hallq": sys.modules["hallq"].__file__,
            "rows": rows,
            "notes": notes,
        }


def run_side(code: Path, args: argparse.Namespace, out: Path) -> dict:
    """One side in a child process of this script run on that checkout's code (ROOT)."""
    argv = [f"--seconds={args.seconds}", f"--paced-rate={args.paced_rate}", f"--tickets={args.tickets}"]
    argv += [f"--json-out={out}", "--concurrency", *map(str, args.concurrency)]
    argv += ["--flatness"] if args.flatness else []
    argv += ["--postgres"] if args.postgres else []
    env = {**os.environ, "HALLQ_BENCH_CODE": str(code)}
    child = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *argv], env=env)
    try:
        if child.wait() != 0:
            raise SystemExit(f"the run on {code} failed (exit status {child.returncode})")
    finally:
        if child.poll() is None:  # interrupted: the child stops its server (a Ctrl-C reached it too)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGINT)
                child.wait()
    result = json.loads(out.read_text())
    code = code.resolve()
    assert Path(result["server_cwd"]) == code and Path(result["hallq"]).is_relative_to(code), result
    return result


def label(row: dict) -> str:
    return f"{row['row']} ×{row['clients']}" if "clients" in row else row["row"]


def number(field: str, value: float | None) -> str:
    if value is None:  # --postgres: /proc could not tell
        return "n/a"
    return f"{value:.1f}" if field == "req/s" else f"{value:.2f}"


def median(values: list[float | None]) -> float | None:
    """None if any is None (--postgres: /proc could not tell)."""
    return None if None in values else statistics.median([v for v in values if v is not None])


def print_markdown(header: list[str], lines: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|---" + "|---:" * (len(header) - 1) + "|")
    for line in lines:
        print("| " + " | ".join(line) + " |")


def print_side(result: dict) -> None:
    if "clients" not in result["rows"][0]:  # --flatness
        fields = [field for field in result["rows"][0] if field != "row"]
        print_markdown(
            ["row", *fields], [[row["row"], *(number(f, row[f]) for f in fields)] for row in result["rows"]]
        )
        for note in result["notes"]:
            print(note)
        return
    postgres, statements = "pg cpu ms" in result["rows"][0], "pg exec ms" in result["rows"][0]
    print(
        f"{'operation':<22}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'server CPU ms/req':>19}"
        + (f"{'postgres CPU ms/req':>21}" if postgres else "")
        + (f"{'postgres exec ms/req':>22}" if statements else "")
        + ("  backends" if postgres else "")
    )
    for row in result["rows"]:
        print(
            f"{row['row']:<22}{row['clients']:>8}{row['requests']:>10}{row['errors']:>8}{row['req/s']:>9.1f}"
            f"{row['p50 ms']:>9.2f}{row['p99 ms']:>9.2f}{row['cpu ms']:>19.2f}"
            + (f"{number('pg cpu ms', row['pg cpu ms']):>21}" if postgres else "")
            + (f"{row['pg exec ms']:>22.2f}" if statements else "")
            + (f"  {row['pg backends']}" if postgres else "")
        )
    for note in result["notes"]:
        print(note)
    for row in result["rows"] if statements else []:
        print(f"top 5 statements by total_exec_time, {label(row)} (ms, calls, query):")
        for ms, calls, query in row["pg top"]:
            print(f"  {ms:9.1f} {calls:7}  {query}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def compare(args: argparse.Namespace) -> None:
    """REF and the working tree in turns, each round on fresh halls; then the medians."""
    ref = git("rev-parse", "--short", f"{args.compare}^{{commit}}")
    date, load_start = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), load_average()
    scratch = Path(tempfile.mkdtemp(prefix="hallq-compare-"))
    checkout = scratch / "ref"
    results: dict[str, list[dict]] = {"REF": [], "tree": []}
    try:
        git("worktree", "add", "--detach", str(checkout), ref)
        for round_ in range(1, args.rounds + 1):
            for side in ("REF", "tree") if round_ % 2 else ("tree", "REF"):
                result = run_side(checkout if side == "REF" else ROOT, args, scratch / "side.json")
                print(f"\nround {round_}, {side} {result['commit']}, hallq from {result['hallq']}")
                print_side(result)
                results[side].append(result)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], capture_output=True)

    fields = FLATNESS_FIELDS if args.flatness else ["cpu ms", "req/s", "p99 ms"]
    if args.postgres:
        fields = fields + (FLATNESS_PG_FIELDS if args.flatness else ["pg cpu ms"])
    header = ["row"]
    for field in fields:
        header += [f"REF {field}", f"tree {field}"] + (["ratio"] if "cpu" in field else [])
    lines = []
    for i, row in enumerate(results["REF"][0]["rows"]):
        line = [label(row)]
        for field in fields:
            ref_value, tree_value = (
                median([result["rows"][i][field] for result in results[side]]) for side in ("REF", "tree")
            )
            line += [number(field, ref_value), number(field, tree_value)]
            if "cpu" in field:
                line += [
                    "n/a" if ref_value is None or tree_value is None else f"{tree_value / ref_value:.2f}"
                ]
        lines.append(line)
    print(f"\napi_throughput.py {' '.join(sys.argv[1:])}, {date}")
    print(
        f"REF = {ref} ({args.compare}), tree = {results['tree'][0]['commit']}; medians over {args.rounds} round(s);"
    )
    print(f"ratio = tree / REF; load average (1, 5, 15 min) {load_start} at start, {load_average()} at end\n")
    print_markdown(header, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8, help="length of each row's run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--paced-rate", type=float, default=200, help="tickets/s offered in the paced run")
    parser.add_argument("--flatness", action="store_true", help="CPU per ticket and per call through a day")
    parser.add_argument(
        "--tickets", type=int, default=20_000, help="with --flatness: tickets through the day"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="the hall on a fresh PostgreSQL database, not SQLite"
    )
    parser.add_argument("--compare", metavar="REF", help="a git ref to run in turns with the working tree")
    parser.add_argument("--rounds", type=int, default=2, help="with --compare: runs of each side")
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)  # a --compare side's figures
    args = parser.parse_args()
    # A kill ends the run as Ctrl-C does: the server stopped, the temporary files and database gone.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    if args.compare:
        compare(args)
        return
    result = run_here(args)
    if args.json_out:
        args.json_out.write_text(json.dumps(result), encoding="utf-8")
    else:
        print_side(result)


if __name__ == "__main__":
    main()
