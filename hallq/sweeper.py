"""The serving process's clock-driven work: a keypad question whose time is up ends as not
rated (and the keypad hears so), and where the hall gives one, services never rated get the
default level. Every `scan_seconds` of the hall's [alarms] (15 s by default) it raises and
clears the alarms that depend on time (waits, pauses, long services), and cancels the remote
tickets whose holders stayed away past their turn (queue_core.remote). Every minute it ends the
days past: their tickets left unserved are void (queue_core.day_end, at midnight: clerks serve
past closing time), then it rolls up the statistics of closed days that have no rollup yet
(queue_core.rollups: the day just ended, and older days a few at a time), so that reports find
them ready, and tells the hall boards each queue's expected wait (a QueueWaits event, as the
kiosk's GET /queues gives it: hallq.present.catalog). Every hour it anonymises the
citizens' personal data past the days of hall.toml's [retention] (queue_core.retention).
Several processes may sweep the same hall: the core's status-checked updates let only one of
them close each question, raise each alarm once, and move or abandon each print job nobody took
in time; two that roll up the same day write the same figures; two that anonymise blank the same
fields.

Given an Anchoring, it also writes a signed checkpoint of the audit trail's head every
CHECKPOINT_SECONDS when the trail has grown (and the first after the day ended), and one more
when it stops (queue_core.audit_anchors)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import func, select

from queue_core import (
    Database,
    advisor,
    alarms,
    audit,
    day_end,
    evaluations,
    printing,
    remote,
    retention,
    rollups,
)
from queue_core.audit_anchors import Anchoring
from queue_core.events import AdviceChanged, QueueWaits
from queue_core.halls import hall_by_code
from queue_core.models import Ticket
from queue_core.numbering import service_day
from queue_core.spec import AlarmSpec, PrintingSpec, RetentionSpec

from .present.catalog import queues_out

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0  # a keypad's countdown ends on screen; the server follows within this
ROLLUP_SECONDS = 60.0
ROLLUP_DAYS = 7  # at most this many days rolled up per minute: a pass stays short
RETENTION_SECONDS = 3600.0  # retention is counted in days: an hour late is on time
CHECKPOINT_SECONDS = 300.0


class Sweeper:
    def __init__(
        self,
        db: Database,
        hall_code: str,
        interval: float = INTERVAL_SECONDS,
        *,
        print_rules: PrintingSpec | None = None,
        backups: Mapping[str, printing.Destination] | None = None,
        retention_rules: RetentionSpec | None = None,
        anchoring: Anchoring | None = None,
    ) -> None:
        self.db = db
        self.hall_code = hall_code
        self.interval = interval
        self.print_rules = print_rules or PrintingSpec()
        self.backups = backups or {}  # each kiosk's backup printer
        self.retention_rules = retention_rules or RetentionSpec()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_alarm_scan = 0.0  # time.monotonic() of the next alarm scan
        self._next_rollup = 0.0  # time.monotonic() of the next rollup pass
        self._ended_before: date | None = None  # the days before this one have been ended
        self._next_retention = 0.0  # time.monotonic() of the next retention pass
        self.anchoring = anchoring
        self._next_checkpoint = 0.0  # time.monotonic() of the next audit checkpoint

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hallq-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.anchoring is not None:
            try:
                self.anchoring.write("shutdown")
            except Exception:  # the database may be gone by now: the last periodic checkpoint stands
                log.exception("could not anchor the audit trail at shutdown")

    def sweep(self) -> int:
        """One pass; how many ratings it closed or defaulted (the alarms are scanned too, when
        their time has come). The write lock is taken only when a read found something due."""
        closed = self.sweep_ratings()
        self.sweep_prints()
        if time.monotonic() >= self._next_alarm_scan:
            self.scan_alarms()
            self.cancel_remote()
        if time.monotonic() >= self._next_rollup:
            self.end_past_days()
            self.roll_up()
            self.publish_waits()
            self.publish_advice()
        if time.monotonic() >= self._next_retention:
            self.anonymise()
        if self.anchoring is not None and time.monotonic() >= self._next_checkpoint:
            self._next_checkpoint = time.monotonic() + CHECKPOINT_SECONDS
            self.anchoring.periodic()
        return closed

    def publish_waits(self) -> QueueWaits:
        """Each queue's expected wait for a ticket taken now, to the hall boards: read, never written."""
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            waits = QueueWaits(
                hall_id=hall.id, waits={q.code: q.estimated_wait_range for q in queues_out(uow, hall)}
            )
        self.db.publisher((waits,))
        return waits

    def publish_advice(self) -> AdviceChanged:
        """The advisor's moves now, to the managers' dashboards: read, never written."""
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            moves = advisor.advise(uow, hall, service_day(hall, uow.now()))
            advice = AdviceChanged(hall_id=hall.id, moves=[m.payload() for m in moves])
        self.db.publisher((advice,))
        return advice

    def sweep_ratings(self) -> int:
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id = hall.id
            if not evaluations.anything_due(uow, hall):
                return 0
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="evaluations.close_expired")
        with audit.acting_as(actor), self.db.write() as uow:
            hall = hall_by_code(uow, self.hall_code)
            return evaluations.close_expired(uow, hall) + evaluations.apply_defaults(uow, hall)

    def sweep_prints(self) -> int:
        """Print jobs nobody took in time go to their kiosk's backup printer; tickets too late
        to print are abandoned. How many changed."""
        rules = self.print_rules
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id = hall.id
            if not printing.anything_overdue(uow, hall, rules.claim_timeout, rules.abandon_after):
                return 0
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="printing.sweep")
        with audit.acting_as(actor), self.db.write() as uow:
            hall = hall_by_code(uow, self.hall_code)
            return printing.sweep(
                uow,
                hall,
                backups=self.backups,
                claim_timeout=rules.claim_timeout,
                abandon_after=rules.abandon_after,
            )

    def scan_alarms(self) -> int:
        """Raise and clear the time-based alarms; how many changed. A read first: the write
        (and its audit entry) only when something is to change."""
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id, every = hall.id, AlarmSpec.of_hall(hall).scan_seconds
            due = alarms.pending(uow, hall)
        self._next_alarm_scan = time.monotonic() + every
        if not due:
            return 0
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="alarms.sweep")
        with audit.acting_as(actor), self.db.write() as uow:
            return alarms.sweep(uow, hall_by_code(uow, self.hall_code))

    def cancel_remote(self) -> int:
        """Cancel the remote tickets whose holders stayed away past their turn and its grace
        (queue_core.remote); how many. A read first, as for the alarms."""
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id = hall.id
            if not remote.passed(uow, hall):
                return 0
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="remote.cancel_passed")
        with audit.acting_as(actor), self.db.write() as uow:
            return remote.cancel_passed(uow, hall_by_code(uow, self.hall_code))

    def end_past_days(self) -> int:
        """Void the tickets days before today left unserved (queue_core.day_end); how many.
        The first pass of a process looks at every past day, the next only once a day has
        ended since. A read first, as for the alarms."""
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id, today, since = hall.id, service_day(hall, uow.now()), self._ended_before
            if since == today:
                return 0
            if not day_end.anything_left(uow, hall, since):
                self._ended_before = today
                return 0
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="day_end.void_unserved")
        with audit.acting_as(actor), self.db.write() as uow:
            voided = day_end.void_unserved(uow, hall_by_code(uow, self.hall_code), since)
        self._ended_before = today
        return voided

    def roll_up(self) -> int:
        """Roll up closed days that lack a rollup or whose ratings may now be final: the
        latest ROLLUP_DAYS of them (yesterday first, then older ones, a pass each minute);
        how many."""
        self._next_rollup = time.monotonic() + ROLLUP_SECONDS
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id, yesterday = hall.id, service_day(hall, uow.now()) - timedelta(days=1)
            first = uow.session.scalar(select(func.min(Ticket.service_day)).where(Ticket.hall_id == hall.id))
        if first is None:
            return 0
        return rollups.ensure(self.db, hall_id, first, yesterday, at_most=ROLLUP_DAYS)

    def anonymise(self) -> retention.Anonymised:
        """Anonymise the personal data past its days; what it blanked. A read first: the
        write (and its audit entry) only when something is due."""
        self._next_retention = time.monotonic() + RETENTION_SECONDS
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            hall_id = hall.id
            if not retention.anything_due(uow, hall, self.retention_rules):
                return retention.Anonymised()
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="retention.anonymise")
        with audit.acting_as(actor), self.db.write() as uow:
            return retention.anonymise_due(uow, hall_by_code(uow, self.hall_code), self.retention_rules)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeping for good
                log.exception(
                    "could not close expired ratings, scan the alarms, roll up statistics or anonymise"
                )
