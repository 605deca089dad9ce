"""The city dashboard's live figures. After a commit whose events may change a hall's figures
(queue_core.city), that hall's figures as they now are go to the city room of /hall as one
`hall_figures` message, within CityFigures.SEND_EVERY_SECONDS: the page replaces the hall's
row and never asks again.

Several processes of several halls share a Redis message queue: each process sends the figures
of the halls its own commits touched, so the city room hears every hall."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from queue_core import Database, city
from queue_core.events import DomainEvent
from queue_core.halls import hall_by_id

from .rooms import CITY_ROOM
from .server import LiveServer

log = logging.getLogger(__name__)


class CityFigures:
    """The database's publisher: the hall's own publisher first, then the figures.

    A hall's figures read its whole day so far, too much to do again for every commit of a
    busy hall (and in the committing request), and more often than a city screen needs. So a
    commit only notes its hall; a background task sends the noted halls' figures at once, then
    at most every SEND_EVERY_SECONDS while commits go on, and ends when they stop."""

    SEND_EVERY_SECONDS = 2.0

    def __init__(self, database: Database, live: LiveServer, *, shared: bool) -> None:
        self.database, self.live = database, live
        # With a message queue, a city dashboard on another process may listen: always send.
        self.shared = shared
        self._lock = threading.Lock()
        self._touched: set[int] = set()
        self._sending = False

    def __call__(self, events: Sequence[DomainEvent]) -> None:
        self.live.publish(events)
        touched = city.halls_touched(events)
        if not touched or not self._heard():
            return
        with self._lock:
            self._touched.update(touched)
            if self._sending:
                return
            self._sending = True
        threading.Thread(target=self._send_while_touched, name="city-figures", daemon=True).start()

    def _send_while_touched(self) -> None:
        while True:
            with self._lock:
                touched, self._touched = self._touched, set()
                if not touched:
                    self._sending = False
                    return
            self._send(touched)
            time.sleep(self.SEND_EVERY_SECONDS)

    def _send(self, touched: set[int]) -> None:
        try:
            with self.database.read() as uow:
                figures = [city.figures(uow, hall_by_id(uow, hall_id)) for hall_id in sorted(touched)]
        except SQLAlchemyError as exc:  # committed already: a later commit sends them again
            log.warning("city figures not sent: %s", exc.__class__.__name__)
            return
        self.live.send([("hall_figures", payload, [CITY_ROOM]) for payload in figures])

    def _heard(self) -> bool:
        """Reading the figures costs a read of the day: only when a city dashboard may hear."""
        return self.shared or self.live.has_listeners(CITY_ROOM)
