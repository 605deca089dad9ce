"""Pairing (配对): a manager's six-digit code gives a device its token once, within 10 minutes,
and guessing is cut short."""

from __future__ import annotations

from datetime import timedelta


def make_code(api, device: str) -> dict:
    answer = api.post(f"/devices/{device}/pairing", "manager")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def pair(api, code: str, sent_by: str | None = "browser"):
    return api.client.post("/api/v1/pair", json={"code": code, "sent_by": sent_by})


def test_a_code_gives_the_device_its_token_once(api):
    made = make_code(api, "K1")
    assert len(made["code"]) == 6 and made["code"].isdigit() and made["kind"] == "kiosk"
    assert made["pair_url"].endswith(f"/pair?code={made['code']}") and made["qr"].startswith("data:image/svg")
    answer = pair(api, made["code"])
    assert answer.status_code == 201
    paired = answer.get_json()
    assert (paired["device"], paired["kind"]) == ("K1", "kiosk")
    assert paired["page"].endswith(f"/kiosk/K1?token={paired['token']}")
    printers = api.client.get("/api/v1/printers", headers={"Authorization": f"Bearer {paired['token']}"})
    assert {p["kiosk"] for p in printers.get_json()} == {"K1"}  # the kiosk's own token
    again = pair(api, made["code"])
    assert again.status_code == 404 and "wrong, used" in again.get_json()["message"]


def test_a_code_expires_after_ten_minutes_and_a_newer_one_replaces_it(api, clock):
    first = make_code(api, "P3")
    second = make_code(api, "P3")
    assert pair(api, first["code"]).status_code == 404  # replaced by the newer one
    clock.set(clock.now() + timedelta(minutes=10, seconds=1))
    assert pair(api, second["code"]).status_code == 404


def test_a_revoked_code_pairs_nothing(api):
    made = make_code(api, "K2")
    assert api.request("DELETE", f"/pairings/{made['id']}", "manager").status_code == 204
    assert pair(api, made["code"]).status_code == 404


def test_a_callers_code_sent_from_a_browser_is_refused_and_stays_usable(api):
    made = make_code(api, "C3")
    refused = pair(api, made["code"])
    assert refused.status_code == 422 and "not a screen" in refused.get_json()["message"]
    assert pair(api, made["code"], sent_by=None).status_code == 201


def test_guessing_is_cut_short(api):
    made = make_code(api, "K1")
    wrong = "000000" if made["code"] != "000000" else "111111"
    tries = [pair(api, wrong).status_code for _ in range(5)]
    assert tries == [404] * 5
    blocked = pair(api, made["code"])  # even the right code, within the minute
    assert blocked.status_code == 429


def test_only_managers_make_codes_and_the_audit_keeps_no_code(api):
    assert api.post("/devices/K1/pairing", "clerk1").status_code == 403
    assert api.client.post("/api/v1/devices/K1/pairing").status_code == 401
    made = make_code(api, "K1")
    assert pair(api, made["code"]).status_code == 201
    entries = api.get("/audit", "manager").get_json()
    actions = {e["action"] for e in entries if e["detail"].get("device") == "K1"}
    assert {"api.make_pairing", "api.pair"} <= actions
    assert all(made["code"] not in str(e["detail"]) for e in entries)  # the detail says what it did
