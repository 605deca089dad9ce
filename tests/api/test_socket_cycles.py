"""What a screen leaves on the /hall server once it has gone: nothing. Screens connect through
the real Socket.IO protocol (tests/socket_crowd.py over uvicorn), subscribe, get their state
and leave, again and again; afterwards the server holds no entry for any of them, so its
memory stays flat over a day of screens coming and going (benchmarks/socket_memory.py measures
it). A screen that leaves while the server is still checking its token or login (a page
reloaded during the handshake) is forgotten too, and never counts against its address's cap;
so is a screen refused over that cap."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.client import connect

from hallq.live import NAMESPACE
from tests.socket_crowd import Crowd, Refused, Screen

CYCLES = 3
ANONYMOUS_CAP = 50  # the demo hall's [connections] anonymous_sockets_per_address (the default)
REFUSED = 5


def per_connection_state(live: Any) -> dict[str, int]:
    """Every registry of /hall that holds an entry per connected screen, and its size."""
    sio = live.sio
    rooms = sio.manager.rooms.get(NAMESPACE, {})
    return {
        "principals": len(live._principals),
        "subscribed": len(live._subscribed),
        "anonymous": len(live._anonymous),
        "addresses": len(live._addresses),
        "present": len(live._present),
        "joining": len(live._joining),
        "per address": sum(live._per_address.values()),
        "refusals logged": len(live._refusal_logged),
        "room members": sum(len(members) for members in rooms.values()),
        "pending connects": len(sio.manager.pending_connect.get(NAMESPACE, [])),
        "callbacks": len(sio.manager.callbacks),
        "environs": len(sio.environ),
        "engine.io sockets": len(sio.eio.sockets),
    }


def empty(live: Any, wait: float = 30) -> dict[str, int]:
    """The registries once every screen's leaving has been handled (each is handled on the
    server's loop as its socket closes); whatever is left after `wait` is a leak."""
    deadline = time.monotonic() + wait
    while any((held := per_connection_state(live)).values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {name: size for name, size in held.items() if size}


def hall_screens(url: str, tokens: dict[str, str]) -> list[Screen]:
    subscriptions: list[tuple[dict[str, Any], str | None]] = [
        ({"board": "hall"}, None),
        ({"window": 1}, None),
        ({"queue": "A"}, None),
        ({"queue_load": "A"}, None),
        ({"window": 1}, tokens["clerk1"]),
        ({"keypad": 1}, tokens["device:P1"]),
        ({"kiosk": "K1"}, tokens["device:K1"]),
        ({"dashboard": True}, tokens["manager"]),
    ]
    return [Screen(url, subscription, token=token) for subscription, token in subscriptions * 5]


def test_screens_that_came_and_went_leave_nothing_behind(api, app, served):
    live = app.extensions["hallq"].live
    tokens = {who: api.token(who) for who in ("clerk1", "manager", "device:P1", "device:K1")}
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    for _ in range(CYCLES):
        screens = hall_screens(served, tokens)
        crowd = Crowd()
        acks = crowd.open(screens)
        assert [a for a in acks if not (isinstance(a, dict) and a["ok"])] == []
        # Each got its screen's state, and hears the hall while it is there.
        assert acks[0]["state"]["queues"] and acks[1]["state"]["window"]["number"] == 1
        assert per_connection_state(live)["subscribed"] == len(screens)
        assert api.post("/windows/1/sign-in", "clerk1").status_code == 200
        deadline = time.monotonic() + 30
        while not all(s.heard for s in screens[:2]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(s.heard for s in screens[:2])
        assert api.post("/windows/1/sign-out", "clerk1").status_code == 200
        crowd.close(screens)
        assert empty(live) == {}


def test_a_screen_that_leaves_during_its_token_or_login_check_is_forgotten(api, app, served):
    """Its check runs in a worker thread; here those are held until the screens have gone, so
    every check ends after its screen left. Then the address may still connect its whole cap."""
    live = app.extensions["hallq"].live
    held, release = held_workers(live)
    try:
        with_token = [{"token": api.token("clerk1")}, {"token": api.token("device:P1")}] * 5
        asyncio.run(leave_during_check(served, with_token, cookie=None))
        # Anonymous screens sending a cookie (a board in a browser that has visited a staff
        # page): the login is looked for, none is found, and they count against the address.
        asyncio.run(leave_during_check(served, [None] * ANONYMOUS_CAP, cookie="session=none"))
        wait_until(lambda: not live.sio.environ)  # the server has seen every one of them go
    finally:
        release.set()
    for worker in held:
        worker.result(10)
    assert empty(live) == {}

    # The address's cap is whole: as many boards as it allows connect from it, and those over
    # it are refused, saying why, and leave nothing behind either.
    screens = [Screen(served, {"board": "hall"}) for _ in range(ANONYMOUS_CAP + REFUSED)]
    crowd = Crowd()
    try:
        acks = crowd.open(screens)
    finally:
        crowd.close(screens)
    assert sum(1 for a in acks if isinstance(a, dict) and a["ok"]) == ANONYMOUS_CAP
    refusals = [str(a) for a in acks if isinstance(a, Refused)]
    assert refusals == [f"too many screens from 127.0.0.1: at most {ANONYMOUS_CAP} without a token"] * REFUSED
    assert empty(live) == {}


def held_workers(live: Any) -> tuple[list[Any], threading.Event]:
    """Every worker thread of /hall, busy until the event is set."""
    release = threading.Event()
    busy = threading.Barrier(live._readers._max_workers + 1)

    def hold() -> None:
        busy.wait(10)
        release.wait(60)

    held = [live._readers.submit(hold) for _ in range(live._readers._max_workers)]
    busy.wait(10)
    return held, release


async def leave_during_check(url: str, auths: Sequence[dict[str, str] | None], cookie: str | None) -> None:
    """Each opens a websocket, asks to join /hall (with its auth) and closes before any answer."""
    uri = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    headers = {"Cookie": cookie} if cookie else None

    async def one(auth: dict[str, str] | None) -> None:
        async with connect(uri, additional_headers=headers, compression=None) as ws:
            assert str(await ws.recv()).startswith("0")
            await ws.send(f"40{NAMESPACE}," + (json.dumps(auth) if auth else ""))

    await asyncio.gather(*(one(auth) for auth in auths))


def wait_until(condition: Any, wait: float = 30) -> None:
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, "the server did not see the screens go"
        time.sleep(0.05)
