"""Several halls in one database (a city's centres): this server is the demo hall's, and a
second hall, 测试政务服务中心, shares its database. Its staff cannot log in here nor use their
tokens, its devices' tokens are refused, its tickets are not found here by id or key, and a
city supervisor (市级监管) reads every hall's figures live."""

from __future__ import annotations

import time

import pytest

from hallq.auth import new_token
from queue_core.models import Role, Staff, Ticket
from queue_core.setup import sync_hall
from queue_core.ticketing import issue_ticket
from tests.api.test_alarms_api import dashboard_client
from tests.conftest import SocketClient, small_hall_spec

OTHER_HALL = "测试政务服务中心"


@pytest.fixture
def other_hall(app, password_hash):
    """The second hall: a clerk with a password and a token, a kiosk token, a waiting ticket."""
    with app.extensions["hallq"].db.write() as uow:
        hall = sync_hall(uow, small_hall_spec())
        clerk = Staff(hall_id=hall.id, username="other_clerk", name="别处", role=Role.CLERK)
        clerk.password_hash = password_hash
        uow.session.add(clerk)
        uow.session.flush()
        ticket = issue_ticket(uow, hall, queue_code="A")
        return {
            "clerk": new_token(uow, hall.id, staff=clerk),
            "kiosk": new_token(uow, hall.id, device=("kiosk", "K1")),
            "ticket_id": ticket.id,
            "key": ticket.key,
        }


def log_in(app, username: str):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    return client, client.post("/login", data={"username": username, "password": "password-123"})


def test_the_staff_of_another_hall_cannot_log_in_here_and_are_told_where(app, other_hall):
    client, answer = log_in(app, "other_clerk")
    assert answer.status_code == 403
    assert f"此账号属于{OTHER_HALL}" in answer.get_data(as_text=True)  # the hall speaks Chinese
    assert client.get("/manager/").status_code == 302  # not logged in


def test_a_session_of_another_halls_person_is_not_a_login_here(app, other_hall):
    """Halls on one host share cookies (and maybe their secret): the session names a person
    this server's hall does not have."""
    client = app.test_client()
    with app.extensions["hallq"].db.read() as uow:
        other_id = uow.session.query(Staff.id).filter_by(username="other_clerk").scalar()
    with client.session_transaction() as session:
        session["_user_id"] = str(other_id)
    assert client.get("/manager/").status_code == 302


@pytest.mark.parametrize("who", ["clerk", "kiosk"])
def test_another_halls_tokens_are_refused_saying_whose_they_are(api, other_hall, who):
    headers = {"Authorization": f"Bearer {other_hall[who]}"}
    answer = api.client.post("/api/v1/tickets", json={"queue": "A"}, headers=headers)
    assert answer.status_code == 403
    assert (
        answer.get_json()["message"] == f"this token belongs to {OTHER_HALL}: use it with that hall's server"
    )
    assert api.client.get("/api/v1/windows/1/panel", headers=headers).status_code == 403


def test_another_halls_socket_token_is_no_one(app, other_hall, served):
    board = SocketClient(served, token=other_hall["kiosk"])
    refused = board.subscribe({"kiosk": "K1"})
    assert refused == {
        "ok": False,
        "error": "only kiosk K1 itself, with its device token, hears its printing",
    }


def test_another_halls_tickets_are_not_found_here(api, app, other_hall):
    ticket_id, key = other_hall["ticket_id"], other_hall["key"]
    assert api.get(f"/tickets/{ticket_id}").status_code == 404
    assert api.post(f"/tickets/{ticket_id}/cancel", "manager").status_code == 404
    assert api.get(f"/tickets/by-key/{key}/evaluation").status_code == 404
    assert api.client.get(f"/t/{key}").status_code == 404
    assert api.client.get(f"/t/{key}/qr.svg").status_code == 404
    with app.extensions["hallq"].db.read() as uow:
        assert uow.session.get(Ticket, ticket_id).status == "waiting"  # not cancelled


def test_a_city_supervisor_reads_every_hall_live_and_only_they_do(
    api, app, other_hall, password_hash, served
):
    with app.extensions["hallq"].db.write() as uow:
        hall_id = uow.session.query(Staff.hall_id).filter_by(username="manager").scalar()
        uow.session.add(
            Staff(hall_id=hall_id, username="city", name="市级", role=Role.CITY, password_hash=password_hash)
        )
    client, answer = log_in(app, "city")
    assert answer.status_code == 302
    assert "青山县政务服务中心" not in client.get("/city/").get_data(as_text=True)  # drawn live
    manager, _ = log_in(app, "manager")
    assert manager.get("/city/").status_code == 403
    refused = dashboard_client(app, served, "manager").subscribe({"city": True})
    assert refused["ok"] is False

    socket = dashboard_client(app, served, "city")
    ack = socket.subscribe({"city": True})
    assert (ack["ok"], ack["room"]) == (True, "city")
    halls = {h["name"]: h for h in ack["state"]["halls"]}
    assert set(halls) == {"青山县政务服务中心", OTHER_HALL}
    assert (halls[OTHER_HALL]["waiting"], halls[OTHER_HALL]["windows"]) == (1, 3)
    waiting = halls["青山县政务服务中心"]["waiting"]

    socket.take()
    assert api.post("/tickets", "device:K1", {"queue": "H"}).status_code == 201
    figures = hall_figures(socket)  # sent by a background task, not by the request
    assert figures and figures[-1]["name"] == "青山县政务服务中心"
    assert figures[-1]["waiting"] == waiting + 1
    assert figures[-1]["longest_waiting_since"] is not None


def hall_figures(socket, seconds: float = 5) -> list[dict]:
    """The hall_figures the socket hears within `seconds`, once the first arrive."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        heard = [payload for name, payload in socket.take() if name == "hall_figures"]
        if heard:
            return heard
        time.sleep(0.05)
    return []
