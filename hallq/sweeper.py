"""The serving process's clock-driven work: a keypad question whose time is up ends as not
rated (and the keypad hears so), and where the hall gives one, services never rated get the
default level. Every `scan_seconds` of the hall's [alarms] (15 s by default) it raises and
clears the alarms that depend on time (waits, pauses, long services). Several processes may
sweep the same hall: the core's status-checked updates let only one of them close each
question, and raise each alarm once."""

from __future__ import annotations

import logging
import threading
import time

from queue_core import Database, alarms, audit, evaluations
from queue_core.halls import hall_by_code
from queue_core.spec import AlarmSpec

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0  # a keypad's countdown ends on screen; the server follows within this


class Sweeper:
    def __init__(self, db: Database, hall_code: str, interval: float = INTERVAL_SECONDS) -> None:
        self.db = db
        self.hall_code = hall_code
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_alarm_scan = 0.0  # time.monotonic() of the next alarm scan

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hallq-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def sweep(self) -> int:
        """One pass; how many ratings it closed or defaulted (the alarms are scanned too, when
        their time has come). The write lock is taken only when a read found something due."""
        closed = self.sweep_ratings()
        if time.monotonic() >= self._next_alarm_scan:
            self.scan_alarms()
        return closed

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

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeping for good
                log.exception("could not close expired ratings or scan the alarms")
