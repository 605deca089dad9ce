"""Many /hall screens in one asyncio loop, for the crowd test and benchmarks/screens.py.

A minimal Engine.IO 4 / Socket.IO 5 client over the websocket transport (the `websockets`
library), the protocol the hall's browsers speak: thousands fit in one thread, where
python-socketio's client takes threads for each. Each screen may connect from its own
loopback address (127.0.0.2, 127.0.0.3 …), as screens of different PCs would."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

NAMESPACE = "/hall"


class Refused(Exception):
    """The server refused the socket (Socket.IO CONNECT_ERROR); the message is its reason."""


@dataclass
class Screen:
    url: str  # http://127.0.0.1:PORT
    subscription: dict[str, Any] | None  # None: join /hall and subscribe to nothing
    address: str = "127.0.0.1"
    token: str | None = None
    receive_buffer: int | None = None  # SO_RCVBUF in bytes: small for a screen that stops reading
    heard: list[tuple[str, Any, float]] = field(default_factory=list)  # name, payload, perf_counter
    closed: bool = False
    _ws: ClientConnection | None = None
    _acks: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _reader: asyncio.Task[None] | None = None

    async def open(self) -> dict[str, Any] | None:
        """Connects, joins /hall and subscribes; the subscription's acknowledgement."""
        uri = self.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        if self.receive_buffer is None:
            where: dict[str, Any] = {"local_addr": (self.address, 0)}
        else:  # set before connecting, so that the window the server is offered stays that small
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
            sock.bind((self.address, 0))
            sock.setblocking(False)
            host, port = self.url.removeprefix("http://").rsplit(":", 1)
            await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
            where = {"sock": sock}
        self._ws = await connect(uri, compression=None, open_timeout=30, **where)
        opened = await self._ws.recv()
        assert str(opened).startswith("0"), opened
        await self._ws.send(f"40{NAMESPACE}," + (json.dumps({"token": self.token}) if self.token else ""))
        answer = str(await self._ws.recv())
        if answer.startswith(f"44{NAMESPACE},"):
            await self._ws.close()
            self.closed = True
            raise Refused(json.loads(answer.split(",", 1)[1])["message"])
        assert answer.startswith(f"40{NAMESPACE},"), answer
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return None if self.subscription is None else await self.call("subscribe", self.subscription)

    async def call(self, event: str, payload: Any) -> Any:
        assert self._ws is not None
        ack_id = next(self._ids)
        answer = self._acks[ack_id] = asyncio.get_running_loop().create_future()
        await self._ws.send(f"42{NAMESPACE},{ack_id}" + json.dumps([event, payload], ensure_ascii=False))
        try:
            return await asyncio.wait_for(answer, 60)
        finally:
            del self._acks[ack_id]

    def stop_reading(self, loop: asyncio.AbstractEventLoop) -> None:
        """From another thread: the screen stops reading its socket, as a hung browser does."""
        assert self._ws is not None
        loop.call_soon_threadsafe(self._ws.transport.pause_reading)

    def read_again(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._ws is not None
        loop.call_soon_threadsafe(self._ws.transport.resume_reading)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                text = str(message)
                if text == "2":  # Engine.IO ping
                    await self._ws.send("3")
                elif text == "1":  # Engine.IO close: the server has closed this socket
                    await self._ws.close()
                elif text.startswith(f"42{NAMESPACE},"):
                    name, payload = json.loads(text.split(",", 1)[1])
                    self.heard.append((name, payload, time.perf_counter()))
                elif text.startswith(f"43{NAMESPACE},"):
                    body = text.split(",", 1)[1]
                    digits = len(body) - len(body.lstrip("0123456789"))
                    future = self._acks.get(int(body[:digits]))
                    if future is not None and not future.done():
                        future.set_result(json.loads(body[digits:])[0])
        except Exception:  # noqa: BLE001 - a dropped connection ends the screen
            pass
        self.closed = True


class Crowd:
    """An asyncio loop on a thread of its own, driving screens while the caller's thread acts."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, Any], timeout: float = 300) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def open(self, screens: list[Screen], at_once: int = 100) -> list[Any]:
        """Opens the screens, at most `at_once` handshakes at a time; each one's acknowledgement
        or the exception it got."""

        async def all_of() -> list[Any]:
            gate = asyncio.Semaphore(at_once)

            async def one(screen: Screen) -> Any:
                async with gate:
                    return await screen.open()

            return await asyncio.gather(*(one(s) for s in screens), return_exceptions=True)

        return self.run(all_of())

    def close(self, screens: list[Screen]) -> None:
        async def all_of() -> None:
            await asyncio.gather(*(s.close() for s in screens), return_exceptions=True)

        self.run(all_of())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
