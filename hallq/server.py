"""`hallq serve`: one process, one asyncio event loop (uvicorn) that holds every connection,
and a pool of threads that run the Flask app (a2wsgi) and the database work.

Why: a hall keeps hundreds of screens open all day (boards, panels, keypads, dashboards,
citizens' phones). On an event loop an open socket costs memory only; in gunicorn's threaded
worker it held a thread for its whole life, and with 100 threads the 101st screen could not
connect and every API request queued behind the screens. The Flask app, which blocks on the
database (SQLite's fsync can stall for hundreds of milliseconds here), runs in the threads,
so a stall holds one request and never the sockets (docs/deployment.md has the figures).

Clients that connect and then send slowly or nothing cost a timer each: a request's headers
must arrive within header_timeout and its body within body_timeout ([connections] in
hall.toml), and one address may hold http_connections_per_address connections at once (not
counted behind a trusted proxy, HALLQ_PROXIES, where the proxy limits them and every
connection comes from it). One process, because a Socket.IO client's connection lives in the
process that accepted it: scale out with several `hallq serve` and SOCKETIO_MESSAGE_QUEUE."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import resource
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any

import socketio
import uvicorn
from a2wsgi import WSGIMiddleware
from flask import Flask
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from queue_core.spec import ConnectionSpec

from .anchoring import audit_anchoring
from .faults import LARGEST_BODY
from .sweeper import Sweeper

log = logging.getLogger(__name__)


# What a screen's connection may hold unsent in the kernel (Linux doubles it for its own
# bookkeeping). A screen that stops reading fills it, then uvicorn's 64 KiB: from then on
# nothing more is written to it straight (hallq.live.wire), its messages wait on its own
# queue until its ping timeout closes it. Left to itself the kernel grows this buffer up to
# 4 MiB for every hung phone; a board's burst of messages is a few KiB.
SCREEN_SEND_BUFFER = 32 * 1024


class ScreenConnection(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol (the one hallq.live.wire writes to), with the kernel's
    send buffer bounded."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SCREEN_SEND_BUFFER)


def guarded_http(limits: ConnectionSpec, behind_proxy: bool) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, with a deadline for each request's headers and a cap on the
    connections of one address."""
    open_per_address: Counter[str] = Counter()

    class GuardedHttp(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _counted: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's own: a stream protocol is handed a Transport
            super().connection_made(transport)
            address = self.client[0] if self.client else None
            if address is not None and not behind_proxy:
                if open_per_address[address] >= limits.http_connections_per_address:
                    log.warning(
                        "refused a connection from %s: it holds %d already",
                        address,
                        open_per_address[address],
                    )
                    transport.close()
                    return
                open_per_address[address] += 1
                self._counted = address
            self._start_deadline()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._start_deadline()  # the next request on a kept-alive connection

        def on_headers_complete(self) -> None:
            self._stop_deadline()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._release()
            super().connection_lost(exc)

        def handle_websocket_upgrade(self) -> None:
            # From here the connection is a socket's: /hall counts and times those itself.
            self._release()
            super().handle_websocket_upgrade()

        def _start_deadline(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(limits.header_timeout, self._too_slow)

        def _stop_deadline(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _release(self) -> None:
            self._stop_deadline()
            if self._counted is not None:
                open_per_address[self._counted] -= 1
                if open_per_address[self._counted] <= 0:
                    del open_per_address[self._counted]
                self._counted = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedHttp


class BodyDeadline:
    """Reads a request's whole body on the event loop, within body_timeout and up to
    LARGEST_BODY, before a thread runs the Flask app: a client that sends its body slowly
    holds a coroutine, never one of the request threads."""

    def __init__(self, app: Any, timeout: float) -> None:
        self.app, self.timeout = app, timeout

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]
    ) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            body = await asyncio.wait_for(self._read(receive), self.timeout)
        except TimeoutError:
            return await _refuse(
                send, 408, "request_timeout", f"the request's body took over {self.timeout:g} s"
            )
        except _TooLarge:
            return await _refuse(send, 413, "too_large", f"the request's body is over {LARGEST_BODY} bytes")
        except _Disconnected:
            return None
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # the client's disconnect, if it comes

        return await self.app(_with_length(scope, len(body)), replay, send)

    @staticmethod
    async def _read(receive: Callable[..., Any]) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > LARGEST_BODY:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)


