"""The city dashboard's live figures. After a commit whose events may change a hall's figures
(queue_core.city), that hall's figures as they now are go to the city room of /hall as one
`hall_figures` message: the page replaces the hall's row and never asks again.

Several processes of several halls share a Redis message queue: each process sends the figures
of the halls its own commits touched, so the city room hears every hall."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from hall_display.events import CITY_ROOM, NAMESPACE
from hallq.extensions import socketio
from queue_core import Database, city
from queue_core.db import Publisher
from queue_core.events import DomainEvent
from queue_core.halls import hall_by_id

log = logging.getLogger(__name__)


class CityFigures:
    """The database's publisher: the hall's own publisher first, then the figures."""

    def __init__(self, database: Database, publish: Publisher, *, shared: bool) -> None:
        self.database, self.publish = database, publish
        # With a message queue, a city dashboard on another process may listen: always send.
        self.shared = shared

    def __call__(self, events: Sequence[DomainEvent]) -> None:
        self.publish(events)
        touched = city.halls_touched(events)
        if not touched or not self._heard():
            return
        try:
            with self.database.read() as uow:
                figures = [city.figures(uow, hall_by_id(uow, hall_id)) for hall_id in touched]
        except SQLAlchemyError as exc:  # committed already: the request must not fail for this
            log.warning("city figures not sent: %s", exc.__class__.__name__)
            return
        for payload in figures:
            socketio.emit("hall_figures", payload, to=CITY_ROOM, namespace=NAMESPACE)

    def _heard(self) -> bool:
        """Reading the figures costs a read per commit: only when a city dashboard may hear."""
        return self.shared or bool(socketio.server.manager.rooms.get(NAMESPACE, {}).get(CITY_ROOM))
