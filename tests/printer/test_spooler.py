"""Printing through real ports: a pseudo-terminal serial printer and a TCP printer on
127.0.0.1, both answering DLE EOT status queries, with paper out, a muted status line, a
backup printer and a cable pulled in the middle of a ticket."""

from __future__ import annotations

import queue
import threading

import pytest

from printer_driver import (
    JobReport,
    JobResult,
    Printer,
    PrinterSettings,
    PrinterStatus,
    PrintJob,
    RetryPolicy,
    Station,
)
from tests.printer.documents import TICKET, render
from tests.printer.escpos_decode import decode
from tests.printer.fake_printer import PrinterState, PtyPrinter, TcpPrinter

FAST = RetryPolicy(attempts=2, pause=0.05, replug_window=5.0, poll=60.0)


class Recorder:
    """The station's listener: what the hall would record and show."""

    def __init__(self) -> None:
        self.reports: queue.Queue[JobReport] = queue.Queue()
        self.states: list[tuple[str, PrinterStatus]] = []

    def job_done(self, report: JobReport) -> None:
        self.reports.put(report)

    def status_changed(self, printer: Printer) -> None:
        self.states.append((printer.name, printer.status))

    def report(self, timeout: float = 15) -> JobReport:
        return self.reports.get(timeout=timeout)


def ticket_job(job_id: int = 1) -> PrintJob:
    return PrintJob(
        job_id,
        "ticket A012",
        lambda s, reprint: render("ticket", s, {**TICKET, "reprint": "重打" if reprint else ""}),
    )


def serial(fake: PtyPrinter) -> PrinterSettings:
    return PrinterSettings(url=f"serial://{fake.path}?baudrate=9600")


def tcp(fake: TcpPrinter) -> PrinterSettings:
    return PrinterSettings(url=fake.url)


@pytest.fixture
def recorder():
    return Recorder()


def run(recorder: Recorder, *printers: tuple[str, PrinterSettings], job: PrintJob | None = None) -> JobReport:
    station = Station("K1", [Printer(name, s) for name, s in printers], recorder, FAST)
    try:
        station.submit(job or ticket_job())
        return recorder.report()
    finally:
        station.stop()


def test_a_serial_printer_receives_the_exact_ticket_bytes(tmp_path, recorder):
    with PtyPrinter(tmp_path) as fake:
        settings = serial(fake)
        report = run(recorder, ("K1", settings))
        expected = render("ticket", settings).data
        fake.wait_for(expected)
    assert report.result is JobResult.PRINTED and report.bytes == len(expected) and not report.reprinted
    assert fake.payload() == expected
    assert fake.received.startswith(b"\x10\x04\x01")  # asked before printing
    assert fake.received.endswith(b"\x10\x04\x04")  # and after
    assert "A012" in decode(fake.payload()).text


def test_a_network_printer_receives_the_exact_ticket_bytes(recorder):
    with TcpPrinter() as fake:
        settings = tcp(fake)
        report = run(recorder, ("K1", settings))
        expected = render("ticket", settings).data
        fake.wait_for(expected)
    assert report.result is JobResult.PRINTED
    assert fake.payload() == expected
    assert "青山县政务服务中心" in decode(fake.payload()).text


def test_paper_out_with_no_backup_fails_the_job_and_raises_the_alarm(tmp_path, recorder):
    with PtyPrinter(tmp_path, state=PrinterState(paper_out=True)) as fake:
        report = run(recorder, ("K1", serial(fake)))
        assert fake.payload() == b""  # nothing but status queries
    assert report.result is JobResult.FAILED
    assert report.error == "K1: paper_out"
    assert ("K1", PrinterStatus.PAPER_OUT) in recorder.states
    assert PrinterStatus.PAPER_OUT.alarm


def test_a_fault_sends_the_ticket_to_the_backup_printer(tmp_path, recorder):
    with PtyPrinter(tmp_path, state=PrinterState(cover_open=True)) as main, TcpPrinter() as backup:
        report = run(recorder, ("K1", serial(main)), ("K1 backup", tcp(backup)))
        backup.wait_for(b"A012")
        assert main.payload() == b""
    assert report.result is JobResult.PRINTED and report.printer == "K1 backup" and not report.reprinted
    assert "【重打】" not in decode(backup.payload()).text
    assert ("K1", PrinterStatus.COVER_OPEN) in recorder.states


