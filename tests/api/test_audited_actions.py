"""The audit trail of a hall at work: API actions, ratings and logins are entries with who,
from where and what; refused actions leave none."""

from __future__ import annotations

import time

from sqlalchemy import select

from queue_core.models import AuditEntry


def trail(app) -> list[AuditEntry]:
    with app.extensions["hallq"].db.read() as uow:
        return list(uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_actions_of_people_devices_and_citizens_are_kept(api, app):
    api.post("/windows/3/sign-in", "clerk3")
    issued = api.post(
        "/tickets", "device:K1", {"queue": "B"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    ).get_json()
    for step in ("call-next", "start"):
        api.post(f"/windows/3/{step}", "clerk3")
    api.post("/windows/3/finish", "clerk3", {"outcome": "completed"})
    api.post(f"/tickets/by-key/{issued['key']}/evaluation", None, {"score": 5})
    api.post("/windows/3/call-next", "clerk4")  # refused (not their window): nothing happened, no entry

    # The server's own work is kept too: here the kiosk's printer reporting the ticket printed
    # (from its own thread, so it may come a moment later).
    deadline = time.monotonic() + 10
    while not any(e.actor_kind == "system" for e in trail(app)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e.action for e in trail(app) if e.actor_kind == "system"] == ["printing.job_done"]
    entries = [e for e in trail(app) if e.actor_kind != "system"]
    assert [(e.actor_kind, e.actor_id, e.action) for e in entries] == [
        ("staff", "clerk3", "api.sign_in"),
        ("kiosk", "K1", "api.create_ticket"),
        ("staff", "clerk3", "api.call_next"),
        ("staff", "clerk3", "api.start"),
        ("staff", "clerk3", "api.finish"),
        ("citizen", "", "api.rate_by_key"),
    ]
    ticket = entries[1]
    assert ticket.address == "10.1.2.3" and ticket.subject == "/api/v1/tickets"
    assert ticket.detail["events"][0]["number"] == issued["number"]
    finish = {e["event"] for e in entries[4].detail["events"]}
    assert finish == {"ticket_changed", "evaluation_request"}
    assert entries[5].detail["events"][0]["reason"] == "rated"


def test_logins_and_failed_attempts_are_kept(app, password_hash):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"username": "manager", "password": "wrong"})
    client.post("/login", data={"username": "manager", "password": "password-123"})
    entries = trail(app)
    assert [(e.actor_kind, e.actor_id, e.action, e.detail["result"]) for e in entries] == [
        ("citizen", "", "auth.login", "refused"),
        ("staff", "manager", "auth.login", "ok"),
    ]
    assert entries[0].detail["username"] == "manager"


def test_five_failed_logins_lock_the_account_for_a_while(app):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    for _ in range(5):
        assert client.post("/login", data={"username": "manager", "password": "guess"}).status_code == 401
    locked = client.post("/login", data={"username": "manager", "password": "password-123"})
    assert locked.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试。" in locked.get_data(as_text=True)
    # Another account from elsewhere is not locked by it.
    other = client.post(
        "/login",
        data={"username": "admin", "password": "password-123"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 302
    results = [e.detail["result"] for e in trail(app) if e.action == "auth.login"]
    assert results == ["refused"] * 5 + ["locked", "ok"]
