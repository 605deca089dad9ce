"""A city's halls in one database: 青山 (hall A) and 白水 (hall B), each its own hall.toml and
its own `hallq serve`, share one PostgreSQL database and one Redis message queue. A board of
hall A never hears hall B's calls; hall B's staff and devices are refused at hall A's server;
hall A's API does not find hall B's tickets and items by id; the city dashboard, served by
hall A, lists both halls and follows a ticket issued in hall B. Skipped, saying why, where
PostgreSQL or Redis is not running."""

from __future__ import annotations

import os
import queue
import re
import time

import pytest
import requests
import socketio
from playwright.sync_api import expect

from hallq.live.city import CityFigures
from tests.conftest import DEMO_CONFIG, new_postgres_database
from tests.live.conftest import LiveHall, log_in, new_hall

REDIS_URL = os.environ.get("HALLQ_TEST_REDIS", "redis://127.0.0.1:6379/0")
HALL_B = ("baishui", "白水县政务服务中心")


def hall_of_the_city(root, database_url: str, code: str | None = None) -> LiveHall:
    """A hall on the city's database and message queue: the demo's, or a copy under another
    code and name. Its clerk <code>_clerk5 (password and token) and kiosk K1 (token)."""
    if code is not None:
        (root / "config").mkdir(parents=True)
        for source in DEMO_CONFIG.iterdir():
            text = source.read_bytes()
            if source.name == "hall.toml":
                text = text.replace(b'code = "qingshan"', f'code = "{code}"'.encode(), 1)
                text = text.replace("青山县政务服务中心".encode(), HALL_B[1].encode())
            (root / "config" / source.name).write_bytes(text)
    hall = new_hall(root, database_url=database_url)
    hall.env["SOCKETIO_MESSAGE_QUEUE"] = REDIS_URL
    prefix = code or "qingshan"
    hall.hallq(
        "user", "add", f"{prefix}_clerk5", "--role", "clerk", "--password-stdin", input="password-123\n"
    )
    hall.tokens["clerk5"] = hall.hallq("token", "issue", f"{prefix}_clerk5").strip()
    hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
    return hall


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    with new_postgres_database() as url:
        database_url = url.render_as_string(hide_password=False)
        root = tmp_path_factory.mktemp("city")
        a = hall_of_the_city(root / "a", database_url)
        b = hall_of_the_city(root / "b", database_url, HALL_B[0])
        a.hallq("user", "add", "city", "--role", "city", "--name", "市监管", "--password-stdin",
                input="password-123\n")  # fmt: skip
        servers = [a.serve(root / "a.log"), b.serve(root / "b.log")]
        yield a, b
        for server in servers:
            server.terminate()
            server.wait(timeout=15)


def ok(hall: LiveHall, method: str, path: str, who: str, **kw: object) -> dict:
    done = hall.api(method, path, who, **kw)
    assert done.ok, done.text
    return done.json() if done.content else {}


def call_at_window_5(hall: LiveHall, tickets: int) -> str:
    """Issue this many tickets in queue A and call the last at window 5: its number."""
    ok(hall, "POST", "/windows/5/sign-in", "clerk5")
    numbers = [ok(hall, "POST", "/tickets", "K1", json={"queue": "A"})["number"] for _ in range(tickets)]
    ok(hall, "POST", "/windows/5/call", "clerk5", json={"number": numbers[-1]})
    return numbers[-1]


def board(hall: LiveHall, heard: queue.Queue) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    client.on("ticket_called", lambda call: heard.put((hall.url, call["number"])), namespace="/hall")
    client.connect(hall.url, namespaces=["/hall"], transports=["websocket"])
    for subscription in ({"window": 5}, {"board": "hall"}, {"queue": "A"}):
        assert client.call("subscribe", subscription, namespace="/hall", timeout=5)["ok"]
    return client


def test_a_board_of_one_hall_never_hears_another_halls_calls(city):
    a, b = city
    heard_a: queue.Queue[tuple[str, str]] = queue.Queue()
    heard_b: queue.Queue[tuple[str, str]] = queue.Queue()
    boards = [board(a, heard_a), board(b, heard_b)]
    try:
        in_b = call_at_window_5(b, 2)
        # Hall B's board heard its call (once for its three rooms): the call went through
        # Redis, before anything of hall A's, so hall A's board would have heard it first.
        assert heard_b.get(timeout=10) == (b.url, in_b)
        in_a = call_at_window_5(a, 1)
        assert in_a != in_b  # the halls number alike: A001 in both, hence two tickets in B
        assert heard_a.get(timeout=10) == (a.url, in_a)
    finally:
        for client in boards:
            client.disconnect()
    assert heard_a.empty() and heard_b.empty()
    ok(a, "POST", "/windows/5/no-show", "clerk5", json={})
    ok(b, "POST", "/windows/5/no-show", "clerk5", json={})


