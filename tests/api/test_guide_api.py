"""The guides' API: answering a kiosk's 求助 (live on the guides' socket), a ticket issued by a
guide naming them in its log, looking a ticket up, and requeueing an absent one."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from queue_core.models import AuditEntry
from tests.api.test_alarms_api import dashboard_client


def heard_until(client, name: str) -> list[tuple[str, Any]]:
    deadline = time.monotonic() + 5
    while name not in [n for n, _ in client.heard] and time.monotonic() < deadline:
        time.sleep(0.02)
    return client.take()


def test_a_guide_hears_a_help_call_and_answers_it_for_everyone(api, app, served):
    refused = dashboard_client(app, served, "clerk3").subscribe({"alarms": "help_requested"})
    assert refused["ok"] is False
    assert dashboard_client(app, served, "guide").subscribe({"alarms": "pause_too_long"})["ok"] is False
    guide = dashboard_client(app, served, "guide")
    assert guide.subscribe({"alarms": "help_requested"})["state"] == {"alarms": []}
    manager = dashboard_client(app, served, "manager")
    assert manager.subscribe({"dashboard": True})["ok"]
    manager.take()

    call = api.post("/help", "device:K1", {}).get_json()
    (heard,) = [p for n, p in heard_until(guide, "alarm") if n == "alarm"]
    assert (heard["id"], heard["state"], heard["detail"]["kiosk_name"]) == (
        call["id"],
        "open",
        "大厅入口取号机",
    )
    again = dashboard_client(app, served, "guide").subscribe({"alarms": "help_requested"})
    assert [a["id"] for a in again["state"]["alarms"]] == [call["id"]]

    answered = api.post(f"/help/{call['id']}/answer", "guide")
    assert answered.status_code == 200, answered.get_json()
    assert (answered.get_json()["state"], answered.get_json()["acknowledged_by"]) == ("cleared", "guide名")
    heard_after = [p for n, p in heard_until(guide, "alarm") if n == "alarm"]
    assert heard_after[-1]["state"] == "cleared"
    on_dashboard = [p for n, p in heard_until(manager, "alarm") if n == "alarm"]
    assert on_dashboard[-1]["state"] == "cleared"
    assert api.post(f"/help/{call['id']}/answer", "guide").status_code == 409
    with app.extensions["hallq"].db.read() as uow:
        entry = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor_id, entry.action) == ("guide", "api.answer_help")


def test_a_guide_answers_help_calls_only(api, app, clock):
    from tests.api.test_alarms_api import paused_too_long

    alarm = paused_too_long(api, app, clock)
    assert api.post(f"/help/{alarm['id']}/answer", "guide").status_code == 404
    assert api.post(f"/alarms/{alarm['id']}/acknowledge", "guide").status_code == 403


def test_a_guides_priority_ticket_names_the_guide_and_is_found_by_number(api):
    item = api.get("/items?q=结婚登记").get_json()[0]
    issued = api.post("/tickets", "guide", {"item_id": item["id"], "priority": "senior", "kiosk": "K1"})
    assert issued.status_code == 201, issued.get_json()
    ticket = issued.get_json()
    assert ticket["priority"] == "senior" and ticket["print"]["queued"]

    found = api.get(f"/tickets/lookup?number={ticket['number'].lower()}", "guide").get_json()
    assert (found["id"], found["status"], found["may_cancel"], found["may_requeue"]) == (
        ticket["id"], "waiting", True, False,
    )  # fmt: skip
    (issue,) = found["history"]
    assert (issue["kind"], issue["staff"], issue["badge"]) == ("issued", "guide名", "0002")
    assert api.get(f"/tickets/lookup?key={ticket['key']}", "guide").get_json()["id"] == ticket["id"]
    assert api.get("/tickets/lookup?number=Z999", "guide").status_code == 404
    assert api.get("/tickets/lookup?number=A1&key=abcdefgh", "guide").status_code == 422
    assert api.get(f"/tickets/lookup?number={ticket['number']}", "clerk1").status_code == 403


def test_a_guide_puts_an_absent_ticket_back_once(api):
    ticket = api.post("/tickets", "guide", {"queue": "H"}).get_json()
    assert api.post(f"/tickets/{ticket['id']}/requeue", "guide").status_code == 409  # still waiting
    window = ticket["windows"][0]["number"]
    assert api.post(f"/windows/{window}/sign-in", f"clerk{window}").status_code == 200
    assert (
        api.post(f"/windows/{window}/call", f"clerk{window}", {"number": ticket["number"]}).status_code == 200
    )
    assert api.post(f"/windows/{window}/no-show", f"clerk{window}", {}).status_code == 200
    found = api.get(f"/tickets/lookup?number={ticket['number']}", "guide").get_json()
    assert (found["status"], found["may_cancel"], found["may_requeue"]) == ("no_show", False, True)

    assert api.post(f"/tickets/{ticket['id']}/requeue", "guide").status_code == 200
    found = api.get(f"/tickets/lookup?number={ticket['number']}", "guide").get_json()
    assert found["status"] == "waiting"
    assert [(s["kind"], s["staff"]) for s in found["history"]][-2:] == [
        ("no_show", f"clerk{window}名"),
        ("requeued", "guide名"),
    ]


def test_the_floor_plan_lights_the_kiosk_that_calls(api):
    import xml.etree.ElementTree as ET

    plan = ET.fromstring(api.client.get("/kiosk/map.svg?kiosk=K2&lit=4").data)
    lit = {e.get("id") for e in plan.iter() if "lit" in (e.get("class") or "").split()}
    assert lit == {"kiosk-K2", "window-4"}
    unknown = ET.fromstring(api.client.get("/kiosk/map.svg?kiosk=K9").data)
    assert not [e for e in unknown.iter() if "lit" in (e.get("class") or "").split()]
