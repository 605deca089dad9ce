"""Printing a ticket and a one-time notice: how many bytes each job is, how long it takes to
render, and how long a serial printer takes to receive it, in text and image mode on 58 and
80 mm paper.

    .venv/bin/python benchmarks/print_bench.py [--quick] [--text-runs 50] [--image-runs 10] [--round-trips 5]

Render time is lay_out + renderer_for(settings).render, as hallq.printing does it, with the
layout loaded once (the app loads it at start); median and p95 over the runs, after one
warm-up run (fonts and the QR library load on first use). With 10 runs the p95 is the slowest.

Transfer time goes through a real pseudo-terminal: the fake serial printer of the tests
(tests/printer/fake_printer.py) reads no faster than the simulated line speed, so the driver's
writes block once the pty buffer is full, as they do on a real port. The clock runs from just
before Printer.send() until the fake has received every byte of the job. The port is opened
first, because a station always opens it for its status check before it sends. Beside each
measured time is the line time, bytes × 10 / baud (start bit, 8 data bits, stop bit), so a
reader sees whether the simulation matches the wire. A job that Printer.send() fails is shown
as failed, with the bytes the printer had by then. An image job takes 37–63 s at 9600 baud;
--quick leaves those four transfers out (about 3½ of the run's 4 minutes).

Last, the whole round trip of a text ticket through a Station with one serial printer: from
submit() until the listener's job_done, which includes the DLE EOT status queries before and
after the job (0.5 s at most each; the fake answers as soon as it reads them), and until the
fake has the whole ticket: the two differ when the check after the job gives up first.

Then, through a hall PC's agent (issue 18): a real `hallq serve` (SQLite) and a real `hallq
agent` driving 10 kiosks' TCP printers (the tests' fake, which has no line time), while each
kiosk issues 1 ticket a second for --agent-seconds (600 by default; 0 leaves it out). Commit →
printer is from the kiosk's 201 answer (the ticket committed just before) until the printer has
received the ticket's number; every ticket's job must end printed, with its number exactly once
on its own kiosk's printer and no 重打 mark (0 lost, 0 unmarked duplicates).

Prints Markdown tables (they go into docs/benchmarks.md as they are) and the issue's budget
with PASS or FAIL against the measured figures. Nothing here is a test assertion.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printer_driver import (  # noqa: E402
    JobReport,
    Layout,
    Printer,
    PrinterSettings,
    PrinterStatus,
    PrintJob,
    Station,
    lay_out,
    load_layout,
    renderer_for,
)
from printer_driver.layout import FieldValue, Kind  # noqa: E402
from printer_driver.transports import PrinterUnavailable  # noqa: E402
from tests.printer.documents import NOTICE, TICKET  # noqa: E402
from tests.printer.fake_printer import BITS_PER_BYTE, PtyPrinter  # noqa: E402

DOCUMENTS: dict[Kind, dict[str, FieldValue]] = {"ticket": TICKET, "notice": NOTICE}
MODES = ("text", "image")
PAPERS = (58, 80)
BAUDS = (9600, 115200)
# The budget for a normal ticket in text mode.
BUDGET_BYTES = 1500
BUDGET_SECONDS = 2.0
BUDGET = (
    "a normal ticket in text mode is at most 1,500 bytes, "
    "so a 9600-baud serial printer receives it in under 2 s"
)


@dataclass
class Transfer:
    baud: int
    seconds: float  # until the last byte arrived, or until the driver gave up
    received: int  # bytes the fake printer had received by then
    error: str | None = None  # why Printer.send() failed, if it did

    def line_seconds(self, size: int) -> float:
        return size * BITS_PER_BYTE / self.baud


@dataclass
class Row:
    document: str
    mode: str
    paper: int
    size: int
    render_ms: list[float]
    transfers: dict[int, Transfer]
    query_lookalikes: int  # 10 04 n (n = 1..4) inside the job, which a printer answers as a query


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def settings_for(url: str, mode: str, paper: int) -> PrinterSettings:
    return PrinterSettings(url=url, mode=mode, paper=paper)


def render_once(layout: Layout, document: Kind, settings: PrinterSettings) -> bytes:
    blocks = layout.blocks(document)
    elements = lay_out(blocks, DOCUMENTS[document], settings.columns)
    rendered = renderer_for(settings).render(elements)
    if rendered.problems:
        raise SystemExit(f"{document} in {settings.mode} mode rendered with problems: {rendered.problems}")
    return rendered.data


def time_render(layout: Layout, document: Kind, settings: PrinterSettings, runs: int) -> list[float]:
    render_once(layout, document, settings)  # warm-up: font files and qrcode load on first use
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        render_once(layout, document, settings)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def count_query_lookalikes(data: bytes) -> int:
    return sum(data.count(b"\x10\x04" + bytes([n])) for n in (1, 2, 3, 4))


def time_transfer(data: bytes, mode: str, paper: int, baud: int) -> Transfer:
    """One job through a fresh pty printer at the given line speed."""
    line_seconds = len(data) * BITS_PER_BYTE / baud
    with (
        tempfile.TemporaryDirectory(prefix="hallq-print-") as tmp,
        PtyPrinter(tmp, simulated_baud=baud) as fake,
    ):
        printer = Printer("bench", settings_for(f"serial://{fake.path}?baudrate={baud}", mode, paper))
        printer.transport.open()
        error = None

        # Counted on everything received, not on payload(): payload() drops any 10 04 n, and
        # raster data may hold one by chance. Printer.send() itself sends no status query, so
        # the printer has received the whole job exactly when it has len(data) bytes.
        def has_all(received: bytes) -> bool:
            return len(received) >= len(data)

        started = time.perf_counter()
        try:
            printer.send(data)
            fake.wait_for(has_all, timeout=line_seconds * 1.5 + 10)
        except PrinterUnavailable as exc:
            error = str(exc).rsplit(": ", 1)[-1]
        seconds = time.perf_counter() - started
        received = len(fake.received)
        printer.close()
    return Transfer(baud, seconds, received, error)


class Listener:
    """The station's listener: the first state check, and each finished job."""

    def __init__(self) -> None:
        # Each report with the moment it came: it may come before the printer has the whole job.
        self.reports: queue.Queue[tuple[float, JobReport]] = queue.Queue()
        self.checked = threading.Event()

    def job_done(self, report: JobReport) -> None:
        self.reports.put((time.perf_counter(), report))

    def status_changed(self, printer: Printer) -> None:
        if printer.status is not PrinterStatus.UNKNOWN:
            self.checked.set()


