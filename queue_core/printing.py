"""The durable print queue. A job is a row written in the transaction of what it prints, with
the document's fields and the printer (and so the agent) it goes to. Whoever drives that
printer, a hall PC's agent or the server itself, claims it, prints it and reports how it ended.
A job is claimed once; claimed again by the same claimer after a restart, it is printed again
marked 重打 (it may have come out half). A ticket not printed within the hall's
`abandon_after` is abandoned: the citizen has gone, and the kiosk's screen showed the number.

The printing itself is printer_driver's; nothing here opens a printer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select

from . import alarms
from .errors import InvalidState, NotFound, NotPermitted
from .events import PrintDone, PrinterState, PrintQueued
from .models import AgentState, Hall, PrintRecord, PrintStatus
from .unit_of_work import UnitOfWork

SERVER = ""  # the agent of the printers the server drives itself
SERVER_CLAIMER = "server"
FINISHED = (PrintStatus.PRINTED, PrintStatus.SENT, PrintStatus.FAILED, PrintStatus.ABANDONED)

_LATEST_FOR_TICKET = select(PrintRecord).order_by(PrintRecord.id.desc()).limit(1)


@dataclass(frozen=True)
class Destination:
    """A printer a job may go to: its name ("K1", "K1 backup") and the agent that drives it."""

    printer: str
    agent: str = SERVER


def enqueue(
    uow: UnitOfWork,
    hall: Hall,
    *,
    kind: str,
    kiosk: str,
    document: dict[str, Any],
    to: Destination | None,
    ticket_id: int | None = None,
    item_id: int | None = None,
    refused: str = "",
) -> PrintRecord:
    """A job for the printer `to`, in the caller's transaction; delivered after its commit
    (the PrintQueued event). With `refused` (no printer of the kiosk can take it now), it is
    recorded as failed at once and the kiosk shows its screen fallback."""
    # The server's own printers are driven by the process that committed the job: it is theirs
    # from the start, and a restart finds it claimed (queue_core.printing.pending).
    by_server = to is not None and to.agent == SERVER and not refused
    record = PrintRecord(
        hall_id=hall.id,
        kind=kind,
        kiosk=kiosk,
        ticket_id=ticket_id,
        item_id=item_id,
        printer=to.printer if to else "",
        agent=to.agent if to else SERVER,
        document=document,
        status=PrintStatus.FAILED if refused else PrintStatus.CLAIMED if by_server else PrintStatus.QUEUED,
        claimed_by=SERVER_CLAIMER if by_server else "",
        claimed_at=uow.now() if by_server else None,
        error=refused,
        created_at=uow.now(),
        finished_at=uow.now() if refused else None,
    )
    uow.session.add(record)
    uow.session.flush()
    uow.record(_done(record) if refused else _queued(record))
    return record


@dataclass(frozen=True)
class Claim:
    """A claimed job: print it (marked 重打 when `reprint`), unless it was abandoned."""

    record: PrintRecord
    reprint: bool = False

    @property
    def abandoned(self) -> bool:
        return self.record.status == PrintStatus.ABANDONED


def claim(
    uow: UnitOfWork, hall: Hall, job_id: int, *, agent: str, claimer: str, abandon_after: float
) -> Claim:
    """`claimer` takes job `job_id` of `agent`'s printers. Refused (InvalidState) when someone
    else holds it or it has ended; abandoned instead when it is a ticket older than
    `abandon_after` seconds."""
    record = _locked(uow, hall, job_id)
    if record.agent != agent:
        raise NotPermitted(
            f"print job {job_id} goes to {_agent_name(record.agent)}, not {_agent_name(agent)}"
        )
    if record.status in FINISHED:
        raise InvalidState(f"print job {job_id} has ended: {record.status}")
    if record.status == PrintStatus.CLAIMED and record.claimed_by != claimer:
        raise InvalidState(f"print job {job_id} is being printed by {record.claimed_by}")
    if _too_late(uow, record, abandon_after):
        _finish(uow, record, PrintStatus.ABANDONED, error=f"not printed within {abandon_after:g} s")
        return Claim(record)
    again = record.status == PrintStatus.CLAIMED  # its claimer restarted mid-job
    record.status, record.claimed_by, record.claimed_at = PrintStatus.CLAIMED, claimer, uow.now()
    return Claim(record, reprint=again)


def finish(
    uow: UnitOfWork,
    hall: Hall,
    job_id: int,
    *,
    claimer: str,
    status: PrintStatus,
    printer: str,
    url: str,
    size: int,
    reprinted: bool,
    error: str = "",
    problems: list[str] | None = None,
    backups: Mapping[str, Destination] | None = None,
) -> PrintRecord:
    """How a claimed job ended, as its claimer reports it. A failed job goes on to its kiosk's
    backup printer (`backups`: kiosk → backup) when another agent drives it: the claimer has
    tried the printers it drives itself."""
    record = _locked(uow, hall, job_id)
    if record.status != PrintStatus.CLAIMED or record.claimed_by != claimer:
        raise InvalidState(f"print job {job_id} is not being printed by {claimer} (it is {record.status})")
    record.printer, record.url, record.bytes = printer, url, size
    record.reprinted, record.problems = reprinted, problems or []
    backup = (backups or {}).get(record.kiosk)
    if status == PrintStatus.FAILED and backup is not None and backup.agent != record.agent:
        _send_on(uow, record, backup, f"{error}; sent to {backup.printer}")
        return record
    _finish(uow, record, status, error=error)
    if record.agent != SERVER:
        agent = agent_state(uow, hall, record.agent)
        agent.last_job_id, agent.last_job_at = record.id, uow.now()
    return record


def pending(uow: UnitOfWork, hall: Hall, agent: str, claimer: str) -> list[int]:
    """The jobs `claimer` should (re)take for `agent`'s printers, oldest first: those waiting,
    and those it claimed and never reported (it restarted)."""
    waiting = (PrintRecord.status == PrintStatus.QUEUED) | (
        (PrintRecord.status == PrintStatus.CLAIMED) & (PrintRecord.claimed_by == claimer)
    )
    query = (
        select(PrintRecord.id)
        .where(PrintRecord.status.in_((PrintStatus.QUEUED, PrintStatus.CLAIMED)))
        .where(PrintRecord.hall_id == hall.id, PrintRecord.agent == agent, waiting)
        .order_by(PrintRecord.id)
    )
    return list(uow.session.scalars(query))


def _waiting_since(hall: Hall, moment: datetime) -> Any:
    return select(PrintRecord).where(
        PrintRecord.hall_id == hall.id,
        PrintRecord.status == PrintStatus.QUEUED,
        PrintRecord.created_at <= moment,
    )


def anything_overdue(uow: UnitOfWork, hall: Hall, claim_timeout: float, abandon_after: float) -> bool:
    """Whether `sweep` has a job to move or abandon (a read suffices)."""
    stale = uow.now() - timedelta(seconds=min(claim_timeout, abandon_after))
    return (
        uow.session.scalar(_waiting_since(hall, stale).with_only_columns(PrintRecord.id).limit(1)) is not None
    )


def sweep(
    uow: UnitOfWork,
    hall: Hall,
    *,
    backups: Mapping[str, Destination],
    claim_timeout: float,
    abandon_after: float,
) -> int:
    """The sweeper's round: tickets waiting past `abandon_after` are abandoned; a job nobody
    claimed within `claim_timeout` goes to its kiosk's backup printer (`backups`: kiosk → its
    backup), once. How many jobs changed."""
    now = uow.now()
    stale = now - timedelta(seconds=min(claim_timeout, abandon_after))
    changed = 0
    for record in uow.session.scalars(_waiting_since(hall, stale).with_for_update(skip_locked=True)):
        backup = backups.get(record.kiosk)
        if _too_late(uow, record, abandon_after):
            _finish(uow, record, PrintStatus.ABANDONED, error=f"not printed within {abandon_after:g} s")
        elif backup is not None and record.printer != backup.printer:
            waited = (now - record.created_at).total_seconds()
            _send_on(
                uow,
                record,
                backup,
                f"{record.printer}: not taken within {waited:.0f} s; sent to {backup.printer}",
            )
        else:
            continue
        changed += 1
    return changed


def latest_print_job(uow: UnitOfWork, ticket_id: int) -> PrintRecord | None:
    return uow.session.scalar(_LATEST_FOR_TICKET.where(PrintRecord.ticket_id == ticket_id))


# -- agents: the hall PCs that drive printers -------------------------------------------------


def agent_state(uow: UnitOfWork, hall: Hall, agent: str) -> AgentState:
    found = uow.session.scalar(
        select(AgentState).where(AgentState.hall_id == hall.id, AgentState.agent == agent)
    )
    if found is None:
        found = AgentState(
            hall_id=hall.id,
            agent=agent,
            online=False,
            since=uow.now(),
            version="",
            address="",
            connection="",
            printers={},
        )
        uow.session.add(found)
        uow.session.flush()
    return found


def agents(uow: UnitOfWork, hall: Hall) -> dict[str, AgentState]:
    return {a.agent: a for a in uow.session.scalars(select(AgentState).where(AgentState.hall_id == hall.id))}


def agent_connected(uow: UnitOfWork, hall: Hall, agent: str, *, connection: str, address: str) -> None:
    found = agent_state(uow, hall, agent)
    if not found.online:
        found.since = uow.now()
    found.online, found.address, found.connection = True, address, connection


def agent_disconnected(
    uow: UnitOfWork, hall: Hall, agent: str, *, connection: str, printers: dict[str, tuple[str, str]]
) -> bool:
    """The agent's connection `connection` ended. Unless the agent is connected again by
    another (a restart whose new socket came first), it is offline: its printers (name →
    (kiosk, url)) become `unknown`, each with its alarm. False when nothing changed."""
    found = agent_state(uow, hall, agent)
    if found.connection != connection:
        return False
    found.online, found.since, found.connection = False, uow.now(), ""
    error = f"agent {agent} is offline"
    report = {name: {"status": "unknown", "error": error} for name in printers}
    for name, (kiosk, url) in printers.items():
        _printer_changed(uow, hall, name, kiosk, url, "unknown", error, fault=True, away=True)
    found.printers = report
    return True


def printers_reported(
    uow: UnitOfWork,
    hall: Hall,
    agent: str,
    *,
    version: str,
    reported: dict[str, dict[str, Any]],
    printers: dict[str, tuple[str, str]],
) -> None:
    """The agent's own report of its printers (name → {"status", "error"}): each change is
    announced, and raises or clears the printer's alarm."""
    found = agent_state(uow, hall, agent)
    found.version = version[:40]
    before = found.printers or {}
    for name, now in reported.items():
        if name not in printers or before.get(name) == now:
            continue
        kiosk, url = printers[name]
        status, error = str(now.get("status", "unknown")), now.get("error")
        _printer_changed(uow, hall, name, kiosk, url, status, error, fault=status in _FAULTS)
    found.printers = {name: now for name, now in reported.items() if name in printers}


