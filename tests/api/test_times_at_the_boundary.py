"""Times as a request gives them, made the hall's at the payload boundary: a time of day (opening
hours, the last ticket) is the hall's local time and never carries a zone; a moment (an
appointment's slot) always does, and is stored as UTC. The fuzzer once sent opening hours with
one time naive and the other with an offset: comparing them was a TypeError ("can't compare
offset-naive and offset-aware times") and a 500. Now either is a 422 naming the field."""

from __future__ import annotations

import pytest

LOCAL_ONLY = "must be a local time of day such as 08:30, without a time zone"


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"hours": {"open": "08:30", "close": "17:00+08:00"}}, "hours.close"),
        ({"hours": {"open": "08:30Z", "close": "17:00"}}, "hours.open"),
        ({"last_ticket": "16:00Z"}, "last_ticket"),  # against the hall's hours, which are local
        ({"last_ticket": 57_600}, "last_ticket"),  # pydantic reads a number as seconds past midnight UTC
        ({"last_ticket": "16:00:00.000001"}, "last_ticket"),  # not the documented HH:MM[:SS]
    ],
)
def test_a_time_of_day_with_a_zone_is_refused_by_name(api, settings, field):
    answer = api.request("PUT", "/queues/A", "manager", {"name": "户籍业务", **settings})
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["fields"] == [{"field": field, "message": LOCAL_ONLY}]


def test_a_local_time_of_day_is_kept_as_given(api):
    answer = api.request(
        "PUT",
        "/queues/A",
        "manager",
        {"name": "户籍业务", "hours": {"open": "08:30", "close": "17:00"}, "last_ticket": "16:30:00"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["hours"] == {"open": "08:30:00", "close": "17:00:00"}
    assert answer.get_json()["last_ticket"] == "16:30:00"


def test_a_slot_given_in_two_zones_is_one_moment(api):
    """10:00 in Shanghai to 02:45 UTC (10:45 in Shanghai): compared, kept and answered in UTC.
    The item's queue (H) takes appointments at any time: no booking slots to keep to.
    (A slot without its zone is refused: test_appointments.)"""
    item = api.get("/items", query_string={"q": "临时救助"}).get_json()[0]["id"]
    answer = api.post(
        "/appointments",
        "guide",
        {"item_id": item, "slot_start": "2026-11-23T10:00:00+08:00", "slot_end": "2026-11-23T02:45:00Z"},
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    slot = answer.get_json()
    assert (slot["slot_start"], slot["slot_end"]) == ("2026-11-23T02:00:00Z", "2026-11-23T02:45:00Z")
    backwards = api.post(
        "/appointments",
        "guide",
        {"item_id": item, "slot_start": "2026-11-23T10:00:00+08:00", "slot_end": "2026-11-23T01:59:00Z"},
    )
    assert backwards.status_code == 409 and "end after it starts" in backwards.get_json()["message"]
