"""When what the server stands on is briefly away. A database that cannot be reached or stays
locked answers 503 with Retry-After (JSON under /api/, a short page elsewhere); the request's
transaction has rolled back, and the next request reconnects by itself (SQLAlchemy's
pool_pre_ping on PostgreSQL; SQLite opens its file anew). A Redis that cannot be reached
leaves each process serving its own clients (MessageQueue)."""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from flask import Flask, current_app, make_response, render_template, request
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc

from queue_core.db import WRITE_OPTION, unavailable

from .present import API_PREFIX

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# The largest request body: a catalogue workbook or a floor plan is far smaller. The server
# refuses a longer one before a thread reads it (hallq.server); Flask too, whoever serves it.
LARGEST_BODY = 32 * 1024 * 1024
REDIS_TIMEOUT = 2.0  # seconds to connect to Redis or hear its answer: a lost one must not hold requests
REDIS_PAUSE_AFTER_FAILURE = 30.0  # seconds the limits are counted locally before Redis is tried again


class RateLimiter(Protocol):
    def hit(self, item: RateLimitItem, *identifiers: str) -> bool: ...

    def test(self, item: RateLimitItem, *identifiers: str) -> bool: ...


# PostgreSQL's answer to two transactions that each hold a row the other wants (deadlock
# detected) or that it could not serialise: it rolled one back, and running that one again
# succeeds. The hall's lock order (queue_core.ticket_log) makes these rare; they are retried,
# never answered as the database being away.
_CONFLICT_STATES = {"40P01", "40001"}
CONFLICT_ATTEMPTS = 4


def conflict(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.DBAPIError) and getattr(exc.orig, "sqlstate", None) in _CONFLICT_STATES


