"""Revocation seen by every process of the hall within a second. Each process caches what a
bearer token stands for for 30 s (HallqState.token_cache): without this, a revoked token, or
the token of an account just deactivated or given a new password, would go on working on the
other processes until their entry expired. (Login sessions need none of this: each request
reads its account's session_version from the database.)

Where the hall's processes share a Redis (SOCKETIO_MESSAGE_QUEUE), the process that makes the
change publishes it on one channel, and every process, listening on a thread of its own, drops
the matching entries. Without Redis there is one process, and its cache is cleared directly.
While Redis is unreachable the 30 s expiry is the bound, as before; a process that
(re)subscribes clears its whole cache, since it may have missed revocations meanwhile."""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from .faults import REDIS_PAUSE_AFTER_FAILURE, REDIS_TIMEOUT

if TYPE_CHECKING:
    from .faults import MessageQueue
    from .settings import Settings
    from .state import HallqState

log = logging.getLogger(__name__)

# One channel for every hall: halls sharing a Redis share nothing else that could clash (a
# token digest is unique; a staff id names the same person where halls share a database, and
# elsewhere dropping a stranger's entry only costs one look-up).
CHANNEL = "hallq-revocations"

# Which of the person's open sockets a change closes (hallq.live.server): a new password or a
# logout ends their login sessions, so the sockets opened with one; deactivation ends all.
# Other changes (a new badge) close none: a browser does not reconnect a socket the server
# closed, and the person's pages would go offline for nothing.
CLOSES_SESSIONS = "sessions"
CLOSES_ALL = "all"


class Revocations:
    """Drops revoked logins from the token caches of every process (this one first)."""

    def __init__(self, app_state: HallqState, queue: MessageQueue | None) -> None:
        self.app_state = app_state
        self.queue = queue
        self.listening = threading.Event()  # set while subscribed (tests wait for it)
        # Raised by every drop: a look-up that began before a drop must not cache what it
        # read (the token may have been revoked between its read and its caching).
        self.generation = 0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def token_revoked(self, digest: str) -> None:
        self._announce({"token": digest})

    def staff_changed(self, staff_id: int, closes: str | None = None) -> None:
        """The account was changed (its cached tokens are read afresh); `closes` says which of
        its open sockets close: CLOSES_SESSIONS or CLOSES_ALL."""
        self._announce({"staff": staff_id, "closes": closes})

    def start(self) -> None:
        """Listen for the other processes' revocations (where there is a Redis)."""
        if self.queue is not None and self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="hallq-revocations", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(REDIS_TIMEOUT + 2)

    def _announce(self, change: dict[str, Any]) -> None:
        self.forget(change)
        if self.queue is not None:
            try:
                publish(self.queue.url, change)
            except Exception as exc:  # noqa: BLE001 - any failure of Redis: the 30 s expiry bounds it
                self.queue.failed(exc)

    def forget(self, change: dict[str, Any]) -> None:
        """Drops the cache entries the change makes stale, and closes the sockets it names."""
        app_state = self.app_state
        if app_state.live is not None:
            app_state.live.drop_revoked(change)
        token, staff_id = change.get("token"), change.get("staff")
        with app_state.cache_lock:
            self.generation += 1
            cache = app_state.token_cache
            if isinstance(token, str):
                cache.pop(token, None)
            elif isinstance(staff_id, int):
                for digest in list(cache.keys()):
                    if _person_of(cache, digest) == staff_id:
                        cache.pop(digest, None)

    def _forget_all(self) -> None:
        with self.app_state.cache_lock:
            self.generation += 1
            self.app_state.token_cache.clear()

    def _heard(self, data: bytes) -> None:
        try:
            self.forget(_parsed(data))
        except Exception:  # one message's failure must not end the listening
            log.exception("could not apply the revocation %r", data[:100])
            self._forget_all()

    def _listen(self) -> None:
        import redis

        assert self.queue is not None
        while not self._stopped.is_set():
            client = redis.Redis.from_url(
                self.queue.url,
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT,
                health_check_interval=10,  # a silent connection is found dead within seconds
            )
            subscription = client.pubsub(ignore_subscribe_messages=True)
            try:
                subscription.subscribe(CHANNEL)
                self._forget_all()  # whatever was revoked while nobody here listened
                self.listening.set()
                while not self._stopped.is_set():
                    message = subscription.get_message(timeout=0.5)
                    if message is not None:
                        self._heard(message["data"])
            except redis.RedisError as exc:
                self.listening.clear()
                self.queue.failed(exc)
                self._stopped.wait(REDIS_PAUSE_AFTER_FAILURE)
            finally:
                subscription.close()
                client.close()


def _person_of(cache: Any, digest: str) -> int | None:
    """The staff id a cache entry stands for (a device's, or a refusal's, has none). One look:
    an entry may expire between two (see hallq.auth._token_principal)."""
    try:
        return getattr(cache[digest], "id", None)
    except KeyError:
        return None


def _parsed(data: bytes) -> dict[str, Any]:
    try:
        change = json.loads(data)
    except ValueError:
        change = None
    if not isinstance(change, dict):
        log.warning("ignoring a malformed revocation on %s: %r", CHANNEL, data[:100])
        return {}
    return change


def publish(url: str, change: dict[str, Any]) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    try:
        client.publish(CHANNEL, json.dumps(change))
    finally:
        client.close()


def announce_staff_change(settings: Settings, staff_id: int, closes: str | None = None) -> None:
    """From a command run beside the server (hallq user add): the serving processes hear it
    where they share a Redis; otherwise their cached tokens expire within 30 s."""
    if settings.SOCKETIO_MESSAGE_QUEUE:
        try:
            publish(settings.SOCKETIO_MESSAGE_QUEUE, {"staff": staff_id, "closes": closes})
        except Exception as exc:  # noqa: BLE001 - Redis away: the expiry bounds it
            log.warning("could not announce the change on %s: %s", CHANNEL, exc)
