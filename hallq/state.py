"""What the running app knows: the database, the hall's description and its code."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cachetools import TTLCache
from flask import current_app

from queue_core import Database, UnitOfWork
from queue_core.halls import hall_by_code, hall_by_id
from queue_core.models import Hall
from queue_core.spec import HallSpec

from .settings import Settings


@dataclass
class HallqState:
    settings: Settings
    db: Database
    spec: HallSpec
    # Bearer token digest → who it stands for. Every device request would otherwise cost a
    # read transaction. A revocation drops its entries at once in every process
    # (hallq.revocation); the 30 s expiry bounds what a process misses while Redis is away.
    token_cache: TTLCache[str, Any] = field(default_factory=lambda: TTLCache(maxsize=4096, ttl=30))
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    hall_id: int | None = None
    # Wrong guide PINs per kiosk, forgotten after 10 minutes (brute-force guard).
    pin_failures: TTLCache[str, int] = field(default_factory=lambda: TTLCache(maxsize=1024, ttl=600))
    # cachetools caches are not thread-safe: every read and write of the two above holds this.
    rate_limiter: Any = None  # hallq.faults.RateLimiter, set by create_app
    message_queue: Any = None  # hallq.faults.MessageQueue where SOCKETIO_MESSAGE_QUEUE is set
    printing: Any = None  # hallq.printing.PrintService, set by create_app
    live: Any = None  # hallq.live.LiveServer, set by create_app
    storage: Any = None  # hallq.faults.StorageWatch, set by create_app
    revocations: Any = None  # hallq.revocation.Revocations, set by create_app
    metrics: Any = None  # hallq.metrics.Metrics, set by create_app

    @property
    def hall_code(self) -> str:
        return self.spec.hall.code

    @property
    def map_file(self) -> Path | None:
        """The config folder's floor plan (hall.toml's `map`), where it names one."""
        name = self.spec.hall.map
        return Path(self.settings.HALLQ_CONFIG) / name if name else None


def state() -> HallqState:
    return current_app.extensions["hallq"]


def current_hall(uow: UnitOfWork) -> Hall:
    """This server's hall, by primary key once its id is known (the cheapest look-up)."""
    app_state = state()
    if app_state.hall_id is None:
        app_state.hall_id = hall_by_code(uow, app_state.hall_code).id
    return hall_by_id(uow, app_state.hall_id)