_FAULTS = ("paper_low", "paper_out", "cover_open", "offline")


def _printer_changed(
    uow: UnitOfWork,
    hall: Hall,
    name: str,
    kiosk: str,
    url: str,
    status: str,
    error: str | None,
    *,
    fault: bool,
    away: bool = False,
) -> None:
    alarms.printer_changed(uow, hall, name, kiosk, status, fault, error)
    uow.record(
        PrinterState(
            hall_id=hall.id,
            printer=name,
            kiosk=kiosk,
            url=url,
            status=status,
            alarm=fault,
            error=error,
            away=away,
        )
    )


# -- inside ---------------------------------------------------------------------------------


_LOCKED_JOB = (
    select(PrintRecord)
    .where(PrintRecord.id == bindparam("id"), PrintRecord.hall_id == bindparam("hall_id"))
    .with_for_update()
)


def _locked(uow: UnitOfWork, hall: Hall, job_id: int) -> PrintRecord:
    record = uow.session.scalar(_LOCKED_JOB, {"id": job_id, "hall_id": hall.id})
    if record is None:
        raise NotFound(f"no print job {job_id}")
    return record


def _send_on(uow: UnitOfWork, record: PrintRecord, to: Destination, why: str) -> None:
    """The job goes to another printer, delivered after the commit like a new one."""
    by_server = to.agent == SERVER
    record.printer, record.agent, record.error = to.printer, to.agent, why
    record.status = PrintStatus.CLAIMED if by_server else PrintStatus.QUEUED
    record.claimed_by, record.claimed_at = (SERVER_CLAIMER, uow.now()) if by_server else ("", None)
    uow.record(_queued(record))


def _too_late(uow: UnitOfWork, record: PrintRecord, abandon_after: float) -> bool:
    return record.kind == "ticket" and uow.now() - record.created_at > timedelta(seconds=abandon_after)


def _finish(uow: UnitOfWork, record: PrintRecord, status: PrintStatus, *, error: str = "") -> None:
    record.status, record.error, record.finished_at = status, error, uow.now()
    uow.record(_done(record))


def _agent_name(agent: str) -> str:
    return f"agent {agent}" if agent else "the server"


def _queued(record: PrintRecord) -> PrintQueued:
    return PrintQueued(
        hall_id=record.hall_id,
        job_id=record.id,
        agent=record.agent,
        kiosk=record.kiosk,
        printer=record.printer,
    )


def _done(record: PrintRecord) -> PrintDone:
    return PrintDone(
        hall_id=record.hall_id,
        job_id=record.id,
        kind=record.kind,
        kiosk=record.kiosk,
        ticket_id=record.ticket_id,
        status=record.status,
        printer=record.printer,
        reprinted=record.reprinted,
        error=record.error,
    )
