"""The /hall namespace on python-socketio's asyncio server.

Every open screen is a coroutine on one event loop, not a thread, so a hall's hundreds of
boards, panels, keypads and phones cost memory only and never hold up a request. What blocks
(reading the database to authenticate a socket or to answer a subscription with the screen's
state) runs in a small pool of worker threads, so a stalled fsync never freezes the sockets.

Committed events arrive from the request threads (Database's publisher), go through one queue
to the loop and are sent in the order they were committed.

Anonymous sockets (boards, phone pages) are counted per client address and refused over the
hall's cap ([connections] in hall.toml); devices and staff, who connect with a token or a
login, never are. A connection that has subscribed to nothing within subscribe_timeout is
closed."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from socket import gethostname
from typing import Any, TypeVar

import socketio
from engineio.async_socket import AsyncSocket
from flask import Flask
from flask_login import current_user
from werkzeug.test import EnvironBuilder

from hallq.acting import hall_id
from hallq.auth import token_digest, user_for_token
from hallq.revocation import CLOSES_ALL, CLOSES_SESSIONS
from queue_core.events import DomainEvent
from queue_core.spec import ConnectionSpec

from .outbox import Message, StatePacer
from .rooms import NAMESPACE, hall_room, rooms_for
from .subscriptions import KINDS, Kind, Refused, admit, current_state, parse
from .wire import LeanBroadcast, LeanSocket

log = logging.getLogger(__name__)
T = TypeVar("T")

# Screens only listen: a client's messages are small subscriptions.
LARGEST_CLIENT_MESSAGE = 16 * 1024


def client_address(environ: dict[str, Any], proxies: int) -> str:
    """The address a socket comes from: its peer's, or behind `proxies` trusted proxies the
    one the outermost of them saw (X-Forwarded-For, read from the right as ProxyFix does)."""
    peer = (environ["asgi.scope"].get("client") or ("unknown", 0))[0]
    if not proxies:
        return str(peer)
    forwarded = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else str(peer)


class _AsyncServer(socketio.AsyncServer):
    """python-socketio's server, told when a transport opens: a client may open an Engine.IO
    connection and never join the namespace, and that must be closed too."""

    on_transport_open: Callable[[str], None] = staticmethod(lambda eio_sid: None)

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        # python-engineio has no setting for its socket class; this runs as the socket is made,
        # before anything polls it.
        socket = self.eio.sockets.get(eio_sid)
        if type(socket) is AsyncSocket:
            socket.__class__ = LeanSocket
        answer = await super()._handle_eio_connect(eio_sid, environ)
        self.on_transport_open(eio_sid)
        return answer


class LiveServer:
    def __init__(
        self,
        app: Flask,
        limits: ConnectionSpec,
        *,
        proxies: int = 0,
        client_manager: LeanBroadcast | None = None,
    ) -> None:
        self.app, self.limits, self.proxies = app, limits, proxies
        self.sio = _AsyncServer(
            async_mode="asgi",
            client_manager=client_manager or LeanBroadcast(),
            # None: same origin only. ([] would turn the Origin check off: any web page a
            # logged-in manager visits could then open the dashboard's socket with their cookie.)
            cors_allowed_origins=None,
            max_http_buffer_size=LARGEST_CLIENT_MESSAGE,
            # A client that stops reading stops answering pings too: it is dropped, and what was
            # queued for it freed, within these 40 s.
            ping_interval=20,
            ping_timeout=20,
        )
        self.sio.on_transport_open = self._transport_opened
        self.sio.on("connect", self._connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._disconnect, namespace=NAMESPACE)
        self.sio.on("subscribe", self._subscribe, namespace=NAMESPACE)
        self.sio.on("*", self._refuse, namespace=NAMESPACE)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[list[Message]] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._pacer: StatePacer | None = None
        # Database reads for sockets: apart from the request threads, so that a reconnecting
        # hall's subscriptions never hold up a kiosk's ticket.
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="live")
        self._hall_id: int | None = None
        self._principals: dict[str, Any] = {}
        self._token_digests: dict[str, str] = {}  # sid → its token's digest, for revocations
        # sid → the kinds it subscribed to: a frozenset, replaced whole, because /metrics
        # counts them from a request thread while the loop goes on
        self._subscribed: dict[str, frozenset[str]] = {}
        self._anonymous: dict[str, str] = {}  # sid → address
        self._addresses: dict[str, str] = {}  # sid → address
        self._present: dict[str, tuple[Kind, Any]] = {}  # sid → what it joined, for kinds with presence
        # sid → its presence being recorded: its leaving waits for it, or the two writes, each
        # in its own worker thread, could commit in the wrong order and leave it present.
        self._joining: dict[str, asyncio.Future[Any]] = {}
        self._per_address: Counter[str] = Counter()
        self._refusal_logged: dict[str, float] = {}

    # -- from any thread -------------------------------------------------------------------

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """The Database's publisher: called after each commit, never for a rollback. Outside a
        serving process (a CLI command) there is nobody to tell."""
        routed = [(event, rooms_for(event)) for event in events]
        self.send([(event.name, event.payload(), rooms) for event, rooms in routed if rooms])

    def send(self, messages: list[Message]) -> None:
        loop, outbox = self.loop, self._outbox
        if loop is None or outbox is None or not messages:
            return
        try:
            loop.call_soon_threadsafe(outbox.put_nowait, messages)
        except RuntimeError:  # the loop has closed: the server is stopping
            return

    def tell_dashboards(self, alarm: dict[str, Any]) -> None:
        """An alarm no row holds (the disk is full), for the managers' dashboards open now."""
        if self._hall_id is not None:
            self.send([("alarm", alarm, [hall_room(self._hall_id, "dashboard")])])

    def has_listeners(self, room: str) -> bool:
        return bool(self.sio.manager.rooms.get(NAMESPACE, {}).get(room))

    def open_sockets(self) -> tuple[int, dict[str, int]]:
        """This process's sockets on /hall, and how many have subscribed to each kind, every
        kind named (a phone page follows its ticket and its queue: it counts under both)."""
        held = list(self._subscribed.values())
        counted = Counter(kind for kinds in held for kind in kinds)
        return len(self._principals), {kind: counted[kind] for kind in KINDS}

    def drop_revoked(self, change: dict[str, Any]) -> None:
        """Disconnects this process's sockets a revocation names (hallq.revocation): those of
        a revoked token, those opened with the sessions of a person whose sessions ended, and
        every one of a person deactivated."""
        loop = self.loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._drop_revoked, change)
        except RuntimeError:  # the loop has closed: the server is stopping
            return

    # -- on the event loop -----------------------------------------------------------------

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._outbox = outbox = asyncio.Queue[list[Message]]()
        self._pacer = StatePacer(self.loop, lambda state: outbox.put_nowait([state]))
        self._hall_id = await self._in_thread(hall_id)
        self._sender = asyncio.create_task(self._send_in_order())

    async def stop(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        self.loop = None
        self._readers.shutdown(wait=False, cancel_futures=True)

    def _drop_revoked(self, change: dict[str, Any]) -> None:
        token, staff_id, closes = change.get("token"), change.get("staff"), change.get("closes")
        for sid, principal in list(self._principals.items()):
            theirs = isinstance(staff_id, int) and getattr(principal, "id", None) == staff_id
            if (
                (isinstance(token, str) and self._token_digests.get(sid) == token)
                or (theirs and closes == CLOSES_ALL)
                or (theirs and closes == CLOSES_SESSIONS and not principal.via_token)
            ):
                self.sio.start_background_task(self.sio.disconnect, sid, namespace=NAMESPACE)

    async def _send_in_order(self) -> None:
        assert self._outbox is not None and self._pacer is not None
        while True:
            waiting = await self._outbox.get()
            while not self._outbox.empty():  # behind on a busy morning: take all that waits
                waiting += self._outbox.get_nowait()
            try:
                await self.sio.manager.emit_all(self._pacer.admit(waiting), NAMESPACE)
            except Exception:  # the next commits' messages must still go out
                log.exception("could not send %d messages", len(waiting))

    async def _in_thread(self, work: Callable[..., T], *args: Any) -> T:
        def in_app() -> T:
            with self.app.app_context():
                return work(*args)

        return await asyncio.get_running_loop().run_in_executor(self._readers, in_app)

    def _transport_opened(self, eio_sid: str) -> None:
        if self.loop is not None:
            self.loop.call_later(self.limits.subscribe_timeout, self._close_if_silent, eio_sid)

    def _close_if_silent(self, eio_sid: str) -> None:
        sid = self.sio.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
        if sid is None or sid not in self._subscribed:
            self.sio.start_background_task(self.sio.eio.disconnect, eio_sid)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool | None:
        token = auth.get("token") if isinstance(auth, dict) else None
        cookie = environ.get("HTTP_COOKIE")
        principal = None
        address = client_address(environ, self.proxies)
        if isinstance(token, str) and token:
            principal = await self._in_thread(user_for_token, token)
            self._token_digests[sid] = token_digest(token)
        elif cookie:  # a staff page: the person logged in, from the cookie sent with the handshake
            principal = await self._in_thread(self._logged_in, cookie)
        if self._left(sid):
            # It went while its token or login was checked. python-socketio does not tell a
            # connecting socket's leaving (no disconnect comes): refusing it is what makes the
            # library forget it, and nothing of it may be recorded here.
            return False
        if principal is None:
            if self._per_address[address] >= self.limits.anonymous_sockets_per_address:
                self._log_refusal(address)
                raise socketio.exceptions.ConnectionRefusedError(
                    f"too many screens from {address}: at most "
                    f"{self.limits.anonymous_sockets_per_address} without a token"
                )
            self._per_address[address] += 1
            self._anonymous[sid] = address
        self._addresses[sid] = address
        self._principals[sid] = principal
        return None

    def _left(self, sid: str) -> bool:
        """Whether the socket's Engine.IO connection has closed."""
        socket = self.sio.eio.sockets.get(self.sio.manager.eio_sid_from_sid(sid, NAMESPACE))
        return socket is None or socket.closing or socket.closed

    def _logged_in(self, cookie: str) -> Any:
        environ = EnvironBuilder(path="/socket.io/", headers=[("Cookie", cookie)]).get_environ()
        with self.app.request_context(environ):
            # A session left idle too long loads as nobody (hallq.auth); one whose password
            # must first be changed reaches only that page, and no socket either.
            user = current_user._get_current_object()
            return user if user.is_authenticated and not user.must_change_password else None

    def _log_refusal(self, address: str) -> None:
        now = time.monotonic()
        if now - self._refusal_logged.get(address, -60.0) >= 60:
            self._refusal_logged[address] = now
            log.warning(
                "refusing anonymous sockets from %s: it holds %d, the cap ([connections] "
                "anonymous_sockets_per_address); logged once a minute",
                address,
                self._per_address[address],
            )

    async def _disconnect(self, sid: str, *_reason: Any) -> None:
        present = self._present.pop(sid, None)
        joining = self._joining.pop(sid, None)
        if joining is not None:
            await asyncio.wait([joining])
        if present is not None and (left := present[0].left) is not None:
            value = present[1]
            try:
                await self._in_thread(left, value, self._connection(sid), self._addresses.get(sid, ""))
            except Exception:  # the database is away: the presence stays as it was until it joins again
                log.exception("could not record that %s left", value)
        self._addresses.pop(sid, None)
        self._principals.pop(sid, None)
        self._token_digests.pop(sid, None)
        self._subscribed.pop(sid, None)
        address = self._anonymous.pop(sid, None)
        if address is not None:
            self._per_address[address] -= 1
            if self._per_address[address] <= 0:
                del self._per_address[address]
                # Kept only while the address has screens: it cannot be refused without them.
                self._refusal_logged.pop(address, None)

    async def _subscribe(self, sid: str, what: Any) -> dict[str, Any]:
        """Returns an acknowledgement: {"ok": true, "room": ..., "state": ...} or {"ok": false, "error": ...}."""
        try:
            name, value, kind = parse(what)
            if kind.checked:
                value = await self._in_thread(admit, kind, self._principals.get(sid), value)
        except Refused as refused:
            return {"ok": False, "error": str(refused)}
        room = kind.room(value)
        await self.sio.enter_room(sid, self._room(kind, room), namespace=NAMESPACE)
        if sid in self._principals:  # not gone while it was admitted
            self._subscribed[sid] = self._subscribed.get(sid, frozenset()) | {name}
        if kind.joined is not None:
            self._present[sid] = (kind, value)
            joining = asyncio.ensure_future(
                self._in_thread(kind.joined, value, self._connection(sid), self._addresses.get(sid, ""))
            )
            self._joining[sid] = joining
            try:
                await joining
            finally:
                self._joining.pop(sid, None)
        # Read after joining: an event committed meanwhile is both in the state and sent.
        now = await self._in_thread(current_state, kind, value) if kind.state else None
        return {"ok": True, "room": room, "state": now}

    @staticmethod
    def _connection(sid: str) -> str:
        """The socket, named across the hall's processes and hosts."""
        return f"{gethostname()}:{os.getpid()}:{sid}"

    def _room(self, kind: Kind, room: str) -> str:
        assert self._hall_id is not None
        return room if kind.hall_wide else hall_room(self._hall_id, room)

    async def _refuse(self, event: str, sid: str, *_args: Any) -> dict[str, Any]:
        """Screens only listen: every change goes through the JSON API, where roles are checked
        and the audit trail is written. Any other event is answered with a refusal, not acted on."""
        return {"ok": False, "error": f"{event!r} is not an event of /hall: clients only subscribe"}
