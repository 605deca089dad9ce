"""Bounded waits on PostgreSQL, whatever the network does.

A database that stops answering without closing the line (a silent partition, a hung host)
would otherwise hold every request until the kernel gives up on the connection, about 15
minutes. Three bounds stop that:
- libpq's connect timeout, for a new connection;
- the server's statement timeout, for a query that runs or waits on a lock too long (the server
  cancels it and says so);
- for the case where no answer comes at all, a watchdog thread here that cuts the connection's
  socket once a statement has been in flight a little longer than the server would allow (or
  the pool's ping on checkout longer than a second).
  The blocked call then fails at once, with the connection marked dead, and the request
  answers 503 (queue_core.db.unavailable).
TCP keepalives and TCP_USER_TIMEOUT let the kernel notice a dead peer on an idle pooled line.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

# Together they keep a request that meets a silent database under 5 s: a pooled line's ping
# cut after 1 s, then a new connection given up after 2 s; or a statement cut after 4 s.
CONNECT_TIMEOUT_S = 2
STATEMENT_TIMEOUT_S = 3.0
# The watchdog's margin over the server's own timeout: the server's cancel is the clean answer
# and comes first whenever the server can still speak.
CUT_STATEMENT_AFTER_S = STATEMENT_TIMEOUT_S + 1.0
CUT_PING_AFTER_S = 1.0  # SELECT 1 on a healthy line takes a millisecond
POOL_TIMEOUT_S = 3.0

# libpq parameters for every PostgreSQL connection (psycopg passes them through).
CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 5000,  # ms: data sent and not acknowledged
}


# libpq's options for a serving engine's connections: the server cancels a statement after this.
STATEMENT_TIMEOUT_OPTION = f"-c statement_timeout={round(STATEMENT_TIMEOUT_S * 1000)}"


class StatementWatchdog:
    """Cuts the socket of a connection whose statement (or ping) has been in flight too long."""

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        self._in_flight: dict[int, tuple[float, Any]] = {}  # id(dbapi connection) -> (deadline, it)
        event.listen(engine, "before_cursor_execute", self._started)
        event.listen(engine, "after_cursor_execute", self._ended)
        event.listen(engine, "handle_error", self._failed)
        # The pool's pre-ping on checkout runs outside the cursor events: bound it too. (A
        # dialect's do_ping is its documented hook for that ping; this wraps the engine's own.)
        ping = engine.dialect.do_ping

        def watched_ping(dbapi_conn: Any) -> bool:
            self._begin(dbapi_conn, CUT_PING_AFTER_S)
            try:
                return ping(dbapi_conn)
            finally:
                self._end(dbapi_conn)

        engine.dialect.do_ping = watched_ping  # type: ignore[method-assign, assignment]  # replaced on this dialect only (see above)
        threading.Thread(target=self._watch, name="pg-statement-watchdog", daemon=True).start()

    def _begin(self, dbapi_conn: Any, limit: float = CUT_STATEMENT_AFTER_S) -> None:
        with self._lock:
            self._in_flight[id(dbapi_conn)] = (time.monotonic() + limit, dbapi_conn)

    def _end(self, dbapi_conn: Any) -> None:
        with self._lock:
            self._in_flight.pop(id(dbapi_conn), None)

    def _started(self, conn: Any, cursor: Any, *_args: Any) -> None:
        self._begin(conn.connection.dbapi_connection)

    def _ended(self, conn: Any, cursor: Any, *_args: Any) -> None:
        self._end(conn.connection.dbapi_connection)

    def _failed(self, context: Any) -> None:
        if context.connection is not None and context.connection.connection.dbapi_connection is not None:
            self._end(context.connection.connection.dbapi_connection)

    def _watch(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self._lock:  # cut under the lock: a statement that ends now waits, not races
                for key, (deadline, dbapi_conn) in list(self._in_flight.items()):
                    if now > deadline:
                        del self._in_flight[key]
                        _cut(dbapi_conn)


def _cut(dbapi_conn: Any) -> None:
    """Shut the connection's socket down: its blocked read returns at once, and psycopg marks
    the connection broken (the pool then drops it)."""
    log.warning("PostgreSQL gave no answer in time: cutting the connection")
    with contextlib.suppress(Exception):  # closed meanwhile: nothing to cut
        sock = socket.socket(fileno=dbapi_conn.pgconn.socket)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()  # the descriptor stays the connection's
