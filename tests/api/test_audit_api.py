"""The audit trail through /api/v1/audit: newest first, filtered, for those who oversee the hall."""

from __future__ import annotations

import re
from itertools import pairwise

from sqlalchemy import select

from hallq.anchoring import audit_anchoring
from queue_core.audit import GENESIS
from queue_core.audit_anchors import Anchoring
from queue_core.models import AuditEntry, Hall
from tests.tampering import cut_tail, tampering


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

    # The page walks on from the newest entry it found holding: a clerk resumes, and someone
    # edits that new entry in the database; the next view names it in red.
    api.post("/windows/3/resume", "clerk3")
    with tampering(app.extensions["hallq"].db) as uow:
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "api.resume")).one()
        entry.address = "10.6.6.6"
    broken = page("/manager/audit", "manager").get_data(as_text=True)
    assert 'class="chain broken"' in broken and "api.resume" in broken
    assert "它与自身的哈希值不符：内容被改动过" in broken
    assert f'<tr data-entry="{entry.id}" class="unverified">' in broken


def test_the_page_compares_the_newest_signed_checkpoint_with_the_chain(api, app):
    hallq = app.extensions["hallq"]
    anchoring = audit_anchoring(hallq.settings, hallq.db, hallq.hall_code)

    def chain_and_anchor() -> dict[str, tuple[str, str]]:
        html = api.client.get(
            "/manager/audit", headers={"Authorization": f"Bearer {api.token('supervisor')}"}
        )
        page = html.get_data(as_text=True)
        found = re.findall(
            r'<p class="chain (\w+)"[^>]*data-testid="(chain|anchor)">\s*(.*?)\s*</p>', page, re.S
        )
        return {testid: (kind, re.sub(r"\s+", " ", text)) for kind, testid, text in found}

    api.post("/windows/3/sign-in", "clerk3")
    assert chain_and_anchor()["anchor"][0] == "unanchored"
    assert "尚无签名检查点" in chain_and_anchor()["anchor"][1]

    api.post("/windows/3/pause", "clerk3", {"reason": "会议"})
    checkpoint = anchoring.write("periodic")
    api.post("/windows/3/resume", "clerk3")
    kind, text = chain_and_anchor()["anchor"]
    assert (
        kind == "holds"
        and f"记录了 {checkpoint.entries} 条记录（至第 {checkpoint.last_id} 条）：哈希链与之一致" in text
    )
    assert "其后的 1 条新记录尚未锚定" in text

    cut_tail(hallq.db, uow_hall_id(hallq), keep=checkpoint.entries - 1)  # the pause and resume gone
    kind, text = chain_and_anchor()["anchor"]
    assert kind == "broken" and "条之后的记录缺失：" in text and f"记录了 {checkpoint.entries} 条记录" in text

    # A checkpoint written with another key (the intruder's) to match the shortened chain.
    Anchoring(hallq.db, hallq.hall_code, b"k" * 32, hallq.settings.audit_anchors_file()).write("command")
    kind, text = chain_and_anchor()["anchor"]
    assert kind == "broken" and "最新检查点的签名无效" in text


def uow_hall_id(hallq) -> int:
    with hallq.db.read() as uow:
        return uow.session.scalar(select(Hall.id))
