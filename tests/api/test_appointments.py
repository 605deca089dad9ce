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
    over = book(api, marriage, MORNING - timedelta(hours=2)).get_json()
    assert (over["error"], over["why"]) == ("queue_closed", "no_slot")
    naive = api.post(
        "/appointments", "manager", {"item_id": marriage["id"], "slot_start": "2026-11-23T10:00:00"}
    )
    assert naive.status_code == 422 and naive.get_json()["fields"][0]["field"] == "slot_start"


def test_check_in_within_the_slot_issues_an_appointment_ticket_once(api, marriage, clock):
    code = book(api, marriage, MORNING).get_json()["code"]
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
        "text": "预约签到于 09:45 开始（预约时段前 15 分钟）。",
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


def test_another_system_books_by_the_citizens_rules(api, marriage):
    """A provincial platform's booking takes a slot's room as a citizen's does: only an
    offered slot, none past capacity, one per ID number per item per day; a queue closed
    to citizens' booking (H, 综合受理) still takes an appointment at any time."""
    ten = MORNING + timedelta(hours=1)
    assert book(api, marriage, ten + timedelta(minutes=10)).get_json()["why"] == "no_slot"
    assert book(api, marriage, ten, slot_end=(ten + timedelta(minutes=45)).isoformat()).get_json() == {
        "error": "queue_closed",
        "message": "the booking slot at 2026-11-23 10:00 ends at 10:30",
        "text": "该时段不可预约，请选择其他时段。",
        "slot_end": "2026-11-23T10:30:00+08:00",
        "why": "no_slot",
    }
    first = book(api, marriage, ten, id_number="11010519491231002X")
    assert first.status_code == 201
    again = book(api, marriage, ten + timedelta(minutes=30), id_number="11010519491231002X").get_json()
    assert again["why"] == "already_booked"
    assert book(api, marriage, ten, name="李四").status_code == 201  # the citizen's page agrees: full
    slots = api.get(f"/booking/slots?item_id={marriage['id']}&day=2026-11-23").get_json()["slots"]
    assert next(s for s in slots if s["start"] == "2026-11-23T10:00:00+08:00")["left"] == 0
    full = book(api, marriage, ten).get_json()
    assert (full["error"], full["why"]) == ("quota_reached", "slot_full")
    general = api.get("/items", query_string={"q": "临时救助"}).get_json()[0]  # queue H
    assert book(api, general, ten + timedelta(minutes=10)).status_code == 201
    assert (
        book(api, general, MORNING - timedelta(hours=2)).get_json()["message"] == "the slot is already over"
    )
