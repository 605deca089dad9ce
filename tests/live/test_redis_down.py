"""A `hallq serve` whose Redis (SOCKETIO_MESSAGE_QUEUE) goes away: it keeps serving its own
clients (a board connected to it hears the calls made through it, kiosks issue tickets under
their rate limit), says "degraded" on /healthz and once in its log, and is fine again when Redis
is back. Redis is reached through a TCP proxy that the test cuts; skipped, saying why, where no
Redis is running."""

from __future__ import annotations

import os
import queue
import shutil
import time

import pytest
import requests
import socketio
from sqlalchemy.engine import make_url

from hallq.faults import REDIS_TIMEOUT
from queue_core.models import Role
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import add_device_token, add_staff, new_hall
from tests.tcp_proxy import TcpProxy

REDIS_URL = os.environ.get("HALLQ_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_proxy():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    url = make_url(REDIS_URL)  # redis://host:port/db parses as any URL
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 6379)
    yield proxy, f"redis://127.0.0.1:{proxy.port}/{url.database or 0}"
    proxy.close()


@pytest.fixture
def hall_on_redis(tmp_path, redis_proxy):
    proxy, redis_url = redis_proxy
    shutil.copytree(DEMO_CONFIG, tmp_path / "config")
    path = tmp_path / "config" / "hall.toml"
    # K1 counts its tickets in Redis, shared by the hall's processes.
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('id = "K1"\n', 'id = "K1"\nrate_limit = "100/minute"\n', 1), encoding="utf-8"
    )
    hall = new_hall(tmp_path)
    hall.env["SOCKETIO_MESSAGE_QUEUE"] = redis_url
    hall.tokens = add_staff(hall.env["DATABASE_URL"], [("clerk5", Role.CLERK)])
    hall.tokens["K1"] = add_device_token(hall.env["DATABASE_URL"], "kiosk", "K1")
    log = tmp_path / "server.log"
    server = hall.serve(log)
    yield hall, proxy, log
    server.terminate()
    server.wait(timeout=15)


def health(hall) -> dict:
    answer = requests.get(f"{hall.url}/healthz", timeout=10)
    assert answer.status_code == 200, answer.text  # the process serves: keep it behind the balancer
    return without_calendar(answer.json())


def without_calendar(health: dict) -> dict:
    """/healthz without what it says of the hall's calendar (it depends on the date: whether
    next year's holidays are known yet, tests/api/test_calendar_api.py)."""
    assert "calendar" in health
    return {key: value for key, value in health.items() if key != "calendar"}


def call_heard_by_a_board(hall) -> None:
    """A board on this process hears a ticket issued and called through this process."""
    heard: queue.Queue[dict] = queue.Queue()
    board = socketio.Client(reconnection=False)
    board.on("ticket_called", heard.put, namespace="/hall")
    board.connect(hall.url, namespaces=["/hall"], transports=["websocket"])
    try:
        assert board.call("subscribe", {"window": 5}, namespace="/hall", timeout=10)["ok"]
        issued = hall.api("POST", "/tickets", "K1", json={"queue": "A"})
        assert issued.status_code == 201, issued.text
        number = issued.json()["number"]
        called = hall.api("POST", "/windows/5/call", "clerk5", json={"number": number})
        assert called.ok, called.text
        call = heard.get(timeout=10)
        assert (call["number"], call["window"]) == (number, 5)
    finally:
        board.disconnect()
    assert hall.api("POST", "/windows/5/no-show", "clerk5", json={}).ok


def test_without_redis_a_process_serves_its_own_clients_and_says_degraded(hall_on_redis):
    hall, proxy, log = hall_on_redis
    assert health(hall) == {"status": "ok", "database": "ok", "message_queue": "ok"}
    assert hall.api("POST", "/windows/5/sign-in", "clerk5").ok
    call_heard_by_a_board(hall)

    proxy.cut()
    call_heard_by_a_board(hall)
    call_heard_by_a_board(hall)
    degraded = health(hall)
    assert degraded["status"] == "degraded" and degraded["database"] == "ok"
    assert degraded["message_queue"].startswith("unreachable: ")
    # Said once for the outage, not once per message or request.
    assert log.read_text().count("unreachable") == 1, log.read_text()

    proxy.restore()
    assert health(hall)["status"] == "ok"
    assert "reachable again" in log.read_text()
    call_heard_by_a_board(hall)


def test_a_single_process_has_no_message_queue_to_lose(app):
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert without_calendar(answer.get_json()) == {"status": "ok", "database": "ok"}


def test_a_hung_redis_costs_one_request_its_timeout_not_every_request(hall_on_redis):
    """Redis accepts the line and never answers: one ticket waits for its timeout, then the
    limits are counted in the process for a while and the kiosk issues at full speed."""
    hall, proxy, log = hall_on_redis
    assert hall.api("POST", "/tickets", "K1", json={"queue": "A"}).status_code == 201
    proxy.silence()
    slow = 0
    for _ in range(20):
        began = time.monotonic()
        issued = hall.api("POST", "/tickets", "K1", json={"queue": "A"})
        assert issued.status_code == 201, issued.text
        slow += time.monotonic() - began >= REDIS_TIMEOUT
    assert slow <= 1, f"{slow} of 20 tickets waited for Redis"
    assert log.read_text().count("unreachable") == 1, log.read_text()
    proxy.restore()
