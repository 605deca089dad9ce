"""Who may do what, against a real `hallq serve`: the JSON API's roles over HTTP with real
tokens, and the /hall Socket.IO namespace over the real protocol (python-socketio client)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import websocket

from tests.live.conftest import add_device_token
from tests.live.test_socketio import Board, free_window

OVERSIGHT_READS = [
    "/stats/summary",
    "/stats/export.csv",
    "/stats/export.xlsx",
    "/audit",
    "/evaluations",
    "/evaluations/summary",
    "/evaluations/cases",
    "/alarms",
]
WINDOW_ACTIONS = ["call-next", "recall", "start", "finish", "no-show", "pause", "resume", "sign-out"]


@pytest.fixture(scope="module")
def devices(live) -> dict[str, str]:
    """Device tokens of the shared hall: the hall board, window 3's board, window 3's keypad."""
    url = live.env["DATABASE_URL"]
    return {device: add_device_token(url, "board", device) for device in ("HALL", "W3")}


@pytest.fixture
def issue(live):
    """Issue a ticket; the module's tickets are cancelled afterwards, since the live hall's
    windows and queues are shared with modules that expect them empty."""
    issued: list[int] = []

    def take(queue: str) -> dict:
        ticket = live.api("POST", "/tickets", "K1", json={"queue": queue}).json()
        issued.append(ticket["id"])
        return ticket

    yield take
    for ticket_id in issued:
        live.api("POST", f"/tickets/{ticket_id}/cancel", "manager")


@pytest.fixture
def clients(live):
    opened: list[Board] = []

    def open_client(subscribe, token: str | None = None) -> Board:
        opened.append(Board(live.url, subscribe, token))
        return opened[-1]

    yield open_client
    for client in opened:
        client.close()


def as_device(live, method: str, path: str, token: str | None, **kw: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{live.url}/api/v1{path}", headers=headers, timeout=10, **kw)


def test_a_board_cannot_call_or_issue_a_ticket(live, devices, issue):
    free_window(live, 3, "clerk3")
    waiting = issue("B")
    for token in (None, devices["HALL"], devices["W3"]):
        called = as_device(live, "POST", "/windows/3/call-next", token)
        assert called.status_code == (401 if token is None else 403), called.text
        by_number = as_device(live, "POST", "/windows/3/call", token, json={"number": waiting["number"]})
        assert by_number.status_code == (401 if token is None else 403)
        assert as_device(live, "POST", "/tickets", token, json={"queue": "B"}).status_code in (401, 403)
    # Neither the kiosk nor the window's keypad may call either.
    for token in (live.tokens["K1"], live.tokens["P3"]):
        assert as_device(live, "POST", "/windows/3/call-next", token).json()["error"] == "forbidden"
    assert live.api("GET", f"/tickets/{waiting['id']}").json()["status"] == "waiting"


def test_a_clerk_signed_in_at_window_3_cannot_act_at_window_4(live, issue):
    free_window(live, 3, "clerk3")
    free_window(live, 4, "clerk4")
    issue("C")  # window 4's queue has someone waiting
    for action in WINDOW_ACTIONS:
        body = {"reason": "休息"} if action == "pause" else {}
        refused = live.api("POST", f"/windows/4/{action}", "clerk3", json=body)
        assert refused.status_code == 403, (action, refused.text)
        assert refused.json() == {
            "error": "forbidden",
            "message": "you are not signed in to window 4",
            "text": "当前账号或设备无权进行此操作。",
        }
    assert live.api("GET", "/windows/4/panel", "clerk3").json()["yours"] is False
    window4 = next(w for w in live.api("GET", "/windows").json() if w["number"] == 4)
    assert (window4["state"], window4["clerk"]["name"]) == ("idle", "clerk4名")
    assert live.api("POST", "/windows/4/call-next", "clerk4").status_code == 200  # its own clerk may


@pytest.mark.parametrize("path", OVERSIGHT_READS)
def test_only_oversight_reads_figures_audit_and_ratings(live, devices, path):
    assert live.api("GET", path).status_code == 401
    for who in ("K1", "P3", "clerk1", "guide"):
        refused = live.api("GET", path, who)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden", who
    assert as_device(live, "GET", path, devices["HALL"]).status_code == 403
    assert live.api("GET", path, "manager").status_code == 200


def test_a_board_subscribes_only_to_public_rooms(live, devices, clients):
    open_client = clients
    for token in (None, devices["HALL"], devices["W3"], live.tokens["K1"], live.tokens["clerk3"]):
        keypad = open_client({"keypad": 3}, token)
        assert keypad.ack["ok"] is False and "keypad" in keypad.ack["error"]
        dashboard = open_client({"dashboard": True}, token)
        assert dashboard.ack == {"ok": False, "error": "the dashboard needs a manager's or admin's token"}
        assert open_client({"kiosk": "K1"}, token if token != live.tokens["K1"] else None).ack["ok"] is False
    board = open_client({"board": "hall"}, devices["HALL"])
    assert board.ack["ok"] is True and board.ack["room"] == "board:hall"


def test_events_other_than_subscribe_are_refused(live, devices, clients, issue):
    """A client cannot act over the socket: a call, a rating or a room of its choosing is
    answered with a refusal and changes nothing."""
    open_client = clients
    free_window(live, 3, "clerk3")
    issue("B")
    before = next(w for w in live.api("GET", "/windows").json() if w["number"] == 3)
    for token in (None, devices["W3"], live.tokens["clerk3"], live.tokens["manager"], live.tokens["P3"]):
        client = open_client({"window": 3}, token).client
        for event, data in (
            ("call_next", {"window": 3}),
            ("call-next", 3),
            ("evaluation", {"window": 3, "score": 1}),
            ("join_room", "dashboard"),
            ("message", "hello"),
        ):
            answer = client.call(event, data, namespace="/hall", timeout=5)
            assert answer == {
                "ok": False,
                "error": f"{event!r} is not an event of /hall: clients only subscribe",
            }
    after = next(w for w in live.api("GET", "/windows").json() if w["number"] == 3)
    assert (after["state"], after["current"]) == (before["state"], before["current"]) == ("idle", None)


def test_a_socket_from_another_site_is_refused(live):
    """A page of another site, open in a logged-in manager's browser, cannot open /hall's
    WebSocket with the manager's cookie (browsers send the page's Origin; CORS does not
    protect WebSockets, the server's Origin check does)."""
    address = f"{live.url.replace('http://', 'ws://')}/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(address, origin="https://evil.example", timeout=10)
    assert refused.value.status_code == 403  # the handshake is refused before any upgrade
    same_site = websocket.create_connection(address, origin=live.url, timeout=10)
    try:
        opened = same_site.recv()
        assert isinstance(opened, str) and opened.startswith("0{")  # Engine.IO's open packet
    finally:
        same_site.close()
