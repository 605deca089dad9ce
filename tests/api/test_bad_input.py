"""What a careless or hostile client may send, and the clear 4xx it gets instead of a 500: a
body nested thousands deep, dates out of any hall's range, ids beyond what the database holds,
NUL bytes (which PostgreSQL's text cannot store), and a chunked body, which is read, never
taken as empty."""

from __future__ import annotations

import pytest
import requests

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_body_nested_too_deep_is_refused_by_name(api):
    api.token("device:K1")
    answer = api.client.post(
        "/api/v1/tickets",
        data=DEEP,
        headers={"Authorization": f"Bearer {api.tokens['device:K1']}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "body", "message": "is nested too deeply"}]


@pytest.mark.parametrize("query", ["from=0001-01-01&to=0001-01-02", "from=2026-01-01&to=9999-12-31"])
def test_a_period_out_of_any_halls_range_is_refused(api, query):
    answer = api.get(f"/stats/summary?{query}", "manager")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "between" in answer.get_json()["message"]


def test_an_id_beyond_the_database_and_a_nul_byte(api):
    assert api.get(f"/tickets/{2**40}", "device:K1").status_code == 404
    api.post("/windows/3/sign-in", "clerk3")
    answer = api.post("/windows/3/pause", "clerk3", {"reason": "会议\x00"})
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == [{"field": "body", "message": "reason: contains a NUL byte"}]


def test_a_chunked_body_is_read_not_taken_as_empty(api, served):
    token = api.token("device:K1")

    def chunks():
        yield b'{"queue": '
        yield b'"B"}'

    answer = requests.post(
        f"{served}/api/v1/tickets",
        data=chunks(),  # no Content-Length: Transfer-Encoding: chunked
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["queue"] == "B"


def test_a_moment_out_of_any_halls_years_is_refused(api):
    answer = api.post("/appointments", "guide", {"item_id": 1, "slot_start": "0001-01-01T09:00:00+08:00"})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "between 2000-01-01 and 2099-12-31" in answer.get_json()["message"]


def test_a_body_over_the_limit_is_refused_by_flask_itself(api):
    """Whoever serves the app (hallq serve refuses it earlier, before a thread reads it)."""
    from hallq.faults import LARGEST_BODY

    answer = api.client.post(
        "/api/v1/tickets", data=b"{" + b" " * LARGEST_BODY + b"}", content_type="application/json"
    )
    assert answer.status_code == 413 and answer.get_json()["error"] == "request_entity_too_large"
