"""Beyond one process: two `hallq serve` processes share one PostgreSQL database and one Redis
(Socket.IO's message queue), as behind a load balancer. A board connected to one hears the
calls made on the other, and 30 windows calling at once through both never share a ticket.
Skipped, saying why, where PostgreSQL or Redis is not running."""

from __future__ import annotations

import os
import queue
import re
import shutil
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
import requests
import socketio

from queue_core.models import Role
from tests.conftest import DEMO_CONFIG, new_postgres_database
from tests.live.conftest import LiveHall, add_device_token, add_staff, free_port, start_server

REDIS_URL = os.environ.get("HALLQ_TEST_REDIS", "redis://127.0.0.1:6379/0")
WINDOWS = 30


def thirty_window_config(target: Path) -> None:
    """The demo hall with 30 windows, all serving queue A, and no daily quotas."""
    shutil.copytree(DEMO_CONFIG, target)
    path = target / "hall.toml"
    blocks = re.split(r"(?m)^(?=\[)", path.read_text(encoding="utf-8"))
    dropped = ("[[windows]]", "[[boards]]", "[[keypads]]", "[[callers]]")
    kept = "".join(b for b in blocks if not b.startswith(dropped))
    kept = re.sub(r"(?m)^(daily_quota|map) = .*\n", "", kept)
    windows = "".join(
        f'[[windows]]\nnumber = {n}\nname = "{n}号窗口"\nqueues = ["A"]\n\n' for n in range(1, WINDOWS + 1)
    )
    # Every queue still needs a window: one more serves them all.
    last = f'[[windows]]\nnumber = {WINDOWS + 1}\nname = "综合窗口"\nqueues = ["A", "B", "C", "D", "E", "F", "G", "H"]\n\n'
    path.write_text(kept.rstrip() + "\n\n" + windows + last, encoding="utf-8")


