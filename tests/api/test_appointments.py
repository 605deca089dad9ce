"""Booking a slot and checking in for it at a kiosk."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import MORNING  # 09:00 in Shanghai


@pytest.fixture
def marriage(api):
    return api.get("/items", query_string={"q": "内地居民婚姻登记（结婚登记）"}).get_json()[0]


def book(api, item, start: datetime, who: str = "manager", **extra):
    return api.post("/appointments", who, {"item_id": item["id"], "slot_start": start.isoformat(), **extra})


def test_booking_gives_a_code_to_check_in_with(api, marriage):
    booked = book(api, marriage, MORNING + timedelta(hours=1), name="张三")
    assert booked.status_code == 201
    body = booked.get_json()
    assert len(body["code"]) == 8 and body["code"].isalnum() and body["code"].isupper()
    assert not set(body["code"]) & set("01IO")
    assert body["slot_end"] == "2026-11-23T02:30:00Z" and body["status"] == "booked"
    assert book(api, marriage, MORNING, who="clerk1").status_code == 403
    assert (
        book(api, marriage, MORNING - timedelta(hours=2)).get_json()["message"] == "the slot is already over"
    )
    naive = api.post(
        "/appointments", "manager", {"item_id": marriage["id"], "slot_start": "2026-11-23T10:00:00"}
    )
    assert naive.status_code == 422 and naive.get_json()["fields"][0]["field"] == "slot_start"


def test_check_in_within_the_slot_issues_an_appointment_ticket_once(api, marriage, clock):
    code = book(api, marriage, MORNING + timedelta(minutes=10)).get_json()["code"]
    first = api.post(f"/appointments/{code.lower()}/check-in", "device:K1", {"request_id": "checkin-0001"})
    assert first.status_code == 201
    ticket = first.get_json()
    assert (
        ticket["priority"] == "appointment"
        and ticket["queue"] == "C"
        and ticket["item_name"].startswith("内地居民")
    )
    again = api.post(f"/appointments/{code}/check-in", "device:K1", {})
    assert again.status_code == 200 and again.get_json()["id"] == ticket["id"]


def test_early_and_late_arrivals_are_told_when(api, marriage, clock):
    code = book(api, marriage, MORNING + timedelta(hours=1)).get_json()["code"]  # 10:00-10:30
    early = api.post(f"/appointments/{code}/check-in", "device:K1", {})
    assert early.status_code == 409
    assert early.get_json() == {
        "error": "too_early",
        "message": f"check-in for appointment {code} opens at 09:45",
        "opens_at": "2026-11-23T09:45:00+08:00",
        "slot_start": "2026-11-23T10:00:00+08:00",
        "slot_end": "2026-11-23T10:30:00+08:00",
    }
    clock.set(datetime(2026, 11, 23, 2, 31, tzinfo=UTC))  # 10:31
    late = api.post(f"/appointments/{code}/check-in", "device:K1", {}).get_json()
    assert late["error"] == "too_late" and late["message"] == f"the slot of appointment {code} ended at 10:30"
    assert api.post("/appointments/ZZZZZZZZ/check-in", "device:K1", {}).status_code == 404


def test_an_appointment_is_called_before_walk_ins(api, marriage):
    api.post("/tickets", "device:K1", {"queue": "C"})
    code = book(api, marriage, MORNING).get_json()["code"]
    booked = api.post(f"/appointments/{code}/check-in", "device:K1", {}).get_json()
    api.post("/windows/4/sign-in", "clerk4")
    assert api.post("/windows/4/call-next", "clerk4").get_json()["ticket"]["number"] == booked["number"]
