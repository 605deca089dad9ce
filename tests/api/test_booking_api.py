"""Citizens' booking over the API: slots with the room left, a booking, its refusals named,
cancelling frees the room, and one address cannot fill the hall's slots."""

from __future__ import annotations

from datetime import UTC, datetime

ID_NUMBER = "11010519491231002X"
MONDAY_9 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def marriage(api) -> int:
    return next(i["id"] for i in api.get("/booking/items").get_json() if "结婚登记" in i["name"])


def test_a_booking_takes_a_slots_room_and_cancelling_gives_it_back(api, clock):
    clock.set(MONDAY_9)
    item = marriage(api)
    assert all(i["queue"] != "H" for i in api.get("/booking/items").get_json())  # H takes no bookings
    found = api.get(f"/booking/slots?item_id={item}").get_json()
    assert found["day"] == "2026-11-23" and found["days"][0] == "2026-11-23"
    first = found["slots"][0]
    assert (first["start"], first["end"], first["left"]) == (
        "2026-11-23T09:00:00+08:00",
        "2026-11-23T09:30:00+08:00",
        2,
    )
    body = {"item_id": item, "slot_start": first["start"], "name": "张三", "id_number": ID_NUMBER}
    booked = api.post("/booking", json=body)
    assert booked.status_code == 201
    code = booked.get_json()["code"]
    assert booked.get_json()["materials"] and booked.get_json()["department"] == "青山县民政局"
    assert api.get(f"/booking/slots?item_id={item}&day=2026-11-23").get_json()["slots"][0]["left"] == 1
    again = api.post("/booking", json=body).get_json()
    assert (again["error"], again["why"]) == ("limit_reached", "already_booked")
    lunch = api.post("/booking", json=body | {"slot_start": "2026-11-23T12:30:00+08:00"}).get_json()
    assert (lunch["error"], lunch["why"]) == ("queue_closed", "no_slot")
    qr = api.client.get(f"/book/{code}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    assert api.client.get("/book/NOSUCH00/qr.svg").status_code == 404
    assert api.post(f"/booking/{code}/cancel").get_json()["status"] == "cancelled"
    assert api.get(f"/booking/slots?item_id={item}&day=2026-11-23").get_json()["slots"][0]["left"] == 2
    assert api.post(f"/booking/{code}/cancel").status_code == 409
    assert api.get("/booking/NOSUCH00").status_code == 404


def test_one_address_cannot_fill_the_slots(api, clock):
    clock.set(MONDAY_9)
    body = {
        "item_id": marriage(api),
        "slot_start": "2026-11-23T12:30:00+08:00",
        "name": "张三",
        "id_number": ID_NUMBER,
    }
    answers = [api.post("/booking", json=body).status_code for _ in range(21)]
    assert answers == [409] * 20 + [429]


def test_the_days_bookings_are_listed_for_the_managers(api, app, clock):
    clock.set(MONDAY_9)
    item = marriage(api)
    body = {
        "item_id": item,
        "slot_start": "2026-11-23T10:00:00+08:00",
        "name": "张三",
        "id_number": ID_NUMBER,
    }
    code = api.post("/booking", json=body).get_json()["code"]
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"username": "manager", "password": "password-123"}).status_code == 302
    page = client.get("/manager/admin/bookings").get_data(as_text=True)
    row = page[page.index(f'data-code="{code}"') :]
    row = row[: row.index("</tr>")]
    assert (
        "10:00–10:30" in row and "张三" in row and "内地居民婚姻登记（结婚登记）" in row and "已预约" in row
    )
    assert "当天没有预约。" in client.get("/manager/admin/bookings?day=2026-11-24").get_data(as_text=True)
    assert client.get("/manager/admin/bookings?day=tuesday").status_code == 404
    clerk = app.test_client()
    assert clerk.post("/login", data={"username": "clerk1", "password": "password-123"}).status_code == 302
    assert clerk.get("/manager/admin/bookings").status_code == 403


def test_a_closure_entered_after_booking_tells_the_booker_and_the_staff(api, app, clock):
    """The hall closes a day that has bookings: each booking says so to its booker (with the
    day's reason), the Calendar page counts them on the day, the Bookings page marks them."""
    clock.set(MONDAY_9)
    body = {"item_id": marriage(api), "slot_start": "2026-11-25T10:00:00+08:00", "name": "张三"}
    code = api.post("/booking", json=body | {"id_number": ID_NUMBER}).get_json()["code"]
    assert api.get(f"/booking/{code}").get_json()["off_calendar"] is False
    closure = {"kind": "closed", "reason": "停电检修"}
    assert api.request("PUT", "/calendar/days/2026-11-25", "manager", json=closure).status_code == 200
    moved = api.get(f"/booking/{code}").get_json()
    assert (moved["status"], moved["off_calendar"], moved["day_off"]) == ("booked", True, "停电检修")
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"username": "manager", "password": "password-123"}).status_code == 302
    calendar = client.get("/manager/admin/calendar").get_data(as_text=True)
    row = calendar[calendar.index('data-date="2026-11-25"') :]
    assert "1 个预约不在办理时段内，请通知预约人" in row[: row.index("</tr>")]
    listed = client.get("/manager/admin/bookings?day=2026-11-25").get_data(as_text=True)
    assert "已预约，但该时段不办理（停电检修），请通知预约人" in listed
    assert api.request("DELETE", "/calendar/days/2026-11-25", "manager").status_code == 200
    assert api.get(f"/booking/{code}").get_json()["off_calendar"] is False