def retrying_conflicts(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view again, a few times and after a short random pause, when its transaction
    lost a conflict: the transaction rolled back whole, and nothing leaves a view before its
    commit (events are published after it)."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, CONFLICT_ATTEMPTS):
            try:
                return view(*args, **kwargs)
            except sa_exc.DBAPIError as exc:
                if not conflict(exc):
                    raise
                log.info("%s %s: %s, run again (%d)", request.method, request.path, problem(exc), attempt)
            time.sleep(random.uniform(0.005, 0.02 * 2**attempt))
        return view(*args, **kwargs)

    return run


def init_app(app: Flask, api_error: Callable[..., Any]) -> None:
    """api_error: how the JSON API answers an error (hallq.api.error), for the paths under it."""
    database_error = functools.partial(_database_error, api_error=api_error)
    app.register_error_handler(sa_exc.DBAPIError, database_error)
    app.register_error_handler(sa_exc.TimeoutError, database_error)
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = retrying_conflicts(view)


def problem(exc: BaseException) -> str:
    """What went wrong in one line, for a log: the driver's own error when there is one."""
    original = getattr(exc, "orig", None) or exc
    first_line = next(iter(str(original).strip().splitlines()), "")
    return f"{original.__class__.__name__}: {first_line}"


# The database's words for a disk that has no room left: SQLite's result code, PostgreSQL's
# class 53 (insufficient resources: disk full, out of memory, too many connections).
_SQLITE_FULL = "SQLITE_FULL"
_POSTGRES_FULL = "53100"


def storage_full(exc: BaseException) -> bool:
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    original = exc.orig
    return (
        getattr(original, "sqlite_errorname", None) == _SQLITE_FULL
        or getattr(original, "sqlstate", None) == _POSTGRES_FULL
    )


class StorageWatch:
    """A full disk, as the writes find it: /healthz is unhealthy until a write commits again,
    the log says so once a minute, not once per request, and the managers' dashboards show an
    alarm. That alarm cannot be stored on a disk with no room: it is pushed to the dashboards
    open now and given to those that open meanwhile (`alarm`), and cleared the same way."""

    LOG_EVERY_SECONDS = 60.0

    def __init__(
        self, clock: Callable[[], datetime], tell_dashboards: Callable[[dict[str, Any]], None]
    ) -> None:
        self._clock, self._tell = clock, tell_dashboards
        self._lock = threading.Lock()
        self._said_at = -self.LOG_EVERY_SECONDS
        self._problem = ""
        self._raised_at: datetime | None = None  # the first failed write of this outage

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._problem = problem(exc)
            say = now - self._said_at >= self.LOG_EVERY_SECONDS
            if say:
                self._said_at = now
            raised = None
            if self._raised_at is None:
                self._raised_at = self._clock()
                raised = self._payload()
        if say:
            log.error("the database's disk is full: every write fails until room is made (%s)", self._problem)
        if raised:
            self._tell(raised)

    def alarm(self) -> dict[str, Any] | None:
        """The dashboard's alarm while the disk is full (an alarm event's payload), or None."""
        with self._lock:
            return self._payload() if self._raised_at is not None else None

    def _payload(self, cleared_at: datetime | None = None) -> dict[str, Any]:
        assert self._raised_at is not None
        return {
            "id": 0,  # no row: stored alarms count from 1
            "kind": "storage_full",
            "subject": "storage",
            "label": "磁盘",
            "message": "服务器磁盘已满：所有写入均失败，请信息科立即清理空间",
            "detail": {"problem": self._problem},
            "state": "cleared" if cleared_at else "open",
            "raised_at": self._raised_at.isoformat(),
            "acknowledged_at": None,
            "acknowledged_by": None,
            "cleared_at": cleared_at.isoformat() if cleared_at else None,
        }

    def watch(self, engine: Engine) -> None:
        """A write that commits proves there is room again."""

        def committing(conn: Any) -> None:
            if self._raised_at is None or not conn.get_execution_options().get(WRITE_OPTION):
                return
            with self._lock:
                cleared = self._payload(cleared_at=self._clock()) if self._raised_at else None
                self._raised_at = None
            if cleared:
                log.warning("the database's disk has room again")
                self._tell(cleared)

        event.listen(engine, "commit", committing)

    @property
    def problem(self) -> str | None:
        """Why writes fail, from the first failed write until one commits again; else None."""
        with self._lock:
            return f"full: {self._problem}" if self._raised_at is not None else None


def _database_error(exc: sa_exc.SQLAlchemyError, api_error: Callable[..., Any]) -> Any:
    if storage_full(exc):
        current_app.extensions["hallq"].storage.failed(exc)
        message = "the server's disk is full: nothing was changed; the IT office must make room"
        if request.path.startswith(API_PREFIX + "/"):
            response = make_response(api_error(503, "storage_full", message))
        else:
            response = make_response(render_template("unavailable.html"), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if conflict(exc) and request.path.startswith(API_PREFIX + "/"):
        # Lost every run: rare enough to ask the client to try once more.
        log.warning("%s %s: %s after %d runs", request.method, request.path, problem(exc), CONFLICT_ATTEMPTS)
        message = (
            "another action changed the same ticket or window at this moment: nothing was changed, try again"
        )
        return api_error(409, "conflict", message)
    if not unavailable(exc):
        raise exc  # a bug, not the database being away: Flask's 500 with its traceback in the log

    log.warning("database unavailable for %s %s: %s", request.method, request.path, problem(exc))
    if request.path.startswith(API_PREFIX + "/"):
        message = "the database is briefly unavailable: nothing was changed, try again shortly"
        response = make_response(api_error(503, "database_unavailable", message))
    else:
        response = make_response(render_template("unavailable.html"), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class MessageQueue:
    """The Redis that carries Socket.IO messages and the rate limits' counts between the hall's
    processes (SOCKETIO_MESSAGE_QUEUE). While it is unreachable, each process goes on serving
    its own clients: its boards and panels still hear what happens through it, the limits are
    counted in its memory, /healthz says "degraded", and the log says so once, not per message."""

    def __init__(self, url: str) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"SOCKETIO_MESSAGE_QUEUE: {url!r} is not a Redis URL (redis://HOST:PORT/DB)")
        self.url = url
        self._lock = threading.Lock()
        self._problem: str | None = None
        self._failures = 0  # failures so far: a use that began before the last one proves nothing

    @property
    def problem(self) -> str | None:
        """Why the last use of Redis failed, or None while it works."""
        return self._problem

    def attempt(self) -> int:
        """Taken before a use of Redis, and given to `worked` after it succeeds."""
        return self._failures

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first, self._problem = self._problem is None, problem(exc)
            self._failures += 1
        if first:
            log.warning(
                "message queue %s unreachable (%s): serving this process's clients only, "
                "rate limits counted in this process",
                self.url,
                self._problem,
            )

    def worked(self, attempt: int) -> None:
        """A use of Redis that began at `attempt` succeeded. One that began before the last
        failure (its answer already on its way when the connection was cut) says nothing of
        Redis now: counting it would log "reachable again" between two "unreachable"."""
        with self._lock:
            if attempt != self._failures:
                return
            recovered, self._problem = self._problem is not None, None
        if recovered:
            log.warning("message queue %s reachable again", self.url)

    def check(self) -> str | None:
        """Ask Redis now (for /healthz); why it is unreachable, or None."""
        import redis

        client = redis.Redis.from_url(
            self.url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        attempt = self.attempt()
        try:
            client.ping()
        except redis.RedisError as exc:
            self.failed(exc)
        else:
            self.worked(attempt)
        finally:
            client.close()
        return self.problem


class _SharedLimiter:
    """Limits counted in Redis, shared by the hall's processes; while Redis is unreachable, in
    this process's memory, so that kiosks and logins go on, limited per process."""

    def __init__(self, queue: MessageQueue) -> None:
        self.queue = queue
        storage = storage_from_string(
            queue.url,
            wrap_exceptions=True,
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
        )
        self._shared = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._redis_again_at = 0.0

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._counted("hit", item, identifiers)

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._counted("test", item, identifiers)

    def _counted(self, method: str, item: RateLimitItem, identifiers: tuple[str, ...]) -> bool:
        # After a failure, Redis is asked again only once the pause is over: a Redis that
        # hangs costs one request its timeout per pause, not every request.
        if time.monotonic() < self._redis_again_at:
            return getattr(self._local, method)(item, *identifiers)
        attempt = self.queue.attempt()
        try:
            allowed: bool = getattr(self._shared, method)(item, *identifiers)
        except StorageError as exc:
            self._redis_again_at = time.monotonic() + REDIS_PAUSE_AFTER_FAILURE
            self.queue.failed(exc.storage_error)
            return getattr(self._local, method)(item, *identifiers)
        self.queue.worked(attempt)
        return allowed


def rate_limiter(queue: MessageQueue | None) -> RateLimiter:
    """Per-kiosk and login limits: in memory for one process, in Redis when several share the hall."""
    return _SharedLimiter(queue) if queue else MovingWindowRateLimiter(MemoryStorage())
