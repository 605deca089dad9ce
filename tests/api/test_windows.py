"""A clerk's day at a window, through /api/v1."""

import re


def sign_in(api, who="clerk3", window=3):
    response = api.post(f"/windows/{window}/sign-in", who)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_sign_in_shows_the_clerk_on_the_window(api):
    body = sign_in(api)
    assert body["window"]["state"] == "idle"
    assert body["window"]["clerk"] == {"name": "clerk3名", "badge": "0006"}
    listed = {w["number"]: w for w in api.get("/windows").get_json()}
    assert listed[3]["clerk"]["name"] == "clerk3名" and listed[4]["state"] == "closed"
    assert listed[3]["queues"] == ["B"]


def test_serving_a_ticket_from_call_to_finish(api, clock):
    sign_in(api)
    issued = api.post("/tickets", "device:K1", {"queue": "B"}).get_json()
    clock.advance(minutes=4)
    called = api.post("/windows/3/call-next", "clerk3")
    assert called.status_code == 200
    body = called.get_json()
    assert body["ticket"]["number"] == "B001" and body["ticket"]["status"] == "called"
    assert body["ticket"]["window"] == {"number": 3, "name": "3号出入境窗口", "name_en": "Exit and Entry"}
    assert body["window"]["state"] == "called" and body["window"]["current"]["number"] == "B001"
    followed = api.get(f"/tickets/{issued['id']}").get_json()
    assert followed["status"] == "called" and followed["window"]["number"] == 3

    second = api.post("/windows/3/call-next", "clerk3")
    assert second.status_code == 409
    assert "still has ticket B001 (called)" in second.get_json()["message"]

    assert api.post("/windows/3/recall", "clerk3").get_json()["ticket"]["status"] == "called"
    assert api.post("/windows/3/start", "clerk3").get_json()["window"]["state"] == "serving"
    finished = api.post("/windows/3/finish", "clerk3", {"outcome": "supplement"})
    assert finished.get_json()["acted_on"]["status"] == "finished"
    assert finished.get_json()["window"]["state"] == "idle"
    assert api.post("/windows/3/call-next", "clerk3").status_code == 204


def test_finish_outcome_is_validated(api):
    sign_in(api)
    api.post("/tickets", "guide", {"queue": "B"})
    api.post("/windows/3/call-next", "clerk3")
    api.post("/windows/3/start", "clerk3")
    response = api.post("/windows/3/finish", "clerk3", {"outcome": "done-ish"})
    assert response.status_code == 422 and response.get_json()["fields"][0]["field"] == "outcome"


def test_a_clerk_acts_only_at_their_own_window(api):
    sign_in(api, "clerk3", 3)
    sign_in(api, "clerk4", 4)
    refused = api.post("/windows/3/call-next", "clerk4")
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "you are not signed in to window 3"
    assert api.post("/windows/3/call-next", "manager").status_code == 204
    assert api.post("/windows/3/call-next", "guide").status_code == 403
    assert api.post("/windows/3/call-next", "device:K1").status_code == 403
    assert api.post("/windows/3/call-next").status_code == 401


def test_no_show_requeue_transfer_and_call_a_number(api):
    sign_in(api, "clerk1", 1)
    sign_in(api, "clerk5", 5)
    for _ in range(3):
        api.post("/tickets", "guide", {"queue": "A"})
    api.post("/windows/1/call-next", "clerk1")
    absent = api.post("/windows/1/no-show", "clerk1", {"requeue": True}).get_json()
    assert absent["acted_on"]["number"] == "A001" and absent["acted_on"]["status"] == "waiting"
    assert absent["window"]["state"] == "idle"

    chosen = api.post("/windows/1/call", "clerk1", {"number": "A003"}).get_json()
    assert chosen["ticket"]["number"] == "A003"
    moved = api.post("/windows/1/transfer", "clerk1", {"queue": "D", "note": "需先办社保"}).get_json()
    assert moved["acted_on"]["queue"] == "D" and moved["acted_on"]["status"] == "waiting"
    assert api.post("/windows/5/call-next", "clerk5").get_json()["ticket"]["number"] == "A003"
    missing = api.post("/windows/1/call", "clerk1", {"number": "A099"})
    assert missing.status_code == 404 and missing.get_json()["message"] == "no waiting ticket A099 today"
    both = api.post("/windows/1/transfer", "clerk1", {"queue": "D", "window": 2})
    assert both.status_code == 422


def test_pause_with_reason_and_resume(api):
    sign_in(api)
    paused = api.post("/windows/3/pause", "clerk3", {"reason": "会议"}).get_json()["window"]
    assert (paused["state"], paused["pause_reason"]) == ("paused", "会议")
    assert api.post("/windows/3/pause", "clerk3", {"reason": ""}).status_code == 422
    refused = api.post("/windows/3/call-next", "clerk3")
    assert (
        refused.status_code == 409 and refused.get_json()["message"] == "window 3 is paused: resume it first"
    )
    assert api.post("/windows/3/resume", "clerk3").get_json()["window"]["state"] == "idle"
    closed = api.post("/windows/3/sign-out", "clerk3").get_json()["window"]
    assert closed["state"] == "closed" and closed["clerk"] is None


def test_a_colleague_takes_over_a_window(api):
    sign_in(api, "clerk3", 3)
    body = sign_in(api, "clerk4", 3)
    assert body["window"]["clerk"]["name"] == "clerk4名"
    assert api.post("/windows/3/call-next", "clerk3").status_code == 403


