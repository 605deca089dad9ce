"""`hallq simulate-live` end to end, at a tiny scale: a quarter of an hour of the demo hall
played 60 times faster against a real `hallq serve` on SQLite, with a few screens listening.
What the driver says it did must add up, and the server's own figures must say the same."""

from __future__ import annotations

from datetime import time

import pytest

from hallq.live_simulation import simulate_live


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    from tests.live.conftest import new_hall

    root = tmp_path_factory.mktemp("live-sim")
    hall = new_hall(root)
    # The admin's token the driver needs, made as its documentation says.
    hall.hallq("user", "add", "sim-admin", "--role", "admin", "--password-stdin", input="password-123\n")
    hall.tokens["admin"] = hall.hallq("token", "issue", "sim-admin").strip()
    server = hall.serve(root / "server.log")
    try:
        report = simulate_live(
            [hall.url],
            hall.tokens["admin"],
            tickets=12,
            stretch=(time(10, 0), time(10, 15)),
            speed=60,
            clients=8,
            seed=4,
        )
        yield hall, report
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_the_driver_reports_no_error_and_every_ticket_accounted_for(played):
    _hall, report = played
    c = report.counts
    assert report.errors.count == 0, report.errors.examples
    assert c["issued"] == c["arrivals"] > 0
    assert c["issued"] == c["served"] + (c["no-shows"] - c["requeued"]) + c["gave up"]
    assert report.left_open == 0
    assert c["signed in"] == c["signed out"] == report.windows == 16
    assert c["calls"] == c["served"] + c["no-shows"] + c["transfers"]
    assert c["ratings"] <= c["served"]
    assert report.requests["issue"] == c["arrivals"]
    assert len(report.issue_ms) == c["issued"] and len(report.call_ms) >= c["calls"]
    assert any("holds" in line for line in report.lines())


def test_every_screen_heard_every_call_routed_to_it(played):
    _hall, report = played
    assert sum(report.screens.kinds.values()) == 8
    assert set(report.screens.kinds) == {"hall board", "dashboard", "window board", "keypad", "clerk panel"}
    latencies, missing, unexpected = report.event_ms()
    assert (missing, unexpected) == (0, 0)
    # The hall board and the dashboard hear every call.
    assert len(latencies) >= 2 * report.counts["calls"]


def test_the_servers_figures_agree_with_the_driver(played):
    hall, report = played
    c = report.counts
    today = hall.api("GET", "/stats/summary", "admin").json()
    assert (today["issued"], today["served"], today["no_show"], today["cancelled"], today["transferred"]) == (
        c["issued"],
        c["served"],
        c["no-shows"] - c["requeued"],
        c["gave up"],
        c["transfers"],
    )
    assert today["evaluation"]["rated"] == c["ratings"]
    assert today["evaluation"]["bad_count"] == c["bad ratings"]
    windows = hall.api("GET", "/windows", "admin").json()
    assert {w["state"] for w in windows} == {"closed"}
    # The driver's clerks and device tokens are revoked once it is done.
    assert hall.api("GET", "/windows/1/panel", None).status_code == 401
    devices = hall.api("GET", "/devices", "admin").json()
    assert all(t["revoked_at"] for d in devices for t in d["tokens"])
