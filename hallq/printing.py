"""The hall's printing, server side. Every print job goes through queue_core.printing's durable
queue: it is a row written in the transaction of what it prints. A job for a printer driven by
a hall PC's agent (`hallq agent`, hallq.agent) is pushed to that agent after the commit; the
agent claims it, fetches the document drawn for its printer, and reports how it ended. A job
for a printer the server drives itself is claimed by the server in the same transaction and
handed to that kiosk's printer_driver station after the commit, by the after-commit hook this
service registers with the Database. So printing never holds a request, never prints a ticket
that does not exist, and a job outlives a restart: `start` delivers what is still pending."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from printer_driver import (
    JobReport,
    Printer,
    PrinterSettings,
    PrinterStatus,
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
from queue_core import printing as queue
from queue_core.events import PrinterState, PrintQueued
from queue_core.halls import hall_by_code, hall_by_id
from queue_core.models import Hall, PrintRecord, PrintStatus
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
class PrinterView:
    """A kiosk's printer as the hall sees it now, wherever it is driven from."""

    name: str
    kiosk: str
    agent: str  # "" for the server
    settings: PrinterSettings
    status: str
    error: str | None
    away: bool = False  # its agent is offline


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
        # One Printer per address: a kiosk's backup may be another kiosk's printer.
        self.printers: dict[str, Printer] = {}
        self.kiosk_printers: dict[str, list[Printer]] = {}
        self.owner: dict[str, str] = {}  # printer name -> the kiosk that declared it
        self.agent_of: dict[str, str] = {}  # printer name -> its agent ("" for the server)
        for kiosk in spec.kiosks:
            roles = [(kiosk.id, kiosk.printer), (f"{kiosk.id} backup", kiosk.backup_printer)]
            self.kiosk_printers[kiosk.id] = [
                self._printer(name, settings, kiosk.id, settings.agent or queue.SERVER)
                for name, settings in roles
                if settings
            ]
        self._stations: dict[str, Station] = {}
        self._lock = threading.Lock()
        self._hall_id: int | None = None
        self._recorded: WeakKeyDictionary[UnitOfWork, list[PrintRecord]] = WeakKeyDictionary()
        db.after_commit.append(self._deliver_committed)

    def _printer(self, name: str, settings: PrinterSettings, kiosk: str, agent: str) -> Printer:
        # Every "dummy:" is a printer of its own; a real address is one device however named
        # (on one PC: the same URL on two agents is two devices).
        key = f"{settings.url}#{name}" if settings.address.scheme == "dummy" else f"{agent}/{settings.url}"
        if key not in self.printers:
            self.printers[key] = Printer(name, settings)
            self.owner[name] = kiosk
            self.agent_of[name] = agent
        return self.printers[key]

    def printers_of(self, agent: str) -> dict[str, list[Printer]]:
        """Each kiosk's printers that `agent` drives, in the order they are tried."""
        found = {
            k: [p for p in ps if self.agent_of[p.name] == agent] for k, ps in self.kiosk_printers.items()
        }
        return {kiosk: printers for kiosk, printers in found.items() if printers}

    def described(self, agent: str) -> dict[str, tuple[str, str]]:
        """agent's printers: name → (kiosk, url)."""
        return {
            p.name: (self.owner[p.name], p.settings.url)
            for ps in self.printers_of(agent).values()
            for p in ps
        }

    def backups(self) -> dict[str, queue.Destination]:
        """Each kiosk's backup printer, where it has one."""
        found = {k: ps[1] for k, ps in self.kiosk_printers.items() if len(ps) > 1}
        return {k: queue.Destination(p.name, self.agent_of[p.name]) for k, p in found.items()}

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
    ) -> PrintRecord:
        """The job, in the caller's transaction, for the kiosk's first printer that can take
        it; failed at once when none can (every one out of order, or its agent away: the kiosk
        then shows its screen fallback). It is delivered once the transaction commits."""
        printers = self.views(uow, hall, kiosk)[kiosk]
        usable = [p for p in printers if PrinterStatus(p.status).can_print]
        refused = ""
        if not usable:
            refused = "; ".join(
                f"{p.name}: {p.status}" + (f" ({p.error})" if p.error else "") for p in printers
            )
            refused = refused or f"kiosk {kiosk} has no printer"
        chosen = next(iter(usable or printers), None)
        record = queue.enqueue(
            uow,
            hall,
            kind=kind,
            kiosk=kiosk,
            document={"fields": dict(fields), "label": label},
            to=queue.Destination(chosen.name, chosen.agent) if chosen else None,
            ticket_id=ticket_id,
            item_id=item_id,
            refused=refused,
        )
        # At hand for the after-commit hook, which then need not read it back; a rolled-back
        # transaction's list goes with its unit of work.
        self._recorded.setdefault(uow, []).append(record)
        return record

    def views(self, uow: UnitOfWork, hall: Hall, kiosk: str | None = None) -> dict[str, list[PrinterView]]:
        """Every kiosk's printers (or one kiosk's) and their state: the server's own as its
        stations found them, an agent's as the agent last reported them (unknown while it is
        away). The agents are read only when one of those printers is on an agent: a
        ticket's request pays nothing for a hall without agents."""
        wanted = {kiosk: self.kiosk_printers.get(kiosk, [])} if kiosk is not None else self.kiosk_printers
        on_agents = any(self.agent_of[p.name] for printers in wanted.values() for p in printers)
        remote = queue.agents(uow, hall) if on_agents else {}
        answer: dict[str, list[PrinterView]] = {}
        for name, printers in wanted.items():
            answer[name] = []
            for printer in printers:
                agent = self.agent_of[printer.name]
                status, error, away = str(printer.status), printer.error, False
                if agent:
                    found = remote.get(agent)
                    away = found is None or not found.online
                    reported = {} if found is None or away else found.printers.get(printer.name, {})
                    status = reported.get("status", "unknown")
                    error = f"agent {agent} is offline" if away else reported.get("error")
                answer[name].append(
                    PrinterView(printer.name, name, agent, printer.settings, status, error, away)
                )
        return answer

    def agent_printer(self, agent: str, name: str) -> Printer | None:
        """The printer of that name that `agent` drives, if it drives one."""
        return next((p for ps in self.printers_of(agent).values() for p in ps if p.name == name), None)

    # -- after the commit ---------------------------------------------------------------

    def _deliver_committed(self, uow: UnitOfWork) -> None:
        """The Database's after-commit hook: the server's own jobs go to their stations (an
        agent's job went out with the events, to the agent's room)."""
        recorded = {record.id: record for record in self._recorded.pop(uow, ())}
        for event in uow.events:
            if isinstance(event, PrintQueued) and event.agent == queue.SERVER:
                self._submit(event.job_id, event.kiosk, recorded.get(event.job_id), reprint=False)

    def _submit(self, job_id: int, kiosk: str, record: PrintRecord | None, *, reprint: bool) -> None:
        """To the kiosk's station; a job not at hand (moved here by another transaction) is
        read when it prints, in the station's thread."""
        station = self._station(kiosk)
        if station is None:
            return
        loaded = [record] if record is not None else []

        def render(settings: PrinterSettings, again: bool) -> Rendered:
            if not loaded:
                with self.db.read() as uow:
                    row = uow.session.get(PrintRecord, job_id)
                    assert row is not None  # written before its job was submitted
                    loaded.append(row)
            return self.render(loaded[0], settings, again)

        station.submit(PrintJob(job_id, f"print job {job_id}", render, reprint=reprint))

    def render(self, record: PrintRecord, settings: PrinterSettings, reprint: bool) -> Rendered:
        """The job's document drawn for a printer, marked 重打 when printed again."""
        values = {**record.document.get("fields", {}), "reprint": REPRINT_MARK if reprint else ""}
        renderer = renderer_for(settings, logo=self.layout.logo_path, font=self.font)
        return renderer.render(lay_out(self.layout.blocks(record.kind), values, settings.columns))

    def _station(self, kiosk: str) -> Station | None:
        with self._lock:
            if kiosk not in self._stations:
                own = self.printers_of(queue.SERVER).get(kiosk)
                if not own:
                    return None
                self._stations[kiosk] = Station(kiosk, own, self, self.policy)
            return self._stations[kiosk]

    def start(self) -> None:
        """In the serving process: watch the server's own printers, and deliver again the
        jobs a stop left pending (claimed ones are printed again marked 重打, or abandoned)."""
        for kiosk in self.printers_of(queue.SERVER):
            self._station(kiosk)
        rules = self.spec.printing
        try:
            with audit.acting_as(self._actor("printing.redeliver")), self.db.write() as uow:
                hall = hall_by_code(uow, self.spec.hall.code)
                mine = queue.pending(uow, hall, queue.SERVER, queue.SERVER_CLAIMER)
                claims = [
                    queue.claim(
                        uow,
                        hall,
                        job,
                        agent=queue.SERVER,
                        claimer=queue.SERVER_CLAIMER,
                        abandon_after=rules.abandon_after,
                    )
                    for job in mine
                ]
        except Exception:  # the database is away: serve anyway; the jobs wait for the next start
            log.exception("could not take up the print jobs left pending")
            return
        for claimed in claims:
            if not claimed.abandoned:
                self._submit(claimed.record.id, claimed.record.kiosk, claimed.record, reprint=claimed.reprint)

    def close(self) -> None:
        with self._lock:
            stations, self._stations = list(self._stations.values()), {}
        for station in stations:
            station.stop()

    # -- from the stations' threads (printer_driver's PrintListener) -----------------------

    def job_done(self, report: JobReport) -> None:
        try:
            with audit.acting_as(self._actor("printing.job_done")), self.db.write() as uow:
                queue.finish(
                    uow,
                    hall_by_id(uow, self._hall()),  # by key: the cheapest read, once per ticket
                    report.job_id,
                    claimer=queue.SERVER_CLAIMER,
                    status=PrintStatus(report.result.value),
                    printer=report.printer,
                    url=report.url,
                    size=report.bytes,
                    reprinted=report.reprinted,
                    error=report.error or "",
                    problems=report.problems,
                    backups=self.backups(),
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
                with audit.acting_as(self._actor("alarms.printer_changed")), self.db.write() as uow:
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

    def _actor(self, action: str) -> audit.Actor:
        return audit.Actor(hall_id=self._hall(), kind="system", id="printer", action=action)

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
