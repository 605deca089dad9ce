"""Getting documents out of the hall's printers without holding anyone up.

Each kiosk has a station: a thread with its own job queue, a printer and perhaps a backup.
A request only enqueues (the ticket is already committed); the station renders for whichever
printer takes the job, checks the printer's state before and after (DLE EOT), fails over to
the backup, and when a printer is pulled out in the middle of a job, prints that job once more,
marked 重打, on the backup or on the same printer when it is plugged back in.

Nothing here knows about Flask or the database: what happens is told to a listener.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from .render import Rendered
from .settings import PrinterSettings
from .status import PrinterStatus
from .transports import PrinterUnavailable, Transport, transport_for

log = logging.getLogger(__name__)


class JobResult(StrEnum):
    PRINTED = "printed"  # the printer took every byte and reported itself fine afterwards
    SENT = "sent"  # every byte went out, but the printer does not report its state
    FAILED = "failed"  # no printer could take it


STATUS_SECONDS = 0.5  # a printer answers DLE EOT at once; one that has not by then will not
REFUSED, INTERRUPTED = "refused", "interrupted"  # how a printer failed a job

# Renders a document for a printer; the flag asks for the 重打 mark of a second printing.
RenderFn = Callable[[PrinterSettings, bool], Rendered]


@dataclass
class PrintJob:
    id: int
    label: str  # for people: "ticket A012", "notice GA001"
    render: RenderFn
    # Printed again after a restart mid-job (it may have come out half): marked 重打 from the start.
    reprint: bool = False


@dataclass
class JobReport:
    job_id: int
    printer: str  # the printer's name, e.g. "K1" or "K1 backup"
    url: str
    result: JobResult
    bytes: int = 0
    reprinted: bool = False
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


class PrintListener(Protocol):
    def job_done(self, report: JobReport) -> None: ...

    def status_changed(self, printer: Printer) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries to reach a printer that cannot be opened
    pause: float = 1.0  # seconds between them
    replug_window: float = 120.0  # how long an interrupted job waits for its printer to return
    poll: float = 30.0  # seconds between state checks of an idle printer


class Printer:
    """One physical printer: its connection and its last known state. The lock keeps two
    stations that share it (one kiosk's backup is another's printer) from interleaving."""

    def __init__(self, name: str, settings: PrinterSettings, transport: Transport | None = None) -> None:
        self.name = name
        self.settings = settings
        self.transport = transport or transport_for(settings.address)
        self.lock = threading.Lock()
        self.status = PrinterStatus.UNKNOWN
        self.error: str | None = None

    def check(self, pending: int = 0) -> bool:
        """Read the printer's state; True if it changed. `pending`: bytes just sent, which the
        answer queues behind on a slow line (a port's buffer takes a whole ticket at once)."""
        with self.lock:
            status = self.transport.status(STATUS_SECONDS + self.transport.line_seconds(pending))
        if status is PrinterStatus.OFFLINE:
            return self._set(status, self.transport.last_error or self.error)
        return self._set(status, None)

    def send(self, data: bytes) -> None:
        with self.lock:
            self.transport.write(data)

    def close(self) -> None:
        with self.lock:
            self.transport.close()

    def fault(self, error: str) -> bool:
        return self._set(PrinterStatus.OFFLINE, error)

    def _set(self, status: PrinterStatus, error: str | None) -> bool:
        changed = (status, error) != (self.status, self.error)
        self.status, self.error = status, error
        return changed


class Station:
    """A kiosk's printing: a worker thread, its printer and an optional backup."""

    def __init__(
        self,
        name: str,
        printers: list[Printer],
        listener: PrintListener,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.printers = printers
        self.listener = listener
        self.policy = policy or RetryPolicy()
        self._jobs: queue.Queue[PrintJob | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"printer {name}", daemon=True)
        self._thread.start()

    def submit(self, job: PrintJob) -> None:
        self._jobs.put(job)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._jobs.put(None)
        self._thread.join(timeout)
        for printer in self.printers:
            printer.close()

    def _run(self) -> None:
        self._check_all()
        while not self._stopping.is_set():
            try:
                job = self._jobs.get(timeout=self.policy.poll)
            except queue.Empty:
                self._check_all()
                continue
            if job is None:
                break
            try:
                report = self._print(job)
            except Exception as exc:  # a bug must not kill the kiosk's printing for the day
                log.exception("printing %s failed", job.label)
                report = JobReport(job.id, self.name, "", JobResult.FAILED, error=f"internal error: {exc}")
            self.listener.job_done(report)

    def _check_all(self) -> None:
        for printer in self.printers:
            try:
                changed = printer.check()
            except Exception:  # a bug must not stop the kiosk's printing
                log.exception("checking printer %s failed", printer.name)
                continue
            if changed:
                self.listener.status_changed(printer)

    def _print(self, job: PrintJob) -> JobReport:
        started = time.monotonic()
        interrupted: Printer | None = None
        errors: list[str] = []
        report: JobReport | None = None
        for printer in self.printers:
            outcome = self._try(job, printer, reprint=job.reprint or interrupted is not None, errors=errors)
            if isinstance(outcome, JobReport):
                report = outcome
                break
            if outcome == INTERRUPTED:
                interrupted = interrupted or printer
        if report is None and interrupted is not None:
            report = self._after_replug(job, interrupted, errors)
        if report is None:
            primary = self.printers[0]
            report = JobReport(
                job.id, primary.name, primary.settings.url, JobResult.FAILED, error="; ".join(errors)
            )
        report.seconds = time.monotonic() - started
        return report

    def _try(self, job: PrintJob, printer: Printer, *, reprint: bool, errors: list[str]) -> JobReport | str:
        """One printer's go at the job: its report, or REFUSED or INTERRUPTED with the reason
        added to errors."""
        for attempt in range(1, self.policy.attempts + 1):
            self._note(printer, printer.check())
            if printer.status is not PrinterStatus.OFFLINE or attempt == self.policy.attempts:
                break
            self._stopping.wait(self.policy.pause)  # a printer busy with someone else, a loose cable
        if not printer.status.can_print:
            errors.append(
                f"{printer.name}: {printer.status}" + (f" ({printer.error})" if printer.error else "")
            )
            return REFUSED
        rendered = job.render(printer.settings, reprint)
        try:
            printer.send(rendered.data)
        except PrinterUnavailable as exc:
            self._note(printer, printer.fault(str(exc)))
            errors.append(f"{printer.name}: interrupted: {exc}")
            return INTERRUPTED
        self._note(printer, printer.check(pending=len(rendered.data)))
        if not printer.status.can_print:
            # The bytes left us, but the roll ended, the cover opened or the cable came out
            # under them (a port's buffer takes a whole ticket): half a ticket at best.
            errors.append(f"{printer.name}: interrupted: {printer.status} after sending")
            return INTERRUPTED
        result = JobResult.SENT if printer.status is PrinterStatus.UNKNOWN else JobResult.PRINTED
        return JobReport(
            job.id,
            printer.name,
            printer.settings.url,
            result,
            bytes=len(rendered.data),
            reprinted=reprint,
            problems=rendered.problems,
        )

    def _after_replug(self, job: PrintJob, printer: Printer, errors: list[str]) -> JobReport | None:
        """Wait (boundedly) for the printer that lost the job to come back, then print the job
        once more, marked 重打."""
        deadline = time.monotonic() + self.policy.replug_window
        while time.monotonic() < deadline and not self._stopping.is_set():
            self._stopping.wait(self.policy.pause)
            self._note(printer, printer.check())
            if printer.status.can_print:
                outcome = self._try(job, printer, reprint=True, errors=errors)
                return outcome if isinstance(outcome, JobReport) else None
        errors.append(f"{printer.name}: not back within {self.policy.replug_window:g} s")
        return None

    def _note(self, printer: Printer, changed: bool) -> None:
        if changed:
            self.listener.status_changed(printer)