def test_unknown_window_is_404(api):
    assert api.post("/windows/99/sign-in", "clerk1").get_json() == {
        "error": "not_found",
        "message": "no window 99",
        "text": "未找到相关内容，可能已被删除，或号码有误。",
    }


def test_browser_session_needs_csrf_for_api_writes(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    wrong = client.post("/login", data={"username": "clerk3", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    ok = client.post("/login", data={"username": "clerk3", "password": "password-123", "csrf_token": token})
    assert ok.status_code == 302
    no_token = client.post("/api/v1/windows/3/sign-in")
    assert no_token.status_code == 400 and no_token.get_json()["error"] == "csrf"
    meta = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    signed = client.post("/api/v1/windows/3/sign-in", headers={"X-CSRFToken": meta})
    assert signed.status_code == 200 and signed.get_json()["window"]["clerk"]["name"] == "clerk3名"


def test_the_panel_shows_the_ticket_the_queues_and_the_clerks_day(api, clock):
    sign_in(api, "clerk1", 1)  # window 1 serves queue A
    first = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    clock.advance(minutes=3)
    api.post("/tickets", "device:K1", {"queue": "A"})
    clock.advance(minutes=2)
    panel = api.get("/windows/1/panel", "clerk1").get_json()
    loads = {q["code"]: q for q in panel["queues"]}
    assert loads["A"]["waiting"] == 2 and loads["A"]["oldest_issued_at"] == first["issued_at"]
    assert panel["ticket"] is None and panel["today"] == {"served": 0, "average_handle_seconds": None}

    api.post("/windows/1/call-next", "clerk1")
    api.post("/windows/1/start", "clerk1")
    clock.advance(minutes=4)
    api.post("/windows/1/finish", "clerk1", {"outcome": "completed"})
    api.post("/windows/1/call-next", "clerk1")
    api.post("/windows/1/start", "clerk1")
    clock.advance(minutes=6)
    api.post("/windows/1/finish", "clerk1", {"outcome": "consultation"})
    panel = api.get("/windows/1/panel", "clerk1").get_json()
    assert panel["today"] == {"served": 2, "average_handle_seconds": 300}
    assert {q["code"]: q["waiting"] for q in panel["queues"]}["A"] == 0


def test_a_transferred_ticket_arrives_with_its_note(api):
    sign_in(api, "clerk3", 3)
    sign_in(api, "clerk4", 4)
    api.post("/tickets", "device:K1", {"queue": "B"})
    api.post("/windows/3/call-next", "clerk3")
    moved = api.post("/windows/3/transfer", "clerk3", {"window": 4, "note": "需补充户口簿，请帮助核验"})
    assert moved.status_code == 200 and moved.get_json()["window"]["state"] == "idle"
    assert api.get("/windows/4/panel", "clerk4").get_json()["waiting_here"] == 1
    api.post("/windows/4/call-next", "clerk4")
    panel = api.get("/windows/4/panel", "clerk4").get_json()
    assert panel["ticket"]["number"] == "B001" and panel["transfer_note"] == "需补充户口簿，请帮助核验"


def test_a_windows_caller_calls_in_the_name_of_its_clerk(api):
    assert api.post("/windows/3/call-next", "device:C3").get_json()["message"] == (
        "window 3 is closed: a clerk must sign in first"
    )
    sign_in(api, "clerk3", 3)
    api.post("/tickets", "device:K1", {"queue": "B"})
    called = api.post("/windows/3/call-next", "device:C3")
    assert called.status_code == 200 and called.get_json()["ticket"]["number"] == "B001"
    assert api.get("/windows/3/panel", "device:C3").get_json()["window"]["clerk"]["name"] == "clerk3名"
    refused = api.post("/windows/4/call-next", "device:C3")
    assert refused.status_code == 403 and refused.get_json()["message"] == "C3 is not the caller of window 4"
    assert api.post("/windows/3/sign-in", "device:C3").status_code == 403
    assert api.post("/tickets", "device:C3", {"queue": "B"}).status_code == 403
    # The evaluation keypad faces the citizen: it cannot call.
    assert api.post("/windows/3/call-next", "device:P3").status_code == 403


def test_a_manager_resets_a_window_stuck_on_a_cancelled_ticket(api, app):
    """What a race once left (the window's ticket cancelled under it): every action at the
    window answers 409 until a manager resets it, with a reason, from the dashboard."""
    from sqlalchemy import text

    sign_in(api)
    issued = api.post("/tickets", "device:K1", {"queue": "B"}).get_json()
    api.post("/windows/3/call-next", "clerk3")
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(
            text("UPDATE ticket SET status = 'cancelled' WHERE id = :id"), {"id": issued["id"]}
        )
    assert api.post("/windows/3/sign-out", "clerk3").status_code == 409

    assert api.post("/windows/3/reset", "clerk3", {"reason": "卡号"}).status_code == 403
    assert api.post("/windows/3/reset", "manager", {"reason": ""}).status_code == 422
    reset = api.post("/windows/3/reset", "manager", {"reason": "叫号与取消同时发生"})
    assert reset.status_code == 200, reset.get_json()
    assert reset.get_json()["window"]["state"] == "idle" and reset.get_json()["ticket"] is None
    again = api.post("/windows/3/reset", "manager", {"reason": "再次"})
    assert again.status_code == 409 and again.get_json()["message"] == "window 3 has no ticket to clear"
    assert api.post("/windows/3/sign-out", "clerk3").status_code == 200
