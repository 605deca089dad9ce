"""The hall's printing: printer_driver's per-kiosk stations wired to the print record (the
database) and to the displays. A ticket's print job is recorded in the ticket's own
transaction and handed to the kiosk's station only after the commit, so printing never
holds a request and never prints a ticket that does not exist."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from printer_driver import (
    JobReport,
    Printer,
    PrinterSettings,
    PrintJob,
    Rendered,
    RetryPolicy,
    Station,
    lay_out,
    load_layout,
    renderer_for,
)
from printer_driver.layout import FieldValue, Kind
from queue_core import Database, UnitOfWork, alarms, audit
from queue_core.events import PrinterState
from queue_core.halls import hall_by_code
from queue_core.models import Hall, PrintRecord, PrintStatus
from queue_core.printing import finish_print_job, record_print_job
from queue_core.spec import HallSpec

from .config_files import font_path, layout_path

log = logging.getLogger(__name__)

PRIORITY_LABELS = {
    "senior": "老年人优先",
    "disabled": "残疾人优先",
    "military": "军人优先",
    "green_channel": "绿色通道",
    "appointment": "预约优先",
}
REPRINT_MARK = "重打"


@dataclass(frozen=True)
class PendingPrint:
    """A recorded job and what it prints, waiting for its transaction to commit."""

    record: PrintRecord
    kind: Kind
    fields: Mapping[str, FieldValue]
    label: str  # for people: "ticket A012", "notice GA001"


class PrintService:
    def __init__(
        self, spec: HallSpec, config_dir: Path, db: Database, policy: RetryPolicy | None = None
    ) -> None:
        self.spec = spec
        self.db = db
        self.policy = policy
        self.layout = load_layout(layout_path(spec, config_dir))
        self.font = font_path(spec, config_dir)
        self.zone = ZoneInfo(spec.hall.timezone)
        # One Printer per URL: a kiosk's backup may be another kiosk's printer.
        self.printers: dict[str, Printer] = {}
        self.kiosk_printers: dict[str, list[Printer]] = {}
        self.owner: dict[str, str] = {}  # printer name -> the kiosk that declared it
        for kiosk in spec.kiosks:
            roles = [(kiosk.id, kiosk.printer), (f"{kiosk.id} backup", kiosk.backup_printer)]
            self.kiosk_printers[kiosk.id] = [self._printer(name, s, kiosk.id) for name, s in roles if s]
        self._stations: dict[str, Station] = {}
        self._lock = threading.Lock()
        self._hall_id: int | None = None

    def _printer(self, name: str, settings: PrinterSettings, kiosk: str) -> Printer:
        # Every "dummy:" is a printer of its own; a real address is one device however named.
        key = f"{settings.url}#{name}" if settings.address.scheme == "dummy" else settings.url
        if key not in self.printers:
            self.printers[key] = Printer(name, settings)
            self.owner[name] = kiosk
        return self.printers[key]

    # -- in the request ---------------------------------------------------------------

    def record(
        self,
        uow: UnitOfWork,
        hall: Hall,
        *,
        kind: Kind,
        kiosk: str,
        fields: Mapping[str, FieldValue],
        label: str,
        ticket_id: int | None = None,
        item_id: int | None = None,
    ) -> PendingPrint:
        """The job, in the caller's transaction: queued, or failed at once when every printer
        of the kiosk is known to be out of order (the kiosk then shows the fallback). Hand it
        to `submit` after the commit."""
        printers = self.kiosk_printers.get(kiosk, [])
        refused = ""
        if not any(p.status.can_print for p in printers):
            refused = "; ".join(f"{p.name}: {p.status}" for p in printers) or f"kiosk {kiosk} has no printer"
        record = record_print_job(
            uow,
            hall,
            kind=kind,
            kiosk=kiosk,
            ticket_id=ticket_id,
            item_id=item_id,
            refused=refused,
            printer=printers[0].name if printers else "",
        )
        return PendingPrint(record, kind, fields, label)

    def submit(self, pending: PendingPrint) -> None:
        """After the commit: hand the job to the kiosk's station."""
        if pending.record.status != PrintStatus.QUEUED:
            return
        blocks = self.layout.blocks(pending.kind)

        def render(settings: PrinterSettings, reprint: bool) -> Rendered:
            values = {**pending.fields, "reprint": REPRINT_MARK if reprint else ""}
            renderer = renderer_for(settings, logo=self.layout.logo_path, font=self.font)
            return renderer.render(lay_out(blocks, values, settings.columns))

        self._station(pending.record.kiosk).submit(PrintJob(pending.record.id, pending.label, render))

    def _station(self, kiosk: str) -> Station:
        with self._lock:
            if kiosk not in self._stations:
                self._stations[kiosk] = Station(kiosk, self.kiosk_printers[kiosk], self, self.policy)
            return self._stations[kiosk]

    def start(self) -> None:
        """Start watching every kiosk's printers (a station checks them when it starts)."""
        for kiosk in self.kiosk_printers:
            self._station(kiosk)

    def close(self) -> None:
        with self._lock:
            stations, self._stations = list(self._stations.values()), {}
        for station in stations:
            station.stop()

    # -- from the stations' threads (printer_driver's PrintListener) -----------------------

    def job_done(self, report: JobReport) -> None:
        try:
            actor = audit.Actor(hall_id=self._hall(), kind="system", id="printer", action="printing.job_done")
            with audit.acting_as(actor), self.db.write() as uow:
                finish_print_job(
                    uow,
                    report.job_id,
                    status=PrintStatus(report.result.value),
                    printer=report.printer,
                    url=report.url,
                    size=report.bytes,
                    reprinted=report.reprinted,
                    error=report.error or "",
                    problems=report.problems,
                )
        except Exception:  # the record is lost, the printing is not: keep the station alive
            log.exception("could not record print job %s (%s)", report.job_id, report.result)

    def status_changed(self, printer: Printer) -> None:
        """Announce the printer's new state; a fault raises its alarm on the managers'
        dashboard and working again clears it (a write only when the alarm changes)."""
        try:
            event = PrinterState(
                hall_id=self._hall(),
                printer=printer.name,
                kiosk=self.owner.get(printer.name, ""),
                url=printer.settings.url,
                status=printer.status,
                alarm=printer.status.alarm,
                error=printer.error,
            )
        except Exception:
            log.exception("could not announce the state of printer %s", printer.name)
            return
        try:
            with self.db.read() as uow:
                hall = hall_by_code(uow, self.spec.hall.code)
                changes = alarms.printer_needs_write(uow, hall, event.printer, event.alarm)
            if changes:
                actor = audit.Actor(
                    hall_id=event.hall_id, kind="system", id="printer", action="alarms.printer_changed"
                )
                with audit.acting_as(actor), self.db.write() as uow:
                    hall = hall_by_code(uow, self.spec.hall.code)
                    args = (event.printer, event.kiosk, str(event.status), event.alarm, event.error)
                    alarms.printer_changed(uow, hall, *args)
                    uow.record(event)  # published after the commit, with the alarm
                return
        except Exception:  # the alarm is lost, the printer's state is not: announce it anyway
            log.exception("could not raise or clear the alarm of printer %s", printer.name)
        try:
            self.db.publisher((event,))
        except Exception:
            log.exception("could not announce the state of printer %s", printer.name)

    def _hall(self) -> int:
        if self._hall_id is None:
            with self.db.read() as uow:
                self._hall_id = hall_by_code(uow, self.spec.hall.code).id
        return self._hall_id

    # -- documents ------------------------------------------------------------------------

    def local_time(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def window_numbers(numbers: list[int]) -> str:
    """1、2、16号窗口: short enough for a ticket even when many windows serve a queue."""
    return "、".join(str(n) for n in numbers) + "号窗口" if numbers else ""
