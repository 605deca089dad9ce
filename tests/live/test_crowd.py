"""A whole hall's screens on one default `hallq serve` (SQLite): 1,000 anonymous boards and
phone pages from several addresses, and clients that open connections and send slowly or
nothing. The hall goes on: a kiosk gets its ticket, a call reaches every screen, and only the
address over its cap is refused, saying why."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import requests

from queue_core.models import Role
from queue_core.spec import ConnectionSpec
from tests.live.conftest import add_staff, new_hall
from tests.socket_crowd import Crowd, Refused, Screen

PER_ADDRESS = 200
ADDRESSES = [f"127.0.0.{n}" for n in range(2, 7)]  # 5 × 200 = 1,000 screens
# The default header timeout, as a hall runs it. With 3 s (this test's old setting) a CI run
# saw a burst of 100 screens' handshakes closed unanswered, most likely by that deadline while
# the busy server stood still for 3 s: a stricter trial than any hall's.
HEADER_TIMEOUT = ConnectionSpec().header_timeout


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    root = tmp_path_factory.mktemp("crowd")
    hall = new_hall(root)
    with (root / "config" / "hall.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            f"\n[connections]\nanonymous_sockets_per_address = {PER_ADDRESS}\n"
            "http_connections_per_address = 100\n"
        )
    hall.hallq("init")
    hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
    hall.tokens |= add_staff(hall.env["DATABASE_URL"], [("clerk1", Role.CLERK), ("manager", Role.MANAGER)])
    log = root / "server.log"
    server = hall.serve(log, ["serve"])  # the defaults: no --threads
    yield hall, log
    server.terminate()
    server.wait(timeout=15)


def test_a_thousand_screens_leave_the_hall_working_and_the_address_over_its_cap_is_told_why(crowded):
    hall, log = crowded
    subscriptions: list[dict[str, Any]] = [{"board": "hall"}, {"window": 1}, {"queue": "A"}]
    screens = [
        Screen(hall.url, subscriptions[i % 3], address=address)
        for i, address in enumerate(a for a in ADDRESSES for _ in range(PER_ADDRESS))
    ]
    crowd = Crowd()
    try:
        acks = crowd.open(screens)
        assert [a for a in acks if not (isinstance(a, dict) and a["ok"])] == []

        # One more from a full address is refused with its reason; a device with its token
        # from that same address, and a screen from another address, are not.
        extra = Screen(hall.url, {"board": "hall"}, address=ADDRESSES[0])
        with pytest.raises(Refused, match=f"too many screens from {ADDRESSES[0]}: at most {PER_ADDRESS}"):
            crowd.run(extra.open())
        kiosk = Screen(hall.url, {"kiosk": "K1"}, address=ADDRESSES[0], token=hall.tokens["K1"])
        other = Screen(hall.url, {"board": "hall"}, address="127.0.0.9")
        assert crowd.run(kiosk.open())["ok"] and crowd.run(other.open())["ok"]
        screens += [kiosk, other]

        # The kiosk's request is not queued behind 1,000 sockets (it timed out after 15 s).
        issued = requests.post(
            f"{hall.url}/api/v1/tickets",
            json={"queue": "A"},
            headers={"Authorization": f"Bearer {hall.tokens['K1']}"},
            timeout=1,
        )
        assert issued.status_code == 201, issued.text
        assert hall.api("POST", "/windows/1/sign-in", "clerk1").ok
        called = hall.api("POST", "/windows/1/call-next", "clerk1")
        assert called.ok, called.text
        number = called.json()["ticket"]["number"]

        listening = [s for s in screens if s is not kiosk]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(_heard_call(s, number) for s in listening):
            time.sleep(0.1)
        missed = [s.subscription for s in listening if not _heard_call(s, number)]
        assert missed == [], f"{len(missed)} of {len(listening)} screens missed the call"
        assert [name for name, *_ in kiosk.heard if name == "ticket_called"] == []
    finally:
        crowd.close(screens)
    refusals = [line for line in log.read_text().splitlines() if "refusing anonymous sockets" in line]
    assert len(refusals) == 1 and ADDRESSES[0] in refusals[0]  # once a minute, not per socket


def _heard_call(screen: Screen, number: str) -> bool:
    return any(name == "ticket_called" and payload["number"] == number for name, payload, _ in screen.heard)


def test_a_socket_that_subscribes_to_nothing_is_closed(crowded):
    hall, _ = crowded
    crowd = Crowd()
    silent = Screen(hall.url, None)
    try:
        crowd.run(silent.open())
        deadline = time.monotonic() + 20  # the default subscribe_timeout is 10 s
        while not silent.closed and time.monotonic() < deadline:
            time.sleep(0.2)
        assert silent.closed
    finally:
        crowd.close([silent])


def test_slow_and_silent_http_clients_cost_nothing(crowded):
    hall, _ = crowded
    slow, silent = [], []
    try:
        for n in range(150):  # headers one byte at a time, from addresses of their own
            s = socket.create_connection(
                ("127.0.0.1", hall.port), source_address=(f"127.0.1.{n % 50 + 1}", 0)
            )
            s.sendall(b"G")
            slow.append(s)
        for n in range(100):  # connect and send nothing
            silent.append(
                socket.create_connection(
                    ("127.0.0.1", hall.port), source_address=(f"127.0.2.{n % 50 + 1}", 0)
                )
            )
        for s in slow:
            s.sendall(b"E")
        answer = requests.get(f"{hall.url}/api/v1/queues", timeout=1)
        assert answer.ok
        # Past the header timeout, the server has closed them all.
        time.sleep(HEADER_TIMEOUT + 1)
        assert all(s.recv(1024) == b"" for s in slow + silent)
    finally:
        for s in slow + silent:
            s.close()


def test_one_address_may_not_hold_more_connections_than_its_cap(crowded):
    hall, _ = crowded
    held = [
        socket.create_connection(("127.0.0.1", hall.port), source_address=("127.0.3.1", 0))
        for _ in range(100)
    ]
    try:
        over = socket.create_connection(("127.0.0.1", hall.port), source_address=("127.0.3.1", 0))
        over.settimeout(1)
        assert over.recv(1024) == b""  # closed at once, before the header timeout
        over.close()
        assert requests.get(f"{hall.url}/api/v1/queues", timeout=1).ok  # from another address
    finally:
        for s in held:
            s.close()


def test_a_screen_that_stops_reading_holds_up_no_other_and_then_hears_everything_in_order(crowded):
    """A hung board keeps its socket open and reads nothing: what is sent to it piles up in the
    server (its connection stops taking data, then its own queue holds the rest). The other
    boards hear every notice at once meanwhile; once it reads again, it hears all it missed,
    in order, with nothing overtaking what was queued before it."""
    hall, _ = crowded
    crowd = Crowd()
    hung = Screen(hall.url, {"board": "hall"}, receive_buffer=4096)
    others = [Screen(hall.url, {"board": "hall"}) for _ in range(3)]
    posted: list[int] = []

    def post(count: int) -> None:
        for _ in range(count):  # 600 characters, about 3.6 KB as sent
            notice = {"title": f"通知 {len(posted) + 1}", "text": "请按号等候。" * 100, "minutes": 5}
            answer = hall.api("POST", "/notices", "manager", json=notice)
            assert answer.status_code == 201, answer.text
            posted.append(answer.json()["id"])

    try:
        assert all(ack["ok"] for ack in crowd.open([hung, *others]))
        hung.stop_reading(crowd.loop)
        for _ in range(60):  # 120 notices, over 400 KB: far past what the connection holds
            post(2)
            assert all(_hears_notice(s, posted[-1], within=2) for s in others), f"notice {len(posted)}"
        assert not _hears_notice(hung, posted[-1])  # it did stop reading

        hung.read_again(crowd.loop)
        post(20)  # while what waited for it is still being sent
        assert _hears_notice(hung, posted[-1], within=30)
        assert [payload["id"] for name, payload, _ in hung.heard if name == "notice"] == posted
    finally:
        crowd.close([hung, *others])
        for notice_id in posted:
            hall.api("DELETE", f"/notices/{notice_id}", "manager")


def _hears_notice(screen: Screen, notice_id: int, within: float = 0) -> bool:
    """Whether the screen has heard, or hears within `within` seconds, that notice."""
    deadline = time.monotonic() + within
    while True:
        if any(name == "notice" and payload["id"] == notice_id for name, payload, _ in list(screen.heard)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
