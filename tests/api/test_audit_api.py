"""The audit trail through /api/v1/audit: newest first, filtered, for those who oversee the hall."""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import select

from queue_core.audit import GENESIS
from queue_core.models import AuditEntry


def test_the_trail_newest_first_with_its_chain(api):
    api.post("/windows/3/sign-in", "clerk3")
    api.post("/tickets", "device:K1", {"queue": "B"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    api.post("/windows/3/call-next", "clerk3", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    found = api.get("/audit", "manager")
    assert found.status_code == 200
    entries = [e for e in found.get_json() if e["actor"]["kind"] != "system"]
    assert [(e["actor"]["kind"], e["actor"]["id"], e["action"]) for e in entries] == [
        ("staff", "clerk3", "api.call_next"),
        ("kiosk", "K1", "api.create_ticket"),
        ("staff", "clerk3", "api.sign_in"),
    ]
    call, ticket = entries[0], entries[1]
    assert (call["address"], call["subject"]) == ("10.9.8.7", "/api/v1/windows/3/call-next")
    assert call["actor"]["name"] and call["detail"]["events"]
    assert ticket["address"] == "10.1.2.3" and ticket["at"].endswith(("Z", "+00:00"))
    everything = found.get_json()
    # Each entry carries the hash of the one before it; the oldest the genesis hash.
    for newer, older in pairwise(everything):
        assert newer["prev_hash"] == older["hash"]
    assert everything[-1]["prev_hash"] == GENESIS


def test_filters_and_who_may_read(api, clock):
    api.post("/windows/3/sign-in", "clerk3")
    api.post("/windows/4/sign-in", "clerk4")
    api.post("/windows/3/call-next", "clerk3")
    by_clerk = api.get("/audit?actor=clerk4", "manager").get_json()
    assert [(e["actor"]["id"], e["action"]) for e in by_clerk] == [("clerk4", "api.sign_in")]
    signs = api.get("/audit?action=api.sign_in&limit=1", "manager").get_json()
    assert [e["actor"]["id"] for e in signs] == ["clerk4"]
    today = clock.now().date().isoformat()
    assert len(api.get(f"/audit?from={today}&to={today}", "manager").get_json()) >= 3
    assert api.get("/audit?from=2020-01-01&to=2020-01-31", "manager").get_json() == []
    assert api.get("/audit", "supervisor").status_code == 200
    assert api.get("/audit", "clerk3").status_code == 403
    assert api.get("/audit", "device:K1").status_code == 403
    assert api.get("/audit").status_code == 401
    assert api.get("/audit?from=2026-02-30", "manager").status_code == 422
    assert api.get("/audit?from=2026-11-30&to=2026-11-01", "manager").status_code == 422
    assert api.get("/audit?limit=0", "manager").status_code == 422


def test_the_pages_for_supervisors_and_a_broken_chain_in_red(api, app):
    api.post("/windows/3/sign-in", "clerk3")
    api.post("/windows/3/pause", "clerk3", {"reason": "会议"})

    def page(path: str, who: str):
        return api.client.get(path, headers={"Authorization": f"Bearer {api.token(who)}"})

    for path in ("/manager/reports?group_by=staff", "/manager/audit"):
        assert page(path, "supervisor").status_code == 200, path
        assert page(path, "clerk3").status_code == 403, path
    holds = page("/manager/audit", "supervisor").get_data(as_text=True)
    assert 'class="chain holds"' in holds and "api.pause" in holds
    assert 'class="chain broken"' not in holds

    # Someone edits the sign-in's entry in the database: the page names it in red.
    with app.extensions["hallq"].db.write() as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "api.sign_in")).one()
        entry.address = "10.6.6.6"
    broken = page("/manager/audit", "manager").get_data(as_text=True)
    assert 'class="chain broken"' in broken and "api.sign_in" in broken
    assert page("/manager/reports?from=2026-13-01", "manager").status_code == 200  # says why, in the page