@dataclass
class RoundTrip:
    baud: int
    seconds: list[float]
    received: list[float]  # submit until the printer had the whole job
    results: list[str]  # what each report said: printed or sent
    statuses: list[str]  # the printer's state after each job


def printed_times(data: bytes, n: int, received: bytes) -> bool:
    """Whether the printer has received the data n times."""
    return received.count(data) >= n


def time_round_trips(layout: Layout, baud: int, runs: int) -> RoundTrip:
    """A text ticket on 58 mm paper, submitted to a station runs times, one after another."""
    trip = RoundTrip(baud, [], [], [], [])
    ticket = renderer_for(settings_for("dummy:", "text", 58)).render(
        lay_out(layout.ticket, TICKET, settings_for("dummy:", "text", 58).columns)
    )
    with (
        tempfile.TemporaryDirectory(prefix="hallq-print-") as tmp,
        PtyPrinter(tmp, simulated_baud=baud) as fake,
    ):
        listener = Listener()
        printer = Printer("K1", settings_for(f"serial://{fake.path}?baudrate={baud}", "text", 58))
        station = Station("K1", [printer], listener)
        try:
            # The station checks its printer once when it starts; a job submitted before that
            # check ends would wait for it and count it twice.
            if not listener.checked.wait(5):
                raise SystemExit("the station never read the fake printer's state")
            for job_id in range(1, runs + 1):
                job = PrintJob(
                    job_id,
                    "ticket A012",
                    lambda settings, reprint: renderer_for(settings).render(
                        lay_out(
                            layout.ticket,
                            {**TICKET, "reprint": "重打" if reprint else ""},
                            settings.columns,
                        )
                    ),
                )
                started = time.perf_counter()
                station.submit(job)
                # A text job holds no 10 04 n, so its bytes stand whole among the status queries.
                fake.wait_for(partial(printed_times, ticket.data, job_id), timeout=30)
                trip.received.append(time.perf_counter() - started)
                done, report = listener.reports.get(timeout=30)
                trip.seconds.append(done - started)
                trip.results.append(str(report.result))
                trip.statuses.append(str(printer.status))
                # The next job would otherwise start while the late answers of this one's last
                # status check are still on their way back.
                time.sleep(1.0)
        finally:
            station.stop()
    return trip