def _with_length(scope: dict[str, Any], length: int) -> dict[str, Any]:
    """A chunked request (no Content-Length) as the whole body it now is: the WSGI side reads a
    body by its Content-Length, and would otherwise see none and act on an empty payload."""
    headers = scope["headers"]
    if not any(name == b"transfer-encoding" for name, _ in headers):
        return scope
    kept = [(name, value) for name, value in headers if name not in (b"transfer-encoding", b"content-length")]
    return scope | {"headers": [*kept, (b"content-length", str(length).encode())]}


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


async def _refuse(send: Callable[..., Any], status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def asgi_app(app: Flask, threads: int, at_shutdown: Callable[[], None] | None = None) -> Any:
    """The whole server as one ASGI app: /socket.io/ to the live server, the rest to Flask.
    `at_shutdown` runs (in a thread) as the server stops: uvicorn ends the process with the
    signal it was stopped by, so code after its run() never runs."""
    state = app.extensions["hallq"]
    wsgi = WSGIMiddleware(app, workers=threads)  # type: ignore[arg-type]  # a2wsgi types the environ as a TypedDict, Flask as a dict
    flask = BodyDeadline(wsgi, state.spec.connections.body_timeout)

    async def shutdown() -> None:
        await state.live.stop()
        if at_shutdown is not None:
            await asyncio.to_thread(at_shutdown)

    return socketio.ASGIApp(
        state.live.sio, other_asgi_app=flask, on_startup=state.live.start, on_shutdown=shutdown
    )


def _allow_many_connections() -> None:
    """Every socket is a file descriptor: the usual soft limit of 1,024 would refuse the
    hall's screens long before memory runs short."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def run(make_app: Callable[[], Flask], host: str, port: int, threads: int, access_log: bool = False) -> None:
    _allow_many_connections()
    app = make_app()
    state = app.extensions["hallq"]
    # Only the serving process watches the printers (a CLI command must not open them)...
    state.printing.start()
    # ...and ends the keypads' questions when their time is up, and print jobs nobody took, and
    # anchors the audit trail (a signed checkpoint every few minutes and one at shutdown).
    sweeper = Sweeper(
        state.db,
        state.hall_code,
        print_rules=state.spec.printing,
        backups=state.printing.backups(),
        retention_rules=state.spec.retention,
        anchoring=audit_anchoring(state.settings, state.db, state.hall_code),
    )
    sweeper.start()
    # What exists now (the app, the catalogue, the libraries) lives as long as the process:
    # keep it out of the collector's full passes, which otherwise stall every request and
    # board for 150-250 ms at a time once hundreds of boards are connected.
    gc.collect()
    gc.freeze()
    # A full pass still walks every object made since (each connected socket's); collecting
    # the middle generation 5 times less often lets the objects of requests in flight die young
    # instead of piling into the old generation, whose growth is what triggers a full pass.
    gc.set_threshold(700, 50, 10)
    config = uvicorn.Config(
        asgi_app(app, threads, at_shutdown=sweeper.stop),
        host=host,
        port=port,
        http=guarded_http(state.spec.connections, behind_proxy=bool(state.settings.HALLQ_PROXIES)),
        ws=ScreenConnection,
        # Engine.IO pings every socket itself; a second, WebSocket-level ping is only traffic.
        ws_ping_interval=None,
        ws_per_message_deflate=False,  # 64 KiB of zlib state per screen, for messages of 300 bytes
        ws_max_size=64 * 1024,
        lifespan="on",
        access_log=access_log,
        log_level="info" if access_log else "warning",
        log_config=None,  # the process's logging is service_logs': one handler, text or JSON lines
        backlog=4096,
        timeout_keep_alive=5,
        # Open screens reconnect by themselves: waiting longer for them only delays a restart.
        timeout_graceful_shutdown=3,
        proxy_headers=False,  # the Flask app's ProxyFix reads them, as many as HALLQ_PROXIES trusts
    )
    uvicorn.Server(config).run()
