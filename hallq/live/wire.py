"""One message to a room of screens, written to each socket's connection at once.

python-engineio sends each message through a queue per socket and a writer task per socket,
which frames it for the WebSocket on its own (uvicorn's protocol, the websockets library). A
hall's call goes to hundreds of screens; on that path every recipient cost a task wake-up, a
dict per send and its own framing, about 30 µs, and a busy morning's calls and tickets kept the
event loop, and with it the GIL the request threads need, saturated.

A message a server sends is the same bytes for every recipient (server frames are not masked),
so it is framed once here and written to each socket's transport. That is only right when
nothing else is on its way to that socket, so that nothing overtakes: the socket's writer is
waiting with an empty queue, its connection is open and its transport is taking data. Any other
socket (a slow one whose transport has paused, one still upgrading from polling, one with a
message already queued) gets the message on its queue, the library's way, behind the others.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode

log = logging.getLogger(__name__)


class LeanSocket(AsyncSocket):
    """python-engineio's socket, with its WebSocket connection known and its writer's state.

    It also waits for what to send without a task per message: the library's `poll` uses
    `asyncio.wait_for`, which on Python 3.11 makes a task every time; `asyncio.timeout` waits
    the same in the waiting task itself (it is what `wait_for` became in Python 3.12)."""

    connection: WebSocketsSansIOProtocol | None = None
    # Its writer (or a polling request) waits for the queue with nothing in hand.
    waiting = False

    async def _websocket_handler(self, ws: Any) -> Any:
        protocol = getattr(ws.asgi_send, "__self__", None)
        if isinstance(protocol, WebSocketsSansIOProtocol) and not protocol.conn.extensions:
            self.connection = protocol
        try:
            return await super()._websocket_handler(ws)
        finally:
            self.connection = None

    async def poll(self) -> list[Any]:
        # Past the timeout the writer ends and closes the socket. Messages written straight
        # never reach this queue: what keeps a quiet screen's writer alive is python-engineio's
        # ping, every ping_interval, which must keep taking the queue.
        self.waiting = True
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                first = await self.queue.get()
        except (TimeoutError, asyncio.CancelledError):  # as the library: the socket is done
            raise eio_exceptions.QueueEmpty() from None
        finally:
            self.waiting = False
        self.queue.task_done()
        if first is None:
            return []
        packets = [first]
        while not self.queue.empty():
            following = self.queue.get_nowait()
            self.queue.task_done()
            if following is None:  # the end: left for the next poll to find
                self.queue.put_nowait(None)
                break
            packets.append(following)
        return packets

    def writable_now(self) -> bool:
        """Whether a message may be written straight to the connection: nothing is ahead of
        it, and the connection is open and taking data."""
        connection = self.connection
        return not (
            connection is None
            or not self.waiting
            or not self.queue.empty()
            or not self.upgraded
            or self.upgrading
            or self.closing
            or self.closed
            or connection.close_sent
            or connection.disconnected
            or not connection.writable.is_set()
            or connection.transport.is_closing()
        )

    def write(self, frames: bytes) -> None:
        assert self.connection is not None
        self.connection.transport.write(frames)


def text_frame(text: str) -> bytes:
    """A WebSocket text message as a server sends it (whole, unmasked, no extension)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False, extensions=[])


class LeanBroadcast(socketio.AsyncManager):
    """python-socketio's delivery to this process's sockets, made lean: it encodes a message
    once, as the library does, and frames it once for the WebSocket; then it writes it straight
    to each recipient's connection, or puts it on the recipient's send queue when something is
    ahead of it there, where the library makes a task per recipient and waits for them all. A
    socket that has stopped answering is closed by its own ping timeout, as before; a message
    with a callback takes the library's way.

    `emit_all` sends a batch of messages (what commits made meanwhile) with one write per
    socket: a call's `ticket_called`, `queue_state` and `window_state` reach a hall board in
    one system call, not three, and the system calls are most of what is left of a broadcast's
    cost (on loopback each also runs the receiver's side of TCP).

    The manager of one process; with Redis, the base after python-socketio's Redis manager
    (hallq.live.redis_delivery), whose delivery of what it hears from Redis to this process's
    own sockets calls this `emit`."""

    async def emit(
        self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
        callback: Any = None, to: Any = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        if callback is not None or skip_sid is not None or namespace not in self.rooms:
            return await super().emit(event, data, namespace, room, skip_sid, callback, to, **kwargs)
        # Not through emit_all: with Redis this emit is the delivery to this process's own
        # sockets, and RedisDelivery's emit_all publishes (it would come back here for ever).
        self._deliver_here([(event, data, to or room)], namespace)
        return None

    async def emit_all(self, messages: list[tuple[str, Any, Any]], namespace: str) -> None:
        """Sends (event, data, rooms) messages in their order."""
        self._deliver_here(messages, namespace)

    def _deliver_here(self, messages: list[tuple[str, Any, Any]], namespace: str) -> None:
        # Nothing here waits: no other task runs (no socket's writer, no acknowledgement)
        # between deciding that a socket's messages go straight and writing them.
        straight: dict[LeanSocket, list[bytes]] = {}
        sockets = self.server.eio.sockets
        for event, data, rooms in messages:
            try:
                packets = self._packets(event, data, namespace)
            except Exception:  # one message's failure must not end the delivery of all others
                log.exception("could not encode %s for %s", event, rooms)
                continue
            # One text packet (no binary attachments) can be written whole; others are queued.
            frame = text_frame(packets[0].encode()) if len(packets) == 1 else None
            for _sid, eio_sid in self.get_participants(namespace, rooms):
                socket = sockets.get(eio_sid)
                if socket is None or socket.closed:
                    continue
                if frame is not None and isinstance(socket, LeanSocket):
                    if socket in straight:
                        straight[socket].append(frame)
                        continue
                    if socket.writable_now():
                        straight[socket] = [frame]
                        continue
                for each in packets:
                    socket.queue.put_nowait(each)
        for socket, frames in straight.items():
            socket.write(frames[0] if len(frames) == 1 else b"".join(frames))

    def _packets(self, event: str, data: Any, namespace: str) -> list[Any]:
        args = (
            list(data) if isinstance(data, tuple) else [] if data is None else [data]
        )  # as the library does
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        return [
            eio_packet.Packet(eio_packet.MESSAGE, part)
            for part in (encoded if isinstance(encoded, list) else [encoded])
        ]
