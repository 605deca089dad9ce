"""Delivery to the sockets of every process of a hall, through Redis (SOCKETIO_MESSAGE_QUEUE)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from hallq.faults import REDIS_TIMEOUT, MessageQueue

from .wire import LeanBroadcast

log = logging.getLogger(__name__)


class RedisDelivery(socketio.AsyncRedisManager, LeanBroadcast):
    """python-socketio's Redis manager, which already delivers each message to this process's
    own clients before publishing it. Publishing goes through a queue of its own, so that a
    Redis that hangs never delays this process's screens, and a failed publish is reported to
    the MessageQueue (one log line per outage) instead of two error lines per message; while
    the queue is full, messages for the other processes are dropped (they resync their screens
    when Redis is back, as after any cut). What it hears from Redis reaches this process's
    sockets through LeanBroadcast, as in a single process."""

    connected: bool  # AsyncRedisManager's: whether it holds a connection to Redis

    WAITING_AT_MOST = 10_000

    def __init__(self, queue: MessageQueue) -> None:
        # Flask-SocketIO's channel, the one the hall's processes have always used.
        options = {"socket_connect_timeout": REDIS_TIMEOUT}
        super().__init__(queue.url, channel="flask-socketio", redis_options=options)
        self.queue = queue
        self._waiting: asyncio.Queue[Any] | None = None

    async def emit_all(self, messages: list[tuple[str, Any, Any]], namespace: str) -> None:
        # Each message also goes to the other processes: the Redis manager's emit, one by one
        # (the batch's single write per socket is a single process's).
        for event, data, rooms in messages:
            try:
                await self.emit(event, data, namespace, to=rooms)
            except Exception:  # one message's failure must not end the delivery of all others
                log.exception("could not send %s to %s", event, rooms)

    async def _publish(self, data: Any) -> None:
        if self._waiting is None:
            self._waiting = asyncio.Queue(self.WAITING_AT_MOST)
            self.server.start_background_task(self._publish_waiting)
        try:
            self._waiting.put_nowait(data)
        except asyncio.QueueFull:
            self.queue.failed(TimeoutError("Redis has not taken the last 10,000 messages"))

    async def _publish_waiting(self) -> None:
        assert self._waiting is not None
        while True:
            data = await self._waiting.get()
            attempt = self.queue.attempt()
            try:
                if not self.connected:
                    self._redis_connect()
                await asyncio.wait_for(self.redis.publish(self.channel, self.json.dumps(data)), REDIS_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - any failure of Redis: the message stays local
                self.connected = False
                self.queue.failed(exc)
            else:
                self.queue.worked(attempt)
