"""The alarms over the API: managers list and acknowledge them, supervisors only read, and the
audit trail names who acknowledged."""

from __future__ import annotations

import time

from sqlalchemy import select

from hallq.sweeper import Sweeper
from queue_core.models import AuditEntry
from tests.conftest import SocketClient


def paused_too_long(api, app, clock) -> dict:
    """Window 3 paused 21 minutes (the demo hall's threshold is 20): its alarm, as listed."""
    assert api.post("/windows/3/sign-in", "clerk3").status_code == 200
    assert api.post("/windows/3/pause", "clerk3", {"reason": "会议"}).status_code == 200
    clock.advance(minutes=21)
    assert Sweeper(app.extensions["hallq"].db, "qingshan").scan_alarms() == 1
    (alarm,) = [a for a in api.get("/alarms?open=true", "manager").get_json() if a["subject"] == "window:3"]
    return alarm


def test_a_manager_lists_and_acknowledges_an_alarm(api, app, clock):
    assert api.get("/alarms", "manager").get_json() == []
    alarm = paused_too_long(api, app, clock)
    assert (alarm["kind"], alarm["label"], alarm["state"]) == ("pause_too_long", "3号出入境窗口", "open")
    assert alarm["message"] == "3号出入境窗口暂停（会议）已 21 分钟"
    assert alarm["detail"]["reason"] == "会议" and alarm["detail"]["clerk"] == "clerk3名"
    assert alarm["acknowledged_at"] is None and alarm["cleared_at"] is None

    done = api.post(f"/alarms/{alarm['id']}/acknowledge", "manager")
    assert done.status_code == 200, done.get_json()
    acknowledged = done.get_json()
    assert (acknowledged["state"], acknowledged["acknowledged_by"]) == ("acknowledged", "manager名")
    again = api.post(f"/alarms/{alarm['id']}/acknowledge", "admin")
    assert again.status_code == 409
    assert again.get_json()["message"] == f"alarm {alarm['id']} was already acknowledged by manager名"
    assert api.post("/alarms/9999/acknowledge", "manager").status_code == 404

    with app.extensions["hallq"].db.read() as uow:
        entry = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor_id, entry.action) == ("manager", "api.acknowledge_alarm")
    assert entry.detail["events"][0]["event"] == "alarm"

    # Resumed: cleared, and kept (acknowledged) in the full list but not among the open ones.
    assert api.post("/windows/3/resume", "clerk3").status_code == 200
    assert Sweeper(app.extensions["hallq"].db, "qingshan").scan_alarms() == 1
    assert [a["subject"] for a in api.get("/alarms?open=true", "manager").get_json()] == []
    (kept,) = api.get("/alarms", "manager").get_json()
    assert (kept["state"], kept["acknowledged_by"]) == ("cleared", "manager名")


def test_supervisors_read_and_others_may_not(api, app, clock):
    alarm = paused_too_long(api, app, clock)
    assert api.get("/alarms", "supervisor").get_json()[0]["id"] == alarm["id"]
    assert api.post(f"/alarms/{alarm['id']}/acknowledge", "supervisor").status_code == 403
    assert api.get("/alarms", "clerk3").status_code == 403
    assert api.get("/alarms").status_code == 401
    assert api.get("/alarms?limit=0", "manager").status_code == 422


def dashboard_client(app, url: str, who: str | None) -> SocketClient:
    """A Socket.IO client of /hall whose handshake carries the login session of `who`."""
    cookie = None
    if who:
        client = app.test_client()
        app.config["WTF_CSRF_ENABLED"] = False
        assert client.post("/login", data={"username": who, "password": "password-123"}).status_code == 302
        cookie = f"session={client.get_cookie('session').value}"
    return SocketClient(url, cookie=cookie)


