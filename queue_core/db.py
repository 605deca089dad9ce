"""Engine set-up, and the Database that runs units of work and their commit hooks.

SQLite: WAL, synchronous=FULL, and ``BEGIN IMMEDIATE`` for every write transaction, so that
two writers queue on the lock instead of failing with "database is locked" on the read→write
upgrade (pysqlite's own BEGIN handling is switched off to make that possible). Read-only
transactions stay deferred and never block writers. PostgreSQL: plain transactions; the
services lock rows with ``FOR UPDATE [SKIP LOCKED]`` where they must.

A write that waits longer than the busy timeout (30 s, or ``?timeout=SECONDS`` in a SQLite URL)
fails rather than hangs; ``unavailable()`` tells such passing faults, and a database that cannot
be reached, from the errors that are bugs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker

from . import audit, deadlines
from .clock import Clock
from .events import DomainEvent
from .snapshots import record_touched
from .unit_of_work import CommitHook, UnitOfWork

WRITE_OPTION = "hallq_write"
BUSY_TIMEOUT_MS = 30_000

Publisher = Callable[[Sequence[DomainEvent]], None]


def make_engine(url: str | URL, *, serving: bool = False, **kwargs: Any) -> Engine:
    """An engine for the URL. A serving engine (the server's, not a command's such as a
    migration) bounds every PostgreSQL statement (queue_core.deadlines)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        connect_args = dict(deadlines.CONNECT_ARGS) | kwargs.pop("connect_args", {})
        if serving:
            options = connect_args.get("options", "")
            connect_args["options"] = f"{options} {deadlines.STATEMENT_TIMEOUT_OPTION}".strip()
            kwargs.setdefault("pool_timeout", deadlines.POOL_TIMEOUT_S)
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
        if serving:
            deadlines.StatementWatchdog(engine)
        return engine
    if parsed.database in (None, "", ":memory:"):
        raise ValueError("Hallq needs a SQLite file, not an in-memory database")
    timeout_ms = round(busy_timeout(parsed) * 1000)
    engine = create_engine(
        url, connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def busy_timeout(url: Any) -> float:
    """Seconds a SQLite write waits for another's lock: ``?timeout=`` of the URL (as pysqlite
    reads it) or 30."""
    value = make_url(url).query.get("timeout")
    return float(value) if isinstance(value, str) else BUSY_TIMEOUT_MS / 1000


# SQLite's result codes for a database that is there but cannot be used right now.
_SQLITE_PASSING = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")


def unavailable(exc: BaseException) -> bool:
    """True when exc says the database is unreachable, dropped the connection or stayed locked:
    a fault that passes, worth answering "try again", not a bug in the request."""
    if isinstance(exc, sa_exc.TimeoutError):  # no connection or write turn in time
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        # SQLite's OperationalError also means "no such table": only these codes are passing.
        return getattr(exc.orig, "sqlite_errorname", "").startswith(_SQLITE_PASSING)
    # psycopg's OperationalError: connection refused or lost, server shutting down.
    return isinstance(exc, sa_exc.OperationalError)


# What every transaction does before its commit: the snapshots of what it touched, then the
# audit entry (which lists the events, snapshots excepted). The audit trail must not depend on
# who built the Database, so these are the default, not left to each caller.
CORE_BEFORE_COMMIT: tuple[CommitHook, ...] = (record_touched, audit.append_for)


class Database:
    """The engine, a session factory, the clock, and what runs around each commit: the
    before-commit hooks inside the transaction, then, once it committed, the publisher of its
    events and the after-commit hooks (a hook added with `after_commit.append`)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        publisher: Publisher | None = None,
        *,
        before_commit: tuple[CommitHook, ...] = CORE_BEFORE_COMMIT,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.publisher: Publisher = publisher or (lambda events: None)
        self.before_commit = list(before_commit)
        self.after_commit: list[CommitHook] = []
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process queue on a lock, in order,
        # instead of in SQLite's busy handler, which polls with sleeps of up to 100 ms and so
        # turns contention into second-long tails. Other processes still wait via busy_timeout.
        # Both waits are bounded by the busy timeout, so a lock held elsewhere fails the
        # writes queued here in turn instead of piling them up for ever.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._write_wait = busy_timeout(engine.url)

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        with self._sessions() as session:
            yield UnitOfWork(session, self.clock)

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(timeout=self._write_wait):
            raise sa_exc.TimeoutError(
                f"the database stayed busy with other writes for {self._write_wait:g} s"
            )
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        with self._write_turn(), self._sessions() as session:
            session.connection(execution_options={WRITE_OPTION: True})
            uow = UnitOfWork(session, self.clock)
            try:
                yield uow
                for hook in self.before_commit:
                    hook(uow)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        # Only here, after a successful commit: a rolled-back change pushes nothing.
        self.publisher(tuple(uow.events))
        for hook in self.after_commit:
            hook(uow)
