"""Boards receive calls over the real Socket.IO protocol (python-socketio client, websocket)."""

from __future__ import annotations

import queue
import time
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio


class Board:
    """A /hall client that records what it receives."""

    def __init__(self, url: str, subscribe: dict[str, Any] | None, token: str | None = None) -> None:
        self.received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        names = ("ticket_called", "window_state", "queue_state", "ticket_changed", "ticket_issued")
        for name in (
            *names,
            "print_done",
            "printer_state",
            "notice",
            "evaluation_request",
            "evaluation_closed",
        ):
            self.client.on(name, self._recorder(name), namespace="/hall")
        self.client.connect(
            url, namespaces=["/hall"], transports=["websocket"], auth={"token": token} if token else None
        )
        self.ack: Any = (
            self.client.call("subscribe", subscribe, namespace="/hall", timeout=5) if subscribe else None
        )

    def _recorder(self, name: str):
        return lambda data: self.received.put((name, data))

    def next(
        self, name: str, timeout: float = 5, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """The next message of that name (and for which `where` holds), skipping others."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.received.get(timeout=left)
            except queue.Empty:
                break
            if got == name and (where is None or where(data)):
                return data
        raise AssertionError(f"no {name} within {timeout}s")

    def names(self) -> list[str]:
        return [self.received.get_nowait()[0] for _ in range(self.received.qsize())]

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def boards(live):
    opened: list[Board] = []

    def open_board(subscribe: dict[str, Any] | None, token: str | None = None) -> Board:
        board = Board(live.url, subscribe, token)
        opened.append(board)
        return board

    yield open_board
    for board in opened:
        board.close()


def test_a_call_reaches_its_window_board_and_the_hall_board_only(live, boards):
    window2, window3, hall = boards({"window": 2}), boards({"window": 3}), boards({"board": "hall"})
    assert (window3.ack["ok"], window3.ack["room"], hall.ack["room"]) == (True, "window:3", "board:hall")
    assert live.api("POST", "/windows/3/sign-in", "clerk3").ok
    issued = live.api("POST", "/tickets", "K1", json={"queue": "B"}).json()
    assert hall.next("queue_state") == {
        "queue": "B",
        "queue_name": "出入境业务",
        "waiting": 1,
        "oldest_issued_at": issued["issued_at"].replace("Z", "+00:00"),
        "line": [issued["id"]],
    }

    assert live.api("POST", "/windows/3/call-next", "clerk3").status_code == 200
    call = window3.next("ticket_called")
    assert call["number"] == issued["number"] and call["window"] == 3
    assert (
        call["window_name"] == "3号出入境窗口"
        and call["recall"] is False
        and call["queue_name"] == "出入境业务"
    )
    state = window3.next("window_state")
    assert (state["state"], state["current"]["number"], state["clerk"]["name"]) == (
        "called",
        issued["number"],
        "clerk3名",
    )
    assert hall.next("ticket_called")["number"] == issued["number"]
    time.sleep(0.3)
    assert "ticket_called" not in window2.names()

    live.api("POST", "/windows/3/recall", "clerk3")
    assert window3.next("ticket_called")["recall"] is True
    assert window3.next("window_state")["state"] == "called"
    live.api("POST", "/windows/3/start", "clerk3")
    live.api("POST", "/windows/3/finish", "clerk3", json={})
    assert window3.next("window_state")["state"] == "serving"
    assert window3.next("window_state")["state"] == "idle"


def test_a_refused_action_pushes_nothing(live, boards):
    live.api("POST", "/windows/4/sign-out", "clerk4")  # another module may have left clerk4 there
    window4 = boards({"window": 4})
    live.api("POST", "/windows/4/sign-in", "clerk4")
    window4.next("window_state")
    live.api("POST", "/tickets", "K1", json={"queue": "C"})
    live.api("POST", "/windows/4/call-next", "clerk4")
    window4.next("ticket_called")
    refused = live.api("POST", "/windows/4/call-next", "clerk4")
    assert refused.status_code == 409
    time.sleep(0.3)
    assert window4.names() == ["window_state"]  # from the successful call only


def test_a_citizen_follows_their_ticket(live, boards):
    ticket = live.api("POST", "/tickets", "K1", json={"queue": "A"}).json()
    phone = boards({"ticket": ticket["key"]})
    assert phone.ack["room"] == f"ticket:{ticket['id']}"
    for guess in (ticket["id"], str(ticket["id"]), ticket["number"], "0" * 16):  # counted, not known
        refused = boards({"ticket": guess}).ack
        assert refused["ok"] is False, guess
    live.api("POST", "/windows/1/sign-in", "clerk1")
    # By number: other tests of this shared hall may have left earlier or priority tickets in A.
    assert live.api("POST", "/windows/1/call", "clerk1", json={"number": ticket["number"]}).ok
    call = phone.next("ticket_called")
    assert (call["number"], call["window"]) == (ticket["number"], 1)


def test_fifty_phones_find_their_place_in_the_call_alone(live, boards):
    """A call in a queue costs its phone pages no request: the queue_state it pushes carries the
    queue's line in call order, and each phone's place in it is its people ahead."""
    live.api("POST", "/windows/1/sign-in", "clerk1")
    live.api("POST", "/windows/1/no-show", "clerk1", json={})  # what an earlier test left called
    tickets = [live.api("POST", "/tickets", "K1", json={"queue": "A"}).json() for _ in range(50)]
    phones = []
    for ticket in tickets:
        phone = boards({"queue": "A"})
        phone.client.call("subscribe", {"ticket": ticket["key"]}, namespace="/hall", timeout=5)
        phones.append(phone)
    first = tickets[0]
    assert live.api("POST", "/windows/1/call", "clerk1", json={"number": first["number"]}).ok

    call = phones[0].next("ticket_called")
    assert (call["ticket_id"], call["window"]) == (first["id"], 1)
    for phone, ticket in zip(phones[1:], tickets[1:], strict=True):
        # A queue's states are paced (hallq.live.outbox): one from before the call may come first.
        line = phone.next("queue_state", where=lambda state: first["id"] not in state["line"])["line"]
        told = live.api("GET", f"/tickets/{ticket['id']}").json()
        assert told["status"] == "waiting" and line.index(ticket["id"]) == told["waiting_ahead"]
    live.api("POST", "/windows/1/no-show", "clerk1", json={})
    for ticket in tickets[1:]:
        live.api("POST", f"/tickets/{ticket['id']}/cancel", "guide")


def test_dashboard_and_keypad_need_tokens(live, boards):
    assert boards({"dashboard": True}).ack == {
        "ok": False,
        "error": "the dashboard needs a manager's or admin's token",
    }
    assert boards({"dashboard": True}, token=live.tokens["clerk1"]).ack["ok"] is False
    assert boards({"dashboard": True}, token=live.tokens["manager"]).ack["room"] == "dashboard"
    assert boards({"keypad": 3}).ack["ok"] is False
    assert boards({"keypad": 3}, token=live.tokens["P3"]).ack["room"] == "keypad:3"
    assert boards({"keypad": 4}, token=live.tokens["P3"]).ack == {
        "ok": False,
        "error": "keypad P3 is not the keypad of window 4",
    }
    assert boards({"colour": "red"}).ack == {"ok": False, "error": "cannot subscribe to 'colour': 'red'"}
    assert boards(["window", 3]).ack["ok"] is False


def test_a_finish_wakes_its_windows_keypad_only_and_a_rating_closes_it(live, boards):
    from tests.live.conftest import add_device_token

    p6 = add_device_token(live.env["DATABASE_URL"], "keypad", "P6")
    p9 = add_device_token(live.env["DATABASE_URL"], "keypad", "P9")
    # Other modules of the shared hall may have left a ticket at window 6 (or its question open).
    assert live.api("POST", "/windows/6/sign-in", "clerk6").ok
    for step in ("finish", "no-show"):
        live.api("POST", f"/windows/6/{step}", "clerk6", json={})
    requests.post(
        f"{live.url}/api/v1/windows/6/evaluation",
        json={"score": 3},
        headers={"Authorization": f"Bearer {p6}"},
        timeout=10,
    )
    keypad6, keypad9, board6 = (
        boards({"keypad": 6}, token=p6),
        boards({"keypad": 9}, token=p9),
        boards({"window": 6}),
    )
    assert keypad6.ack["state"]["evaluation"] is None
    number = live.api("POST", "/tickets", "K1", json={"queue": "D"}).json()["number"]
    assert live.api("POST", "/windows/6/call", "clerk6", json={"number": number}).ok
    assert live.api("POST", "/windows/6/start", "clerk6").ok
    assert live.api("POST", "/windows/6/finish", "clerk6", json={"outcome": "completed"}).ok

    request = keypad6.next("evaluation_request")
    assert (request["window"], request["number"], request["clerk_name"]) == (6, number, "clerk6名")
    # A keypad that connects now (a reload, a restart) is shown the same question.
    assert boards({"keypad": 6}, token=p6).ack["state"]["evaluation"]["number"] == number
    rated = requests.post(
        f"{live.url}/api/v1/windows/6/evaluation",
        json={"score": 5},
        headers={"Authorization": f"Bearer {p6}"},
        timeout=10,
    )
    assert rated.status_code == 201
    closed = keypad6.next("evaluation_closed")
    assert (closed["number"], closed["reason"]) == (number, "rated")
    assert "score" not in closed  # the ticket's room hears it too: ratings are for managers
    time.sleep(0.3)  # anything misrouted would have arrived with the events above
    assert "evaluation_request" not in keypad9.names() and "evaluation_request" not in board6.names()


def test_a_kiosk_printer_on_tcp_reports_its_jobs_and_state_to_its_kiosk(tmp_path):
    """A real server printing to a TCP printer: the dashboard hears paper running low, the
    kiosk hears its job printed, and the printer got the ticket."""
    from tests.live.conftest import hall_printing_to
    from tests.printer.escpos_decode import decode
    from tests.printer.fake_printer import PrinterState, TcpPrinter

    with TcpPrinter(state=PrinterState()) as printer:
        hall = hall_printing_to(tmp_path, printer.url)
        hall.hallq("user", "add", "boss", "--role", "manager", "--password-stdin", input="password-123\n")
        manager = hall.hallq("token", "issue", "boss").strip()
        kiosk_token = hall.hallq("token", "issue", "--device", "K1").strip()
        server = hall.serve(tmp_path / "server.log")
        dashboard = Board(hall.url, {"dashboard": True}, manager)
        kiosk = Board(hall.url, {"kiosk": "K1"}, kiosk_token)
        stranger = Board(hall.url, {"kiosk": "K1"})
        try:
            assert (kiosk.ack["ok"], kiosk.ack["room"]) == (True, "kiosk:K1")
            assert [p["printer"] for p in kiosk.ack["state"]["printers"]] == ["K1"]  # its own only
            assert stranger.ack["ok"] is False
            printer.state.paper_near_end = True
            ticket = requests.post(
                f"{hall.url}/api/v1/tickets",
                json={"queue": "A"},
                headers={"Authorization": f"Bearer {kiosk_token}"},
                timeout=10,
            ).json()
            state = kiosk.next("printer_state", timeout=10)
            assert (state["printer"], state["status"], state["alarm"]) == ("K1", "paper_low", True)
            done = kiosk.next("print_done", timeout=10)
            assert (done["ticket_id"], done["status"], done["printer"]) == (ticket["id"], "printed", "K1")
            # The dashboard draws none of these (a fault reaches it as the printer's alarm).
            assert {"printer_state", "print_done"}.isdisjoint(dashboard.names())
            printer.wait_for(b"A001")
            assert "A001" in decode(printer.payload()).text
        finally:
            for board in (dashboard, kiosk, stranger):
                board.close()
            server.terminate()
            server.wait(timeout=15)


def free_window(live, number: int, who: str) -> None:
    """The clerk signed in at the window, open and without a ticket, whatever earlier tests left."""
    assert live.api("POST", f"/windows/{number}/sign-in", who).ok
    state = next(w for w in live.api("GET", "/windows").json() if w["number"] == number)["state"]
    undo = {"paused": ("resume", {}), "called": ("no-show", {"requeue": False}), "serving": ("finish", {})}
    if state in undo:
        action, body = undo[state]
        assert live.api("POST", f"/windows/{number}/{action}", who, json=body).ok


def test_a_window_board_never_hears_another_windows_calls_and_the_hall_board_hears_all(live, boards):
    free_window(live, 3, "clerk3")
    free_window(live, 4, "clerk4")
    window3, hall = boards({"window": 3}), boards({"board": "hall"})
    at_four = live.api("POST", "/tickets", "K1", json={"queue": "C"}).json()["number"]
    at_three = live.api("POST", "/tickets", "K1", json={"queue": "B"}).json()["number"]
    assert live.api("POST", "/windows/4/call", "clerk4", json={"number": at_four}).ok
    assert live.api("POST", "/windows/3/call", "clerk3", json={"number": at_three}).ok

    # A client receives its messages in the order they were sent: anything of window 4's
    # that reached window 3's board would come before window 3's own call.
    seen: list[tuple[str, Any]] = []
    while ("ticket_called", 3) not in seen:
        name, data = window3.received.get(timeout=5)
        seen.append((name, data.get("window")))
    assert {window for _name, window in seen} == {3}
    calls = [hall.next("ticket_called") for _ in range(2)]
    assert [(c["window"], c["number"]) for c in calls] == [(4, at_four), (3, at_three)]


def test_a_clerks_panel_hears_its_queues_load_and_no_calls(live, boards):
    free_window(live, 4, "clerk4")
    panel, queue_board = boards({"queue_load": "C"}), boards({"queue": "C"})
    assert (panel.ack["room"], panel.ack["state"]["queue"]["queue"]) == ("queue_load:C", "C")
    number = live.api("POST", "/tickets", "K1", json={"queue": "C"}).json()["number"]
    joined = panel.next("queue_state")
    assert joined == queue_board.next("queue_state") and joined["waiting"] >= 1

    assert live.api("POST", "/windows/4/call", "clerk4", json={"number": number}).ok
    assert queue_board.next("ticket_called")["number"] == number
    assert panel.next("queue_state")["waiting"] == joined["waiting"] - 1
    time.sleep(0.3)
    assert "ticket_called" not in panel.names()  # the panel shows its own window's ticket only
    assert live.api("POST", "/windows/4/no-show", "clerk4", json={"requeue": False}).ok


def test_the_subscription_acknowledgement_carries_the_truth(live, boards):
    free_window(live, 4, "clerk4")
    number = live.api("POST", "/tickets", "K1", json={"queue": "C"}).json()["number"]
    assert live.api("POST", "/windows/4/call", "clerk4", json={"number": number}).ok
    for _ in range(12):
        assert live.api("POST", "/windows/4/recall", "clerk4").ok
    windows = {w["number"]: w for w in live.api("GET", "/windows").json()}

    # One shape for a window: what the socket is given is what the API answers.
    window4 = boards({"window": 4}).ack["state"]["window"]
    assert window4 == windows[4] | {"since": window4["since"], "current": window4["current"]}
    assert datetime.fromisoformat(window4["since"]) == datetime.fromisoformat(windows[4]["since"])
    assert window4["current"]["since"] is not None  # when it was called
    assert {k: v for k, v in window4["current"].items() if k != "since"} == {
        k: v for k, v in windows[4]["current"].items() if k != "since"
    }
    assert (window4["name"], window4["state"], window4["current"]["number"]) == (
        "4号婚姻登记窗口",
        "called",
        number,
    )
    assert (window4["clerk"], window4["queues"]) == ({"name": "clerk4名", "badge": "Bclerk4"}, ["C"])

    hall = boards({"board": "hall"}).ack["state"]
    assert {
        w["number"]: (w["state"], w["current"] and w["current"]["number"], w["clerk"] and w["clerk"]["name"])
        for w in hall["windows"]
    } == {
        n: (w["state"], w["current"] and w["current"]["number"], w["clerk"] and w["clerk"]["name"])
        for n, w in windows.items()
    }
    queues = {q["code"]: q["waiting"] for q in live.api("GET", "/queues").json()}
    assert {q["queue"]: q["waiting"] for q in hall["queues"]} == queues
    # Today's last tickets called, newest first, each once: the twelve recalls are one entry.
    called = [(c["number"], c["window"], c["recall"]) for c in hall["calls"]]
    assert called[0] == (number, 4, True) and len({c[0] for c in called}) == len(called) <= 12
    with (Path(live.env["HALLQ_CONFIG"]) / "hall.toml").open("rb") as config:
        standing = [(n["title"], n["text"]) for n in tomllib.load(config)["notices"]]
    assert [(n["title"], n["text"]) for n in hall["notices"] if n["id"] is None] == standing