def test_a_cable_pulled_mid_ticket_then_plugged_back_reprints_it_once_marked(tmp_path, recorder):
    with PtyPrinter(tmp_path, unplug_after=200) as fake:
        settings = serial(fake)
        station = Station("K1", [Printer("K1", settings)], recorder, FAST)
        try:
            station.submit(ticket_job())
            while fake.plugged:
                threading.Event().wait(0.02)
            first_part = fake.payload()
            fake.unplug_after = None
            threading.Timer(0.5, fake.replug).start()
            report = recorder.report()
        finally:
            station.stop()
        fake.wait_for("【重打】".encode("gb18030"))
    assert len(first_part) == 200
    assert report.result is JobResult.PRINTED and report.reprinted
    reprint = fake.payload()[200:]
    assert reprint == render("ticket", settings, {**TICKET, "reprint": "重打"}).data  # once, whole
    assert ("K1", PrinterStatus.OFFLINE) in recorder.states


def test_a_cable_pulled_mid_ticket_with_a_backup_reprints_it_there(tmp_path, recorder):
    with PtyPrinter(tmp_path, unplug_after=100) as main, TcpPrinter() as backup:
        report = run(recorder, ("K1", serial(main)), ("K1 backup", tcp(backup)))
        backup.wait_for(b"A012")
    assert report.printer == "K1 backup" and report.reprinted
    assert "【重打】" in decode(backup.payload()).text


def test_a_printer_that_never_comes_back_fails_the_job_within_the_window(tmp_path, recorder):
    policy = RetryPolicy(attempts=2, pause=0.05, replug_window=0.5, poll=60.0)
    with PtyPrinter(tmp_path, unplug_after=100) as fake:
        station = Station("K1", [Printer("K1", serial(fake))], recorder, policy)
        try:
            station.submit(ticket_job())
            report = recorder.report()
        finally:
            station.stop()
    assert report.result is JobResult.FAILED
    assert report.error == "K1: interrupted: offline after sending; K1: not back within 0.5 s"


def test_a_printer_that_does_not_answer_status_is_unknown_not_fine(tmp_path, recorder):
    with PtyPrinter(tmp_path, state=PrinterState(mute=True)) as fake:
        printer = Printer("K1", serial(fake))
        printer.check()
        printer.close()
        assert printer.status is PrinterStatus.UNKNOWN
        report = run(recorder, ("K1", serial(fake)))
        fake.wait_for(b"A012")
    assert report.result is JobResult.SENT  # the bytes went; nobody can say they printed


def test_paper_near_end_prints_and_warns(recorder):
    with TcpPrinter(state=PrinterState(paper_near_end=True)) as fake:
        report = run(recorder, ("K1", tcp(fake)))
    assert report.result is JobResult.PRINTED
    assert recorder.states == [("K1", PrinterStatus.PAPER_LOW)]


def test_an_unreachable_network_printer_is_offline(recorder):
    with TcpPrinter() as fake:
        settings = tcp(fake)
        fake.unplug()
        report = run(recorder, ("K1", settings))
    assert report.result is JobResult.FAILED
    assert report.error.startswith("K1: offline")


def test_offline_says_why():
    with TcpPrinter() as fake:
        printer = Printer("K1", tcp(fake))
        fake.unplug()
        printer.check()
    assert printer.status is PrinterStatus.OFFLINE and printer.error is not None
    assert printer.error.startswith(f"tcp://127.0.0.1:{fake.port}: ") and "refused" in printer.error


def test_a_network_printer_that_dropped_an_idle_connection_is_not_reported_offline():
    with TcpPrinter() as fake:
        printer = Printer("K1", tcp(fake))
        printer.check()
        fake.unplug()  # the printer closes the connection we held, and is back at once
        fake.replug()
        changed = printer.check()
        printer.close()
    assert printer.status is PrinterStatus.ONLINE and not changed


def test_at_9600_baud_the_check_after_a_ticket_waits_for_the_ticket_to_go_through(tmp_path, recorder):
    # The port's buffer takes the whole ticket at once; the status answer comes after its
    # last byte, about half a second later at 9600 baud.
    with PtyPrinter(tmp_path, simulated_baud=9600) as fake:
        report = run(recorder, ("K1", serial(fake)))
    assert report.result is JobResult.PRINTED
    assert report.seconds >= report.bytes * 10 / 9600
    assert PrinterStatus.UNKNOWN not in [status for _, status in recorder.states]
