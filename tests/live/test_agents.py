"""Printers on the hall's PCs: a real `hallq serve` and real `hallq agent` processes, each
agent with a printer on a pseudo-terminal serial port and one on TCP (the fake printers answer
DLE EOT as the hardware does)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DEMO_CONFIG
from tests.live.conftest import LiveHall, new_hall
from tests.live.test_socketio import Board
from tests.printer.escpos_decode import decode
from tests.printer.fake_printer import PrinterState, PtyPrinter, TcpPrinter

REPRINT = "重打"


@dataclass
class Pc:
    """A hall PC: its agent's id, its printers and, while it runs, its agent process."""

    id: str
    serial: PtyPrinter
    tcp: TcpPrinter
    token: str = ""
    process: subprocess.Popen | None = None

    def start(self, hall: LiveHall, log: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hallq", "agent", "--server", hall.url, "--token", self.token],
            env=hall.env, stdout=log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def stop(self, how: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=15)
        self.process = None


def agents_hall(
    root: Path, pcs: list[Pc], *, printing: str = "", baud: int = 115200, database_url: str | None = None
) -> LiveHall:
    """The demo hall whose kiosk K1 prints on the first PC (serial, backup TCP) and K2 on the
    second (TCP, backup serial)."""
    config = root / "config"
    config.mkdir(parents=True)
    for source in DEMO_CONFIG.iterdir():
        (config / source.name).write_bytes(source.read_bytes())
    hall_toml = config / "hall.toml"
    text = hall_toml.read_text(encoding="utf-8")
    k1, k2 = pcs[0], pcs[1] if len(pcs) > 1 else pcs[0]
    text = text.replace(
        'printer = "dummy:"',
        f'printer = {{ url = "serial://{k1.serial.path}?baudrate={baud}", agent = "{k1.id}" }}\n'
        f'backup_printer = {{ url = "{k1.tcp.url}", agent = "{k1.id}" }}',
        1,
    )
    text = text.replace(
        'printer = "dummy:"',
        f'printer = {{ url = "{k2.tcp.url}", agent = "{k2.id}" }}\n'
        f'backup_printer = {{ url = "serial://{k2.serial.path}?baudrate={baud}", agent = "{k2.id}" }}',
        1,
    )
    text += "".join(f'\n[[agents]]\nid = "{pc.id}"\nname = "{pc.id} 的电脑"\n' for pc in pcs)
    if printing:
        text = (
            text.replace("[printing]", f"[printing]\n{printing}")
            if "[printing]" in text
            else text + f"\n[printing]\n{printing}\n"
        )
    hall_toml.write_text(text, encoding="utf-8")
    hall = new_hall(root, database_url=database_url)
    hall.hallq("user", "add", "boss", "--role", "manager", "--password-stdin", input="password-123\n")
    hall.tokens["boss"] = hall.hallq("token", "issue", "boss").strip()
    for kiosk in ("K1", "K2"):
        hall.tokens[kiosk] = hall.hallq("token", "issue", "--device", kiosk).strip()
    for pc in pcs:
        pc.token = hall.hallq("token", "issue", "--device", pc.id).strip()
    return hall


def printer_status(hall: LiveHall, name: str) -> str:
    found = {p["name"]: p for p in hall.api("GET", "/printers", "boss").json()}
    return found[name]["status"]


def wait_until(condition, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def settled(printer: PtyPrinter, quiet: float = 1.5) -> bytes:
    """What the printer has once nothing more has come for `quiet` seconds."""
    seen, since = printer.payload(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.1)
        if (now := printer.payload()) != seen:
            seen, since = now, time.monotonic()
    return seen


def issue(hall: LiveHall, kiosk: str, queue: str = "A") -> dict:
    answer = hall.api("POST", "/tickets", kiosk, json={"queue": queue})
    assert answer.status_code == 201, answer.text
    return answer.json()


def print_status(hall: LiveHall, ticket: dict) -> str:
    return hall.api("GET", f"/tickets/{ticket['id']}", "boss").json()["print"]["status"]


@pytest.fixture
def pcs(tmp_path) -> Iterator[list[Pc]]:
    with ExitStack() as stack:
        found = []
        for n in (1, 2):
            folder = tmp_path / f"pc{n}"
            folder.mkdir()
            serial = stack.enter_context(PtyPrinter(folder, state=PrinterState()))
            tcp = stack.enter_context(TcpPrinter(state=PrinterState()))
            found.append(Pc(f"pc-{n}", serial, tcp))
        yield found
        for pc in found:
            pc.stop(signal.SIGKILL)


def test_each_kiosk_prints_on_the_printer_of_its_own_pc(tmp_path, pcs):
    hall = agents_hall(tmp_path / "hall", pcs)
    server = hall.serve(tmp_path / "server.log")
    try:
        for pc in pcs:
            pc.start(hall, tmp_path / f"{pc.id}.log")
        wait_until(lambda: printer_status(hall, "K1") == "online" and printer_status(hall, "K2") == "online",
                   what="both agents report their printers")  # fmt: skip
        first = issue(hall, "K1")
        second = issue(hall, "K2", queue="B")
        wait_until(lambda: print_status(hall, first) == "printed" and print_status(hall, second) == "printed",
                   what="both tickets printed")  # fmt: skip
        pcs[0].serial.wait_for(first["number"].encode())
        pcs[1].tcp.wait_for(second["number"].encode())
        on_k1, on_k2 = decode(pcs[0].serial.payload()).text, decode(pcs[1].tcp.payload()).text
        assert first["number"] in on_k1 and second["number"] not in on_k1
        assert second["number"] in on_k2 and first["number"] not in on_k2
        assert "青山县政务服务中心" in on_k1 and REPRINT not in on_k1 + on_k2
        # The backups took nothing.
        assert pcs[0].tcp.payload() == b"" and pcs[1].serial.payload() == b""
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_an_agent_killed_mid_job_prints_it_once_more_marked_and_its_printers_were_unknown(tmp_path, pcs):
    slow = pcs[0]
    slow.serial = PtyPrinter(tmp_path / "slow", state=PrinterState(), simulated_baud=2400)
    (tmp_path / "slow").mkdir()
    with slow.serial:
        # At 2400 baud a ticket takes seconds on the line, and the agent waits for the
        # printer's status after it: a kill now is mid-job, before any report.
        hall = agents_hall(tmp_path / "hall", pcs[:1], baud=2400)
        server = hall.serve(tmp_path / "server.log")
        try:
            slow.start(hall, tmp_path / "agent.log")
            wait_until(lambda: printer_status(hall, "K1") == "online", what="the agent reports K1")
            kiosk = Board(hall.url, {"kiosk": "K1"}, hall.tokens["K1"])
            ticket = issue(hall, "K1")
            wait_until(lambda: len(slow.serial.payload()) > 100, what="the job has begun")
            slow.stop(signal.SIGKILL)
            wait_until(lambda: printer_status(hall, "K1") == "unknown", timeout=10, what="K1 unknown")
            heard = kiosk.next("printer_state", timeout=10)  # the kiosk shows its screen fallback
            assert (heard["printer"], heard["status"], heard["away"]) == ("K1", "unknown", True)
            kiosk.close()
            alarms = hall.api("GET", "/alarms", "boss").json()
            assert any(a["subject"] == "printer:K1" and "offline" in a["message"] for a in alarms)
            half = settled(slow.serial)  # what the kernel's buffer still held goes out at 2400 baud
            assert half.count(ticket["number"].encode()) <= 1
            slow.start(hall, tmp_path / "agent.log")
            wait_until(
                lambda: print_status(hall, ticket) == "printed", timeout=60, what="printed after the restart"
            )
            text = decode(slow.serial.payload()[len(half) :]).text
            assert ticket["number"] in text and REPRINT in text  # once more, marked
            assert printer_status(hall, "K1") == "online"
        finally:
            server.terminate()
            server.wait(timeout=15)


def test_a_network_cut_loses_nothing_and_late_tickets_are_abandoned_not_printed(tmp_path, pcs):
    """The agent's line to the server is cut for 30 s while the kiosk issues tickets."""
    from tests.tcp_proxy import TcpProxy

    pc = pcs[0]
    hall = agents_hall(tmp_path / "hall", pcs[:1], printing="abandon_after = 15")
    server = hall.serve(tmp_path / "server.log")
    line = TcpProxy("127.0.0.1", hall.port)
    try:
        through = LiveHall(url=f"http://127.0.0.1:{line.port}", env=hall.env)
        pc.start(through, tmp_path / "agent.log")
        wait_until(lambda: printer_status(hall, "K1") == "online", what="the agent reports K1")
        before = issue(hall, "K1")
        wait_until(lambda: print_status(hall, before) == "printed", what="printed before the cut")
        line.cut()
        during = []
        for _ in range(10):
            during.append(issue(hall, "K1"))  # the kiosk goes on issuing: every ticket is there
            time.sleep(3)
        line.restore()
        ended = ("printed", "abandoned")
        wait_until(
            lambda: all(print_status(hall, t) in ended for t in during), timeout=90, what="every job ended"
        )
        after = issue(hall, "K1")
        wait_until(lambda: print_status(hall, after) == "printed", what="printed after the cut")
        outcome = {t["number"]: print_status(hall, t) for t in during}
        assert "abandoned" in outcome.values()  # the first of the cut waited over 15 s
        printed = decode(pc.serial.payload() + pc.tcp.payload()).text
        for number, status in outcome.items():
            assert printed.count(number) == (1 if status == "printed" else 0), (number, status)
        assert REPRINT not in printed
        assert printed.count(before["number"]) == 1 and printed.count(after["number"]) == 1
    finally:
        line.close()
        server.terminate()
        server.wait(timeout=15)


def test_two_processes_on_postgresql_and_redis_print_every_ticket_exactly_once(tmp_path, pcs):
    """Each agent on another `hallq serve` process; the kiosks issue through both."""
    from tests.conftest import new_postgres_database
    from tests.live.conftest import free_port
    from tests.live.test_scale_out import REDIS_URL, require_redis

    require_redis()
    with new_postgres_database() as database:
        hall = agents_hall(
            tmp_path / "hall", pcs, database_url=database.render_as_string(hide_password=False)
        )
        hall.env["SOCKETIO_MESSAGE_QUEUE"] = REDIS_URL
        other = LiveHall(url=f"http://127.0.0.1:{free_port()}", env=hall.env, tokens=hall.tokens)
        servers = [hall.serve(tmp_path / "first.log"), other.serve(tmp_path / "second.log")]
        try:
            pcs[0].start(hall, tmp_path / "pc-1.log")
            pcs[1].start(other, tmp_path / "pc-2.log")
            wait_until(lambda: printer_status(hall, "K1") == "online" and printer_status(other, "K2") == "online",
                       what="both agents report their printers")  # fmt: skip
            tickets = [issue((hall, other)[n % 2], kiosk) for n in range(10) for kiosk in ("K1", "K2")]
            wait_until(lambda: all(print_status(hall, t) == "printed" for t in tickets), timeout=60,
                       what="every ticket printed")  # fmt: skip
            on = {"K1": decode(pcs[0].serial.payload()).text, "K2": decode(pcs[1].tcp.payload()).text}
            for ticket, kiosk in zip(tickets, ["K1", "K2"] * 10, strict=True):
                assert on[kiosk].count(ticket["number"]) == 1, (ticket["number"], kiosk)
            assert REPRINT not in on["K1"] + on["K2"]
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=15)


def test_an_agent_pairs_with_a_code_and_runs_from_its_env_file(tmp_path, pcs):
    hall = agents_hall(tmp_path / "hall", pcs[:1])
    server = hall.serve(tmp_path / "server.log")
    home = tmp_path / "etc-hallq-agent"
    home.mkdir()
    env = {k: v for k, v in hall.env.items() if not k.startswith("HALLQ_AGENT_")}
    agent = None
    try:
        made = hall.api("POST", "/devices/pc-1/pairing", "boss")
        assert made.status_code == 201, made.text
        command = [sys.executable, "-m", "hallq", "agent", "pair", made.json()["code"], "--server", hall.url]
        done = subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "paired as agent pc-1" in done.stdout
        assert (home / ".env").stat().st_mode & 0o077 == 0  # the token is the PC's secret
        agent = subprocess.Popen(
            [sys.executable, "-m", "hallq", "agent"], cwd=home, env=env,
            stdout=(tmp_path / "agent.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: printer_status(hall, "K1") == "online", what="the paired agent reports K1")
        devices = {d["id"]: d for d in hall.api("GET", "/devices", "boss").json()}
        assert devices["pc-1"]["agent"]["online"] is True
        assert "printer:K1" in devices["pc-1"]["agent"]["devices"]
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait(timeout=15)
        server.terminate()
        server.wait(timeout=15)