def test_the_dashboard_subscribes_with_a_login_session_and_gets_the_whole_hall(api, app, clock, served):
    refused = dashboard_client(app, served, "clerk3").subscribe({"dashboard": True})
    assert refused == {"ok": False, "error": "the dashboard needs a manager's or admin's token"}
    assert dashboard_client(app, served, None).subscribe({"dashboard": True})["ok"] is False
    paused_too_long(api, app, clock)
    issued = api.post("/tickets", "device:K1", {"queue": "H"}).get_json()
    issued_at = clock.now().isoformat()  # as the events say it

    for who in ("manager", "supervisor"):
        ack = dashboard_client(app, served, who).subscribe({"dashboard": True})
        assert (ack["ok"], ack["room"]) == (True, "dashboard")
    state = ack["state"]
    queue_h = next(q for q in state["queues"] if q["queue"] == "H")
    assert (queue_h["waiting"], queue_h["oldest_issued_at"], queue_h["windows"]) == (
        1,
        issued_at,
        [2, 7, 14, 15, 16],
    )
    window3 = next(w for w in state["windows"] if w["number"] == 3)
    assert (window3["state"], window3["pause_reason"], window3["clerk"]["name"]) == (
        "paused",
        "会议",
        "clerk3名",
    )
    assert window3["served_today"] == 0 and window3["queues"] == ["B"]
    assert state["totals"] | {} == {
        "issued": 1, "served": 0, "no_show": 0, "waiting": 1, "serving": 0, "waited": 0,
        "wait_seconds_sum": 0, "mean_wait_seconds": None,
    }  # fmt: skip
    assert state["waiting_since"] == {str(issued["id"]): issued_at}
    assert [a["kind"] for a in state["alarms"]] == ["pause_too_long"]
    charts = state["charts"]
    assert charts["slots"][0] == "08:00" and charts["slot_minutes"] == 15
    assert sum(charts["arrivals"]) == 1 and charts["usual_arrivals"] is None
    assert max(v or 0 for v in charts["waiting"]["H"]) == 1


def test_the_dashboard_hears_each_change(api, app, clock, served):
    dashboard = dashboard_client(app, served, "manager")
    assert dashboard.subscribe({"dashboard": True})["ok"]
    dashboard.take()
    paused_too_long(api, app, clock)
    deadline = time.monotonic() + 5
    while "alarm" not in (names := [name for name, _ in dashboard.heard]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "window_state" in names and "alarm" in names


def test_a_kiosks_call_for_help_is_an_alarm_until_someone_answers_it(api):
    first = api.post("/help", "device:K1", {})
    assert first.status_code == 201
    alarm = first.get_json()
    assert (alarm["kind"], alarm["label"], alarm["message"]) == (
        "help_requested",
        "大厅入口取号机",
        "大厅入口取号机（K1）有群众求助，请引导员前往协助",
    )
    again = api.post("/help", "device:K1", {})  # tapped again while nobody has come
    assert again.status_code == 200 and again.get_json()["id"] == alarm["id"]
    assert api.post("/help", "clerk1", {}).status_code == 403
    assert api.post(f"/alarms/{alarm['id']}/acknowledge", "manager").status_code == 200
    assert [
        a for a in api.get("/alarms?open=true", "manager").get_json() if a["kind"] == "help_requested"
    ] == []
    assert api.post("/help", "device:K1", {}).status_code == 201  # a new call


def test_tickets_over_target_in_one_queue_are_one_incident_acknowledged_together(api, app, clock):
    """Five tickets of queue B over its 30-minute target are five alarms of one incident,
    "queue:B"; one acknowledgement takes them all, and a second finds none left. 全部确认 (no
    incident) takes every open alarm of the kind."""
    for _ in range(5):
        assert api.post("/tickets", "device:K1", {"queue": "B"}).status_code == 201
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    clock.advance(minutes=31)
    Sweeper(app.extensions["hallq"].db, "qingshan").scan_alarms()
    waits = [a for a in api.get("/alarms?open=true", "manager").get_json() if a["kind"] == "wait_over_target"]
    assert sorted(a["incident"] for a in waits) == ["queue:A"] + ["queue:B"] * 5
    assert {a["subject"] for a in waits if a["incident"] == "queue:B"} != {"queue:B"}  # each its ticket

    done = api.post("/alarms/acknowledge", "manager", {"kind": "wait_over_target", "incident": "queue:B"})
    assert done.status_code == 200
    acknowledged = done.get_json()
    assert len(acknowledged) == 5 and {a["state"] for a in acknowledged} == {"acknowledged"}
    assert {a["acknowledged_by"] for a in acknowledged} == {"manager名"}
    again = api.post("/alarms/acknowledge", "admin", {"kind": "wait_over_target", "incident": "queue:B"})
    assert again.get_json() == []
    states = {a["incident"]: a["state"] for a in api.get("/alarms?open=true", "manager").get_json()
              if a["kind"] == "wait_over_target"}  # fmt: skip
    assert states == {"queue:A": "open", "queue:B": "acknowledged"}

    every = api.post("/alarms/acknowledge", "manager", {"kind": "wait_over_target"}).get_json()
    assert [a["incident"] for a in every] == ["queue:A"]
    bad = api.post("/alarms/acknowledge", "manager", {"kind": "weather"})
    assert bad.status_code == 422
    assert api.post("/alarms/acknowledge", "clerk3", {"kind": "wait_over_target"}).status_code == 403