def seconds_cell(transfer: Transfer | None) -> str:
    if transfer is None:
        return "skipped"
    if transfer.error:
        return f"**failed**: {transfer.error} at {transfer.seconds:.1f} s, {transfer.received:,} B received"
    return f"{transfer.seconds:.2f}"


def print_table(rows: list[Row]) -> None:
    header = ["document", "mode", "paper mm", "bytes", "render median ms", "render p95 ms"]
    for baud in BAUDS:
        header += [f"{baud} line s", f"{baud} measured s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i < 3 else "---:" for i in range(len(header))) + "|")
    for row in rows:
        cells = [
            row.document,
            row.mode,
            str(row.paper),
            f"{row.size:,}",
            f"{statistics.median(row.render_ms):.1f}",
            f"{percentile(row.render_ms, 95):.1f}",
        ]
        for baud in BAUDS:
            transfer = row.transfers.get(baud)
            cells += [f"{row.size * BITS_PER_BYTE / baud:.2f}", seconds_cell(transfer)]
        print("| " + " | ".join(cells) + " |")


def print_round_trips(trips: list[RoundTrip]) -> None:
    print(
        "| text ticket, 58 mm, through a Station, line speed | jobs | job_done median s | job_done max s "
        "| printer has the job, median s | reports | printer state after |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    for trip in trips:
        results = ", ".join(f"{trip.results.count(r)} {r}" for r in dict.fromkeys(trip.results))
        statuses = ", ".join(f"{trip.statuses.count(s)} {s}" for s in dict.fromkeys(trip.statuses))
        print(
            f"| {trip.baud} baud | {len(trip.seconds)} "
            f"| {statistics.median(trip.seconds):.2f} | {max(trip.seconds):.2f} "
            f"| {statistics.median(trip.received):.2f} | {results} | {statuses} |"
        )


def print_budget(rows: list[Row], trips: list[RoundTrip]) -> None:
    print(f"Budget (issue 4): {BUDGET}.")
    tickets = [r for r in rows if r.document == "ticket" and r.mode == "text"]
    for row in tickets:
        transfer = row.transfers.get(9600)
        size_ok = row.size <= BUDGET_BYTES
        time_ok = transfer is not None and transfer.error is None and transfer.seconds < BUDGET_SECONDS
        measured = seconds_cell(transfer)
        print(
            f"  text ticket, {row.paper} mm: {row.size:,} bytes (≤ {BUDGET_BYTES:,}: "
            f"{'PASS' if size_ok else 'FAIL'}), received at 9600 baud in {measured} s "
            f"(< {BUDGET_SECONDS:g} s: {'PASS' if time_ok else 'FAIL'})"
        )
    overall = all(
        r.size <= BUDGET_BYTES
        and (t := r.transfers.get(9600)) is not None
        and t.error is None
        and t.seconds < BUDGET_SECONDS
        for r in tickets
    )
    print(f"  budget: {'PASS' if overall else 'FAIL'}")
    for trip in trips:
        if trip.baud == 9600:
            print(
                f"  through a Station at 9600 baud (status checks included): the printer has the "
                f"whole ticket {statistics.median(trip.received):.2f} s after submit (median; < "
                f"{BUDGET_SECONDS:g} s: {'PASS' if max(trip.received) < BUDGET_SECONDS else 'FAIL'}), "
                f"job_done after {statistics.median(trip.seconds):.2f} s (median)"
            )


AGENT_KIOSKS = 10
AGENT_GOAL_MS = 300.0


@dataclass
class AgentRun:
    seconds: int
    latencies: list[float]  # commit → printer, ms
    issued: int
    printed: int
    lost: list[str]
    duplicates: list[str]
    marked: int
    refused: list[str]  # ticket requests not answered 201


def agent_run(seconds: int) -> AgentRun:
    """10 kiosks on one agent's TCP printers, 1 ticket a second each, for `seconds`."""
    import re
    import shutil
    import signal
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from tests.conftest import DEMO_CONFIG
    from tests.live.conftest import new_hall
    from tests.printer.escpos_decode import decode
    from tests.printer.fake_printer import PrinterState, TcpPrinter

    printers = [TcpPrinter(state=PrinterState()) for _ in range(AGENT_KIOSKS)]
    for printer in printers:
        printer.__enter__()
    root = Path(tempfile.mkdtemp(prefix="agent-bench-"))
    shutil.copytree(DEMO_CONFIG, root / "config")
    hall_toml = root / "config" / "hall.toml"
    blocks = re.split(r"(?m)^(?=\[)", hall_toml.read_text(encoding="utf-8"))
    kept = re.sub(
        r"(?m)^daily_quota = .*\n", "", "".join(b for b in blocks if not b.startswith("[[kiosks]]"))
    )
    kiosks = "".join(
        f'[[kiosks]]\nid = "K{n}"\nprinter = {{ url = "{p.url}", agent = "bench-pc" }}\n\n'
        for n, p in enumerate(printers, 1)
    )
    hall_toml.write_text(kept.rstrip() + '\n\n[[agents]]\nid = "bench-pc"\n\n' + kiosks, encoding="utf-8")
    hall = new_hall(root)
    tokens = {
        f"K{n}": hall.hallq("token", "issue", "--device", f"K{n}").strip() for n in range(1, AGENT_KIOSKS + 1)
    }
    agent_token = hall.hallq("token", "issue", "--device", "bench-pc").strip()
    server = hall.serve(root / "server.log", ["serve"])
    agent = subprocess.Popen(
        [sys.executable, "-m", "hallq", "agent", "--server", hall.url, "--token", agent_token],
        env=hall.env, stdout=(root / "agent.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    latencies: list[float] = []
    issued: list[tuple[str, dict]] = []
    refused: list[str] = []
    lock = threading.Lock()

    def watch(printer: TcpPrinter, number: bytes, answered: float) -> None:
        printer.wait_for(number, timeout=60)
        with lock:
            latencies.append((time.perf_counter() - answered) * 1000)

    def kiosk(n: int, pool: ThreadPoolExecutor) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {tokens[f'K{n}']}"
        start = time.perf_counter() + n / AGENT_KIOSKS  # spread over the second
        for tick in range(seconds):
            time.sleep(max(0.0, start + tick - time.perf_counter()))
            answer = session.post(f"{hall.url}/api/v1/tickets", json={"queue": "A"}, timeout=30)
            answered = time.perf_counter()
            if answer.status_code != 201:  # counted and shown, not a crash of the run
                with lock:
                    refused.append(f"{answer.status_code} {answer.text[:120]}")
                continue
            ticket = answer.json()
            with lock:
                issued.append((f"K{n}", ticket))
            pool.submit(watch, printers[n - 1], ticket["number"].encode(), answered)

    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "connected to" not in (root / "agent.log").read_text():
            time.sleep(0.2)
        time.sleep(1)  # its printers' first status report
        with ThreadPoolExecutor(max_workers=64) as pool:
            threads = [threading.Thread(target=kiosk, args=(n, pool)) for n in range(1, AGENT_KIOSKS + 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        manager = requests.Session()
        status = {}
        for kiosk_id, ticket in issued:
            found = manager.get(
                f"{hall.url}/api/v1/tickets/{ticket['id']}",
                headers={"Authorization": f"Bearer {tokens[kiosk_id]}"},
            )
            status[ticket["number"]] = (found.json().get("print") or {}).get("status")
        texts = {f"K{n}": decode(p.payload()).text for n, p in enumerate(printers, 1)}
        lost = [number for number, s in status.items() if s != "printed"]
        # A100 must not count inside A1000: a number ends where the next character is no digit.
        duplicates = [
            t["number"] for k, t in issued if len(re.findall(rf"{t['number']}(?!\d)", texts[k])) > 1
        ]
        return AgentRun(
            seconds, latencies, len(issued), len(issued) - len(lost), lost, duplicates,
            sum(text.count("重打") for text in texts.values()), refused,
        )  # fmt: skip
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=15)
        server.terminate()
        server.wait(timeout=15)
        for printer in printers:
            printer.__exit__(None, None, None)


def print_agent_run(run: AgentRun) -> None:
    values = sorted(run.latencies)
    p50, p99 = percentile(values, 50), percentile(values, 99)
    print(
        f"Through an agent: {AGENT_KIOSKS} kiosks × 1 ticket/s for {run.seconds} s, "
        "one `hallq serve` (SQLite) and one `hallq agent`, TCP printers without line time"
    )
    print()
    print(
        "| tickets | printed | lost | unmarked duplicates | 重打 marks | commit → printer p50 | p99 | max |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {run.issued:,} | {run.printed:,} | {len(run.lost)} | {len(run.duplicates)} | {run.marked} | "
        f"{p50:.0f} ms | {p99:.0f} ms | {values[-1]:.0f} ms |"
    )
    print()
    if run.refused:
        print(f"  ticket requests refused: {len(run.refused)}, e.g. {run.refused[0]}")
    ok = p99 < AGENT_GOAL_MS and not run.lost and not run.duplicates and not run.marked and not run.refused
    print(
        f"  goal (issue 18): p99 < {AGENT_GOAL_MS:g} ms, 0 lost, 0 unmarked duplicates: {'PASS' if ok else 'FAIL'}"
    )
    if run.lost:
        print(f"  not printed: {', '.join(run.lost[:20])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the image-mode transfers at 9600 baud")
    parser.add_argument("--text-runs", type=int, default=50, help="render runs per text-mode document")
    parser.add_argument("--image-runs", type=int, default=10, help="render runs per image-mode document")
    parser.add_argument("--round-trips", type=int, default=5, help="tickets through the station per baud")
    parser.add_argument("--agent-seconds", type=int, default=600, help="the agent run's length; 0: none")
    parser.add_argument("--agent-only", action="store_true", help="only the agent run")
    args = parser.parse_args()
    if args.agent_only:
        print_agent_run(agent_run(args.agent_seconds))
        return

    layout = load_layout()
    started = time.perf_counter()
    rows: list[Row] = []
    for document in DOCUMENTS:
        for mode in MODES:
            for paper in PAPERS:
                settings = settings_for("dummy:", mode, paper)
                runs = args.text_runs if mode == "text" else args.image_runs
                data = render_once(layout, document, settings)
                row = Row(
                    document,
                    mode,
                    paper,
                    len(data),
                    time_render(layout, document, settings, runs),
                    {},
                    count_query_lookalikes(data),
                )
                for baud in BAUDS:
                    if args.quick and mode == "image" and baud == 9600:
                        continue
                    print(f"… {document} {mode} {paper} mm at {baud} baud", file=sys.stderr, flush=True)
                    row.transfers[baud] = time_transfer(data, mode, paper, baud)
                rows.append(row)
    trips = [time_round_trips(layout, baud, args.round_trips) for baud in BAUDS]

    print(
        f"render runs: {args.text_runs} per text-mode document, {args.image_runs} per image-mode "
        f"document; transfers: one job each through a pty at the simulated baud"
        + (" (--quick: image mode at 9600 baud skipped)" if args.quick else "")
    )
    print()
    print_table(rows)
    lookalikes = [
        f"{r.document}/{r.mode}/{r.paper}: {r.query_lookalikes}" for r in rows if r.query_lookalikes
    ]
    if lookalikes:
        print()
        print(
            "10 04 n look-alikes inside the job (the printer answers each as a status query): "
            + ", ".join(lookalikes)
        )
    print()
    print_round_trips(trips)
    print()
    print_budget(rows, trips)
    if args.agent_seconds:
        print()
        print_agent_run(agent_run(args.agent_seconds))
    print()
    print(f"whole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