def require_redis() -> None:
    """Skips the test, saying why, where Redis is not running."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    require_redis()
    with new_postgres_database() as database:
        yield from _serve_twice(tmp_path_factory, database.render_as_string(hide_password=False))


def _serve_twice(tmp_path_factory, database_url: str):
    """Two `hallq serve` processes of the thirty-window hall on that database, stopped after."""
    root = tmp_path_factory.mktemp("scale")
    thirty_window_config(root / "config")
    env = {
        **os.environ,
        "HALLQ_CONFIG": str(root / "config"),
        "HALLQ_INSTANCE": str(root / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "scale-out-secret",
        "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
    }
    first = LiveHall(url=f"http://127.0.0.1:{free_port()}", env=env)
    first.hallq("init")
    first.tokens = add_staff(database_url, [(f"clerk{n}", Role.CLERK) for n in range(1, WINDOWS + 1)])
    first.tokens["K1"] = add_device_token(database_url, "kiosk", "K1")
    second = LiveHall(url=f"http://127.0.0.1:{free_port()}", env=env, tokens=first.tokens)
    servers = [
        start_server(env, first.port, root / "first.log"),
        start_server(env, second.port, root / "second.log"),
    ]
    yield first, second
    for server in servers:
        server.terminate()
        server.wait(timeout=15)


def test_a_board_on_one_process_hears_a_call_made_on_the_other(two_servers):
    first, second = two_servers
    heard: queue.Queue[dict] = queue.Queue()
    board = socketio.Client(reconnection=False)
    board.on("ticket_called", heard.put, namespace="/hall")
    board.connect(first.url, namespaces=["/hall"], transports=["websocket"])
    try:
        assert board.call("subscribe", {"window": 5}, namespace="/hall", timeout=5)["ok"]
        assert second.api("POST", "/windows/5/sign-in", "clerk5").ok
        issued = second.api("POST", "/tickets", "K1", json={"queue": "A"}).json()
        called = second.api("POST", "/windows/5/call", "clerk5", json={"number": issued["number"]})
        assert called.ok, called.text
        call = heard.get(timeout=10)
        assert (call["number"], call["window"]) == (issued["number"], 5)
    finally:
        board.disconnect()
    assert second.api("POST", "/windows/5/no-show", "clerk5", json={}).ok


def test_thirty_windows_calling_through_both_processes_never_share_a_ticket(two_servers):
    first, second = two_servers
    issued = set()
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = pool.map(
            lambda n: (first if n % 2 else second).api("POST", "/tickets", "K1", json={"queue": "A"}),
            range(300),
        )
        for answer in answers:
            assert answer.status_code == 201, answer.text
            issued.add(answer.json()["number"])
    assert len(issued) == 300

    served: list[str] = []
    lock = threading.Lock()

    def work(window: int) -> None:
        server = first if window % 2 else second
        clerk = f"clerk{window}"
        assert server.api("POST", f"/windows/{window}/sign-in", clerk).ok
        while True:
            called = server.api("POST", f"/windows/{window}/call-next", clerk)
            if called.status_code == 204:
                return
            assert called.status_code == 200, called.text
            with lock:
                served.append(called.json()["ticket"]["number"])
            for step, body in (("start", None), ("finish", {"outcome": "completed"})):
                assert server.api("POST", f"/windows/{window}/{step}", clerk, json=body).ok

    with ThreadPoolExecutor(max_workers=WINDOWS) as pool:
        for done in [pool.submit(work, n) for n in range(1, WINDOWS + 1)]:
            done.result()
    assert len(served) == len(set(served)), "a ticket was called at two windows"
    assert issued <= set(served)  # every ticket issued here was served, once
    assert requests.get(f"{first.url}/healthz", timeout=5).ok


def test_cancel_races_on_two_processes_leave_no_stuck_window_and_no_5xx(two_servers):
    """A guide cancels a ticket through one process at the instant its clerk acts on it through
    the other: calls it, marks it absent and puts it back in line, or transfers it. 300 such
    races (ten windows at once) end with every answer a 2xx or a 4xx that says what happened,
    and the hall's invariants whole (queue_core.invariants): no window stuck, no citizen called
    to nowhere. Deadlocks between the two are retried, never answered 503."""
    from queue_core import Database, SystemClock, make_engine
    from queue_core.halls import hall_by_code
    from queue_core.invariants import violations

    first, second = two_servers
    database_url = first.env["DATABASE_URL"]
    first.tokens |= add_staff(database_url, [("guide", Role.GUIDE)])
    answers: Counter[int] = Counter()
    lock = threading.Lock()

    def at_once(*actions) -> None:
        start = threading.Barrier(len(actions))

        def run(action):
            start.wait()
            return action().status_code

        with ThreadPoolExecutor(len(actions)) as pool:
            codes = list(pool.map(run, actions))
        with lock:
            answers.update(codes)

    def window_worker(number: int) -> None:
        clerk = f"clerk{number}"
        assert first.api("POST", f"/windows/{number}/sign-in", clerk).ok
        window = f"/windows/{number}"
        for _ in range(10):
            for clerks_move in (None, ("no-show", {"requeue": True}), ("transfer", {"queue": "B"})):
                ticket = second.api("POST", "/tickets", "guide", json={"queue": "A"}).json()
                cancel = partial(second.api, "POST", f"/tickets/{ticket['id']}/cancel", "guide")
                call = partial(first.api, "POST", f"{window}/call", clerk, json={"number": ticket["number"]})
                if clerks_move is None:
                    at_once(cancel, call)
                else:
                    call()
                    action, body = clerks_move
                    at_once(cancel, partial(first.api, "POST", f"{window}/{action}", clerk, json=body))
                first.api("POST", f"{window}/no-show", clerk, json={"requeue": False})  # free, whatever won

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(window_worker, range(1, 11)))

    assert sum(answers.values()) >= 600  # 300 races of two
    assert not [code for code in answers if code >= 500], answers
    database = Database(make_engine(database_url), SystemClock())
    try:
        with database.read() as uow:
            hall = hall_by_code(uow, "qingshan")
            assert violations(uow, hall) == []
    finally:
        database.engine.dispose()
