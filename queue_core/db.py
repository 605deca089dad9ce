"""Engine set-up and the unit of work.

SQLite: WAL, synchronous=FULL, and ``BEGIN IMMEDIATE`` for every write transaction, so that
two writers queue on the lock instead of failing with "database is locked" on the read→write
upgrade (pysqlite's own BEGIN handling is switched off to make that possible). Read-only
transactions stay deferred and never block writers. PostgreSQL: plain transactions; the
services lock rows with ``FOR UPDATE [SKIP LOCKED]`` where they must.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from . import audit
from .clock import Clock
from .events import DomainEvent
from .models import Window
from .snapshots import queue_state, window_state

WRITE_OPTION = "hallq_write"
BUSY_TIMEOUT_MS = 30_000

Publisher = Callable[[Sequence[DomainEvent]], None]


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database in (None, "", ":memory:"):
        raise ValueError("Hallq needs a SQLite file, not an in-memory database")
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class UnitOfWork:
    """One transaction of domain work. Services record domain events and mark the queues and
    windows they touched; snapshots of those are taken inside the transaction, and every
    event is published only after the commit succeeded."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.events: list[DomainEvent] = []
        self._touched_queues: set[int] = set()
        # The windows themselves, not their ids: the session's identity map holds instances
        # only weakly, and the snapshot (and the caller's answer) must not reload them.
        self._touched_windows: dict[int, Window] = {}
        self.is_postgres = session.get_bind().dialect.name == "postgresql"
        # What the audit entry of this transaction says besides its events (queue_core.audit).
        self.audit_detail: dict[str, object] = {}

    def now(self) -> datetime:
        return self.clock.now()

    def record(self, domain_event: DomainEvent) -> None:
        self.events.append(domain_event)

    def touch_queue(self, queue_id: int) -> None:
        self._touched_queues.add(queue_id)

    def touch_window(self, window: Window) -> None:
        self._touched_windows[window.id] = window

    def _snapshot_touched(self) -> None:
        self.session.flush()
        for _, window in sorted(self._touched_windows.items()):
            self.record(window_state(self, window))
        for queue_id in sorted(self._touched_queues):
            self.record(queue_state(self, queue_id))


class Database:
    """The engine, a session factory, the clock and where committed events go."""

    def __init__(self, engine: Engine, clock: Clock, publisher: Publisher | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.publisher: Publisher = publisher or (lambda events: None)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process queue on a lock, in order,
        # instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms and so
        # turns contention into second-long tails. Other processes still wait via busy_timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        with self._sessions() as session:
            yield UnitOfWork(session, self.clock)

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        with self._write_lock, self._sessions() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            uow = UnitOfWork(session, self.clock)
            try:
                yield uow
                uow._snapshot_touched()
                audit.append_for(uow)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        # Only here, after a successful commit: a rolled-back change pushes nothing.
        self.publisher(tuple(uow.events))
