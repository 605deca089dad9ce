"""/metrics of a real `hallq serve`, as Prometheus scrapes it: after a ticket, its print and its
call, the counters and gauges a hall's dashboard shows have moved by exactly that; over a real
TCP connection from an address the server does not list (127.0.0.2) it is refused, and with
the metrics token it is not."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass

import pytest
import socketio

from queue_core.models import Role
from tests.live.conftest import add_device_token, add_staff, new_hall
from tests.test_metrics import TOKEN, sample, samples

LISTED, NOT_LISTED = "127.0.0.1", "127.0.0.2"


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    root = tmp_path_factory.mktemp("metrics")
    hall = new_hall(root)
    hall.env |= {"HALLQ_METRICS_ALLOW": f"{LISTED}/32", "HALLQ_METRICS_TOKEN": TOKEN}
    hall.tokens = add_staff(hall.env["DATABASE_URL"], [("clerk1", Role.CLERK)])
    hall.tokens["K1"] = add_device_token(hall.env["DATABASE_URL"], "kiosk", "K1")
    server = hall.serve(root / "server.log")
    yield hall
    server.terminate()
    server.wait(timeout=15)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def get_metrics(hall, source: str, headers: dict[str, str] | None = None) -> Answer:
    """GET /metrics over a connection whose client end is bound to `source`."""
    connection = http.client.HTTPConnection("127.0.0.1", hall.port, timeout=10, source_address=(source, 0))
    connection.request("GET", "/metrics", headers=headers or {})
    response = connection.getresponse()
    answer = Answer(response.status, response.read().decode())
    connection.close()
    return answer


def scrape(hall) -> dict:
    answer = get_metrics(hall, LISTED)
    assert answer.status == 200, answer.body
    return samples(answer.body)


def printed(hall, ticket_id: int) -> dict:
    for _ in range(100):
        job = hall.api("GET", f"/tickets/{ticket_id}", "K1").json()["print"]
        if job["status"] not in ("queued", "claimed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"ticket {ticket_id} still to print: {job}")


def test_a_ticket_its_print_and_its_call_move_the_counters(hall):
    before = scrape(hall)
    board = socketio.Client(reconnection=False)
    board.connect(hall.url, namespaces=["/hall"], transports=["websocket"])
    try:
        assert board.call("subscribe", {"board": "hall"}, namespace="/hall", timeout=10)["ok"]
        assert hall.api("POST", "/windows/1/sign-in", "clerk1").ok  # window 1 serves queue A
        ticket = hall.api("POST", "/tickets", "K1", json={"queue": "A"}).json()
        assert printed(hall, ticket["id"])["status"] == "printed"  # K1's printer is dummy:
        issued = scrape(hall)
        called = hall.api("POST", "/windows/1/call-next", "clerk1")
        assert called.json()["ticket"]["number"] == ticket["number"]
        after = scrape(hall)
    finally:
        board.disconnect()

    def moved(name: str, **labels: str) -> float:
        """By how much; a series not there before (a first request's latency) was at 0."""
        return sample(after, name, **labels) - before.get((name, frozenset(labels.items())), 0.0)

    assert moved("hallq_tickets_issued_total", queue="A") == 1
    assert moved("hallq_tickets_issued_total", queue="B") == 0
    assert moved("hallq_calls_total", queue="A") == 1
    assert (
        sample(issued, "hallq_waiting_tickets", queue="A")
        == sample(before, "hallq_waiting_tickets", queue="A") + 1
    )
    assert moved("hallq_waiting_tickets", queue="A") == 0  # called: no longer waiting
    assert moved("hallq_print_jobs", status="printed") == 1
    assert sample(after, "hallq_printer_up", printer="K1", kiosk="K1") == 1
    assert moved("hallq_windows", status="open") == 1
    assert moved("hallq_queue_open_windows", queue="A") == 1
    assert moved("hallq_request_duration_seconds_count", endpoint="api.create_ticket") == 1
    assert moved("hallq_subscribed_sockets", kind="board") == 1
    assert moved("hallq_open_sockets") == 1
    assert sample(after, "hallq_health", status="ok") == 1


def test_an_address_not_listed_is_refused_and_the_token_opens_it(hall):
    refused = get_metrics(hall, NOT_LISTED)
    assert refused.status == 403 and '"error":"forbidden"' in refused.body.replace(" ", "")
    assert NOT_LISTED in refused.body  # the message names the address the server saw
    wrong = get_metrics(hall, NOT_LISTED, {"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status == 403
    with_token = get_metrics(hall, NOT_LISTED, {"Authorization": f"Bearer {TOKEN}"})
    assert with_token.status == 200 and "hallq_tickets_issued_total" in with_token.body
    # nginx on this machine connects from the listed address; HALLQ_PROXIES is 0 here.
    forwarded = get_metrics(hall, LISTED, {"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status == 403