def test_hall_bs_clerk_is_refused_at_hall_as_login_and_with_their_token(city):
    a, b = city
    browser = requests.Session()
    form = browser.get(f"{a.url}/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    refused = browser.post(
        f"{a.url}/login",
        data={"username": "baishui_clerk5", "password": "password-123", "csrf_token": csrf},
        timeout=10,
    )
    assert refused.status_code == 403
    assert f"此账号属于{HALL_B[1]}" in refused.text  # the hall speaks Chinese
    for who in ("clerk5", "K1"):
        answer = requests.post(
            f"{a.url}/api/v1/tickets",
            json={"queue": "A"},
            headers={"Authorization": f"Bearer {b.tokens[who]}"},
            timeout=10,
        )
        assert answer.status_code == 403
        assert (
            answer.json()["message"] == f"this token belongs to {HALL_B[1]}: use it with that hall's server"
        )


def test_hall_as_api_never_returns_hall_bs_tickets_or_items_by_id(city):
    a, b = city
    ticket = ok(b, "POST", "/tickets", "K1", json={"queue": "B"})
    assert a.api("GET", f"/tickets/{ticket['id']}").status_code == 404
    assert b.api("GET", f"/tickets/{ticket['id']}").ok
    item_of_b = b.api("GET", "/items").json()[0]["id"]
    assert item_of_b not in {item["id"] for item in a.api("GET", "/items").json()}
    assert a.api("GET", f"/items/{item_of_b}").status_code == 404
    assert b.api("GET", f"/items/{item_of_b}").ok


def test_a_busy_halls_figures_reach_the_city_at_most_every_two_seconds_and_end_true(city):
    a, b = city
    heard: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("hall_figures", heard.put, namespace="/hall")
    supervisor = a.hallq("token", "issue", "city").strip()
    client.connect(a.url, namespaces=["/hall"], transports=["websocket"], auth={"token": supervisor})
    try:
        assert client.call("subscribe", {"city": True}, namespace="/hall", timeout=5)["ok"]
        time.sleep(CityFigures.SEND_EVERY_SECONDS + 0.5)  # what earlier tests' changes still send
        iter_queue(heard)  # dropped
        began = time.monotonic()
        for _ in range(8):
            ok(b, "POST", "/tickets", "K1", json={"queue": "C"})
        issuing = time.monotonic() - began
        time.sleep(CityFigures.SEND_EVERY_SECONDS + 1.5)
    finally:
        client.disconnect()
    of_b = [figures for figures in iter_queue(heard) if figures["code"] == HALL_B[0]]
    # One at once, then one every two seconds while the tickets came: not one per ticket.
    assert 1 <= len(of_b) <= 2 + issuing / CityFigures.SEND_EVERY_SECONDS
    assert of_b[-1]["waiting"] == sum(q["waiting"] for q in b.api("GET", "/queues").json())


def iter_queue(items: queue.Queue) -> list:
    return [items.get() for _ in range(items.qsize())]


@pytest.mark.browser
def test_the_city_dashboard_lists_both_halls_and_follows_a_ticket_of_hall_b(city, page):
    a, b = city
    log_in(page, a.url, "/city/", "city")
    root = page.locator(".city")
    expect(root).to_have_attribute("data-live", "true")
    row_a, row_b = page.locator('tr[data-hall="qingshan"]'), page.locator(f'tr[data-hall="{HALL_B[0]}"]')
    expect(row_a.get_by_test_id("name")).to_have_text("青山县政务服务中心")
    expect(row_b.get_by_test_id("name")).to_have_text(HALL_B[1])
    expect(row_b.get_by_test_id("windows")).to_have_text(re.compile(r"^\d+ / 16$"))
    waiting_a = row_a.get_by_test_id("waiting").inner_text()
    waiting_b = int(row_b.get_by_test_id("waiting").inner_text())

    ok(b, "POST", "/tickets", "K1", json={"queue": "C"})
    expect(row_b.get_by_test_id("waiting")).to_have_text(str(waiting_b + 1))
    expect(row_b.get_by_test_id("longest")).not_to_have_text("—")
    # When hall B's server last signed its audit trail's head (it does as it starts).
    expect(row_b.get_by_test_id("anchored")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    expect(row_a.get_by_test_id("waiting")).to_have_text(waiting_a)
