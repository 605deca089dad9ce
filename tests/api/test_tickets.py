"""Taking and following tickets through /api/v1, as a kiosk, a guide or a passer-by."""

from datetime import UTC, datetime

from sqlalchemy import text


def test_kiosk_takes_a_ticket_for_an_item(api):
    item = api.get("/items?q=结婚登记").get_json()[0]
    response = api.post("/tickets", "device:K1", {"item_id": item["id"]})
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["number"] == "C001"
    assert ticket["queue"] == "C" and ticket["queue_name"] == "婚姻登记"
    assert ticket["status"] == "waiting" and ticket["waiting_ahead"] == 0
    assert ticket["issued_at"] == "2026-11-23T01:00:00Z"
    assert len(ticket["key"]) >= 20


def test_people_ahead_are_counted(api):
    for _ in range(3):
        api.post("/tickets", "device:K1", {"queue": "A"})
    ticket = api.post("/tickets", "device:K2", {"queue": "A"}).get_json()
    assert (ticket["number"], ticket["waiting_ahead"]) == ("A004", 3)
    followed = api.get(f"/tickets/{ticket['id']}").get_json()
    assert followed["waiting_ahead"] == 3 and "key" not in followed


def test_issuing_needs_a_kiosk_guide_or_manager(api):
    assert api.post("/tickets", None, {"queue": "A"}).status_code == 401
    refused = api.post("/tickets", "clerk1", {"queue": "A"})
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "take a ticket is not allowed for clerk"
    assert api.post("/tickets", "guide", {"queue": "A", "priority": "senior"}).status_code == 201
    assert api.post("/tickets", "manager", {"queue": "A"}).status_code == 201


def test_remote_ticketing_opens_issuing_to_anyone(api, app):
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(text("UPDATE hall SET remote_ticketing = 1"))
    assert api.post("/tickets", None, {"queue": "B"}).status_code == 201


def test_a_kiosk_cannot_issue_in_another_kiosks_name(api):
    response = api.post("/tickets", "device:K1", {"queue": "A", "kiosk": "K2"})
    assert response.status_code == 403
    assert "kiosk K1 cannot issue tickets as kiosk" in response.get_json()["message"]


def test_bad_payloads_name_the_field(api):
    cases = [
        ({"queue": "a"}, "queue"),
        ({"queue": "A", "priority": "vip"}, "priority"),
        ({"queue": "A", "priority": "appointment"}, "priority"),  # only a check-in gives that
        ({"queue": "A", "colour": "red"}, "colour"),
        ({"item_id": "x"}, "item_id"),
        ({"queue": "A", "kiosk": "K9"}, "kiosk"),
    ]
    for payload, field in cases:
        response = api.post("/tickets", "guide", payload)
        assert response.status_code == 422, payload
        body = response.get_json()
        assert body["error"] == "invalid_payload"
        assert [f["field"] for f in body["fields"]] == [field], body
    both = api.post("/tickets", "guide", {}).get_json()
    assert both["fields"][0]["message"] == "give either item_id or queue (exactly one)"
    not_json = api.post("/tickets", "guide", data="queue=A", content_type="text/plain")
    assert not_json.status_code == 422
    assert not_json.get_json()["fields"][0] == {
        "field": "body",
        "message": "must be a JSON object (Content-Type: application/json)",
    }


def test_unknown_things_answer_404_in_json(api):
    assert api.post("/tickets", "guide", {"queue": "Z"}).get_json() == {
        "error": "not_found",
        "message": 'no queue "Z"',
        "text": "未找到相关内容，可能已被删除，或号码有误。",
    }
    assert api.post("/tickets", "guide", {"item_id": 99999}).status_code == 404
    assert api.get("/tickets/424242").status_code == 404
    missing = api.get("/no-such-thing")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert api.request("DELETE", "/tickets").get_json()["error"] == "method_not_allowed"


def test_quota_reached_is_409(api, app):
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(text("UPDATE queue SET daily_quota = 1 WHERE code = 'C'"))
    api.post("/tickets", "guide", {"queue": "C"})
    response = api.post("/tickets", "guide", {"queue": "C"})
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "quota_reached",
        "message": "queue C has issued its 1 tickets for today",
        "text": "该业务今日号票已发完。",
        "reopens_at": "2026-11-24T08:30:00+08:00",
    }


def test_cancel_by_a_guide(api):
    ticket = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    assert api.post(f"/tickets/{ticket['id']}/cancel", "clerk1").status_code == 403
    cancelled = api.post(f"/tickets/{ticket['id']}/cancel", "guide")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = api.post(f"/tickets/{ticket['id']}/cancel", "guide")
    assert (
        again.status_code == 409
        and again.get_json()["message"] == "ticket A001 is cancelled, not called or remote or waiting"
    )


