"""The window's written notices through the API: numbered per kind and year, for the citizen at
the window only, printed in Chinese text mode on the window's notice printer (hall.toml's
notice_printer: the demo's window 4 prints on kiosk K1's), and kept with the ticket."""

from __future__ import annotations

import time

from tests.api.test_printing import paper

MARRIAGE = "结婚登记"


def at_window_4(api) -> tuple[dict, dict]:
    """A marriage registration ticket served at window 4 by clerk4; the item's disclosures."""
    item = api.get(f"/items?q={MARRIAGE}").get_json()[0]
    ticket = api.post("/tickets", "guide", {"item_id": item["id"]}).get_json()
    api.post("/windows/4/sign-in", "clerk4")
    assert api.post("/windows/4/call", "clerk4", {"number": ticket["number"]}).status_code == 200
    api.post("/windows/4/start", "clerk4")
    return ticket, api.get(f"/items/{item['id']}").get_json()


def bare(text: str) -> str:
    """Without the spaces and line breaks that wrapping puts into a long line."""
    return "".join(text.split())


def printed(app, text: str, name: str = "K1") -> str:
    """The paper once `text` is on it, bare."""
    for _ in range(100):
        found = bare(paper(app, name))
        if bare(text) in found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not printed on {name}: {paper(app, name)}")


def test_a_one_time_notice_names_the_ticked_materials_and_is_numbered(api, app):
    ticket, item = at_window_4(api)
    missing = item["materials"][:2]
    answer = api.post(
        "/windows/4/written-notices", "clerk4", {"kind": "missing_materials", "materials": missing}
    )
    assert answer.status_code == 201, answer.get_json()
    notice = answer.get_json()
    assert notice["number"] == "告知〔2026〕第 0001 号" and notice["title"] == "一次性告知书"
    assert notice["materials"] == missing and notice["ticket_number"] == ticket["number"]
    assert (notice["clerk_name"], notice["clerk_badge"], notice["window"]) == ("clerk4名", "0007", 4)
    on_paper = printed(app, "告知〔2026〕第 0001 号")
    for text in (
        *missing,
        "一次性告知书",
        ticket["number"],
        MARRIAGE,
        "clerk4名（工号0007）",
        "2026年11月23日",
    ):
        assert bare(text) in on_paper
    again = api.post(
        "/windows/4/written-notices", "clerk4", {"kind": "missing_materials", "materials": missing[:1]}
    )
    assert again.get_json()["number"] == "告知〔2026〕第 0002 号"


def test_a_refusal_prints_its_reason_and_an_acceptance_its_completion_date(api, app):
    _, item = at_window_4(api)
    reason = item["conditions"][0]
    refusal = api.post(
        "/windows/4/written-notices", "clerk4", {"kind": "refusal", "reason": reason}
    ).get_json()
    assert refusal["number"] == "不予受理〔2026〕第 0001 号" and refusal["reason"] == reason
    assert "不予受理告知书" in printed(app, reason)
    accepted = api.post("/windows/4/written-notices", "clerk4", {"kind": "acceptance"}).get_json()
    assert accepted["number"] == "受理〔2026〕第 0001 号"
    assert accepted["completion_date"] is not None
    assert "受理通知单" in printed(app, "承诺办结日期")


def test_a_notice_needs_a_citizen_at_the_window_and_what_it_names(api):
    api.post("/windows/4/sign-in", "clerk4")
    nobody = api.post("/windows/4/written-notices", "clerk4", {"kind": "acceptance"})
    assert nobody.status_code == 409 and nobody.get_json()["text"]
    at_window_4(api)
    for body in (
        {"kind": "missing_materials", "materials": []},
        {"kind": "missing_materials", "materials": ["户口本复印件（伪造）"]},
        {"kind": "refusal", "reason": " "},
    ):
        refused = api.post("/windows/4/written-notices", "clerk4", body)
        assert refused.status_code == 422, body
    assert api.post("/windows/4/written-notices", "clerk5", {"kind": "acceptance"}).status_code == 403


def test_the_statistics_count_the_notices_and_the_one_time_rate(api):
    _, item = at_window_4(api)
    api.post(
        "/windows/4/written-notices",
        "clerk4",
        {"kind": "missing_materials", "materials": item["materials"][:1]},
    )
    api.post("/windows/4/finish", "clerk4", {"outcome": "supplement"})
    untold = api.post("/tickets", "guide", {"item_id": item["id"]}).get_json()  # finished 补正 without one
    api.post("/windows/4/call", "clerk4", {"number": untold["number"]})
    api.post("/windows/4/start", "clerk4")
    api.post("/windows/4/finish", "clerk4", {"outcome": "supplement"})

    summary = api.get("/stats/summary?group_by=item", "manager").get_json()
    assert summary["notices"] == {
        "one_time_notices": 1,
        "refusal_notices": 0,
        "acceptance_notices": 0,
        "supplement_services": 2,
        "told_in_writing": 1,
        "one_time_rate": 0.5,
    }
    marriage = next(g for g in summary["groups"] if g["item"] == item["code"])
    assert marriage["notices"]["one_time_notices"] == 1 and marriage["notices"]["one_time_rate"] == 0.5
    assert all(g["notices"]["one_time_notices"] == 0 for g in summary["groups"] if g is not marriage)
