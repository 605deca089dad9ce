"""The serving process's clock-driven work: a keypad question whose time is up ends as not
rated (and the keypad hears so), and where the hall gives one, services never rated get the
default level. Several processes may sweep the same hall: the core's status-checked updates
let only one of them close each question."""

from __future__ import annotations

import logging
import threading

from queue_core import Database, audit, evaluations
from queue_core.halls import hall_by_code

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0  # a keypad's countdown ends on screen; the server follows within this


class Sweeper:
    def __init__(self, db: Database, hall_code: str, interval: float = INTERVAL_SECONDS) -> None:
        self.db = db
        self.hall_code = hall_code
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hallq-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def sweep(self) -> int:
        """One pass; how many ratings it closed or defaulted. The write lock is taken only
        when a read found something due."""
        with self.db.read() as uow:
            hall_id = hall_by_code(uow, self.hall_code).id
            if not evaluations.anything_due(uow, hall_by_code(uow, self.hall_code)):
                return 0
        actor = audit.Actor(hall_id=hall_id, kind="system", id="sweeper", action="evaluations.close_expired")
        with audit.acting_as(actor), self.db.write() as uow:
            hall = hall_by_code(uow, self.hall_code)
            return evaluations.close_expired(uow, hall) + evaluations.apply_defaults(uow, hall)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep()
            except Exception:  # a database hiccup must not end the sweeping for good
                log.exception("could not close expired ratings")