def test_outside_hours_says_when_to_come_back(api, app, clock):
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(text("UPDATE hall SET enforce_hours = 1"))
        uow.session.execute(text("UPDATE queue SET last_ticket_at = '16:30:00' WHERE code = 'B'"))
    clock.set(datetime(2026, 11, 22, 23, 45, tzinfo=UTC))  # 07:45 in Shanghai
    early = api.post("/tickets", "guide", {"queue": "B"}).get_json()
    assert early["error"] == "queue_closed" and early["reopens_at"] == "2026-11-23T08:30:00+08:00"
    assert early["message"] == "queue B takes tickets at 08:30-12:00, 14:00-16:30"  # the demo's lunch
    clock.set(datetime(2026, 11, 23, 8, 31, tzinfo=UTC))  # 16:31
    late = api.post("/tickets", "guide", {"queue": "B"}).get_json()
    assert late["message"] == "queue B gave its last ticket for today at 16:30"
    assert late["reopens_at"] == "2026-11-24T08:30:00+08:00"
    assert api.post("/tickets", "guide", {"queue": "A"}).status_code == 201  # A is open until 17:30


def test_a_repeated_request_returns_the_same_ticket(api):
    first = api.post("/tickets", "device:K1", {"queue": "A", "request_id": "tap-0001-abcd"})
    again = api.post("/tickets", "device:K1", {"queue": "A", "request_id": "tap-0001-abcd"})
    other = api.post("/tickets", "device:K1", {"queue": "A", "request_id": "tap-0002-abcd"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["number"] == "A001"
    assert other.get_json()["number"] == "A002"
    assert api.post("/tickets", "device:K1", {"queue": "A", "request_id": "x"}).status_code == 422


def test_estimated_wait_is_a_range_around_todays_pace(api, clock):
    assert api.post("/windows/1/sign-in", "clerk1").status_code == 200
    first = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    # Nothing served in A today yet, nor on past Mondays: nothing honest to say.
    assert (first["estimated_wait_seconds"], first["estimated_wait_range"]) == (None, None)
    assert [w["number"] for w in first["windows"]] == [1, 2, 16]
    for minutes in (4, 6):  # two services of 4 and 6 minutes
        api.post("/tickets", "device:K1", {"queue": "A"})
        api.post("/windows/1/call-next", "clerk1")
        api.post("/windows/1/start", "clerk1")
        clock.advance(minutes=minutes)
        api.post("/windows/1/finish", "clerk1", {})
    tickets = [api.post("/tickets", "device:K1", {"queue": "A"}).get_json() for _ in range(3)]
    # Window 1 serves A alone, at 5 minutes a citizen: the third new ticket has 3 ahead (A002
    # and two new), about a quarter of an hour, and a range, not a point.
    third = tickets[2]
    assert third["waiting_ahead"] == 3
    low, high = third["estimated_wait_range"]
    assert low < third["estimated_wait_seconds"] < high
    assert low < 3 * 300 < high and high - low >= 5 * 60
    # The same from the ticket's own address (the phone page reads it).
    again = api.get(f"/tickets/{third['id']}").get_json()
    assert again["estimated_wait_range"] == [low, high]
    # Called: no wait left.
    called = api.post("/windows/1/call-next", "clerk1").get_json()
    mine = api.get(f"/tickets/{called['ticket']['id']}").get_json()
    assert (mine["status"], mine["estimated_wait_seconds"], mine["estimated_wait_range"]) == (
        "called",
        0,
        [0, 0],
    )


def test_a_kiosk_priority_ticket_needs_a_guides_pin_where_the_hall_says_so(api, app):
    from hallq.auth import pin_digest

    secret = app.extensions["hallq"].settings.secret_key()
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(text("UPDATE hall SET priority_pin = 1"))
        for username, pin in (("guide", "2468"), ("clerk1", "1357")):
            uow.session.execute(
                text("UPDATE staff SET pin_digest = :d WHERE username = :u"),
                {"d": pin_digest(secret, pin), "u": username},
            )
    senior = {"queue": "A", "priority": "senior"}
    missing = api.post("/tickets", "device:K1", senior)
    assert missing.status_code == 403
    assert missing.get_json() == {
        "error": "forbidden",
        "message": "a guide's PIN is needed for a priority ticket",
        "text": "优先取号需由引导员输入授权码。",
        "needs": "guide_pin",
    }
    assert (
        api.post("/tickets", "device:K1", senior | {"guide_pin": "0000"}).get_json()["message"]
        == "wrong guide PIN"
    )
    assert (
        api.post("/tickets", "device:K1", senior | {"guide_pin": "1357"}).status_code == 403
    )  # a clerk's PIN
    allowed = api.post("/tickets", "device:K1", senior | {"guide_pin": "2468"})
    assert allowed.status_code == 201 and allowed.get_json()["priority"] == "senior"
    with app.extensions["hallq"].db.read() as uow:
        authorised = uow.session.execute(
            text(
                "SELECT s.username FROM ticket_event e JOIN staff s ON s.id = e.staff_id WHERE e.ticket_id = :t"
            ),
            {"t": allowed.get_json()["id"]},
        ).scalar_one()
    assert authorised == "guide"
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201  # normal tickets need none
    assert api.post("/tickets", "guide", senior).status_code == 201  # nor does a guide issuing it
    for _ in range(3):  # five wrong PINs in all lock the kiosk for a while
        api.post("/tickets", "device:K1", senior | {"guide_pin": "9999"})
    locked = api.post("/tickets", "device:K1", senior | {"guide_pin": "2468"})
    assert locked.status_code == 429 and locked.get_json()["error"] == "too_many_attempts"
    assert (
        api.post("/tickets", "device:K2", senior | {"guide_pin": "2468"}).status_code == 201
    )  # K2 is not locked


VALID_IDS = ("11010519491231002X", "440524188001010014")


def test_a_per_person_limit_needs_the_id_number_and_stores_only_a_keyed_hash(api, app):
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(text("UPDATE queue SET id_limit = 2 WHERE code = 'F'"))
    item = api.get("/items", query_string={"department": "ZR"}).get_json()[0]
    assert api.get(f"/items/{item['id']}").get_json()["needs_id"] is True
    assert {q["code"]: q["needs_id"] for q in api.get("/queues").get_json()}["A"] is False
    missing = api.post("/tickets", "device:K1", {"queue": "F"})
    assert missing.status_code == 409 and missing.get_json()["needs"] == "id_number"
    wrong = api.post("/tickets", "device:K1", {"queue": "F", "id_number": "110105194912310021"})
    assert wrong.status_code == 422
    assert wrong.get_json()["fields"] == [
        {"field": "id_number", "message": "the check digit does not match: please check the number"}
    ]
    first_id, second_id = VALID_IDS
    for _ in range(2):
        assert (
            api.post("/tickets", "device:K1", {"queue": "F", "id_number": first_id.lower()}).status_code
            == 201
        )
    third = api.post("/tickets", "device:K1", {"queue": "F", "id_number": first_id})
    assert third.status_code == 409 and third.get_json() == {
        "error": "limit_reached",
        "message": "this ID number already has 2 ticket(s) for queue F today",
        "text": "该身份证号码今日在本业务的取号次数已达上限。",
    }
    assert api.post("/tickets", "device:K1", {"queue": "F", "id_number": second_id}).status_code == 201
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201  # A has no limit
    with app.extensions["hallq"].db.read() as uow:
        stored = (
            uow.session.execute(text("SELECT holder_digest FROM ticket WHERE holder_digest IS NOT NULL"))
            .scalars()
            .all()
        )
    assert len(stored) == 3 and all(len(d) == 64 and first_id not in d and second_id not in d for d in stored)


def test_a_kiosk_can_be_rate_limited(api, app):
    app.extensions["hallq"].spec.kiosks[0].rate_limit = "3/minute"  # as hall.toml would set it for K1
    for n in range(3):
        assert (
            api.post("/tickets", "device:K1", {"queue": "A", "request_id": f"rate-test-{n:04d}"}).status_code
            == 201
        )
    assert (
        api.post("/tickets", "device:K1", {"queue": "A", "request_id": "rate-test-0000"}).status_code == 200
    )  # a replay
    limited = api.post("/tickets", "device:K1", {"queue": "A"})
    assert limited.status_code == 429 and limited.get_json() == {
        "error": "too_many_attempts",
        "message": "kiosk K1 may issue 3/minute tickets: wait a little",
        "text": "短时间内尝试次数过多，请稍后再试。",
    }
    assert api.post("/tickets", "device:K2", {"queue": "A"}).status_code == 201
    assert api.post("/tickets", "guide", {"queue": "A"}).status_code == 201


def test_the_holder_moves_a_ticket_back_once_from_the_phone(api, clock):
    """POST /tickets/by-key/<key>/postpone: no login, the key is the proof; [hall]
    postpone_places (5 in the demo) places back, once, said in Chinese when refused."""
    taken = []
    for _ in range(7):
        taken.append(api.post("/tickets", "device:K1", {"queue": "B"}).get_json())
        clock.advance(seconds=1)
    moved = api.post(f"/tickets/by-key/{taken[0]['key']}/postpone")
    assert moved.status_code == 200 and moved.get_json()["waiting_ahead"] == 5
    again = api.post(f"/tickets/by-key/{taken[0]['key']}/postpone").get_json()
    assert (again["error"], again["why"], again["text"]) == (
        "limit_reached",
        "postponed_once",
        "该号票已延后过一次，每张号票只能延后一次。",
    )
    assert api.post("/tickets/by-key/no-such-key/postpone").status_code == 404
