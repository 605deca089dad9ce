"""好差评 through /api/v1: the keypad rates the service just finished at its window, once;
the phone page may rate later with the ticket's key; staff cannot rate; bad ratings open cases."""

from __future__ import annotations

from sqlalchemy import select

from hallq.sweeper import Sweeper
from queue_core.models import ServiceItem


def item_id(app, code: str) -> int:
    with app.extensions["hallq"].db.read() as uow:
        return uow.session.scalar(select(ServiceItem.id).where(ServiceItem.code == code))


def serve(api, app, window=3, clerk="clerk3", item="CRJ001"):
    """A ticket for the item, called, served and finished at the window; its issue answer."""
    api.post(f"/windows/{window}/sign-in", clerk)
    issued = api.post("/tickets", "device:K1", {"item_id": item_id(app, item)}).get_json()
    for step in ("call-next", "start"):
        assert api.post(f"/windows/{window}/{step}", clerk).status_code == 200
    assert api.post(f"/windows/{window}/finish", clerk, {"outcome": "completed"}).status_code == 200
    return issued


def test_the_keypad_rates_the_service_just_finished_once(api, app, clock):
    issued = serve(api, app)
    clock.advance(seconds=20)
    rated = api.post("/windows/3/evaluation", "device:P3", {"score": 5})
    assert rated.status_code == 201, rated.get_json()
    body = rated.get_json()
    assert body["ticket"] == issued["number"] and body["window"] == 3
    assert body["clerk"] == {"name": "clerk3名", "badge": "0006"}
    assert body["item"] == "普通护照签发（首次申领）" and body["department"] == "青山县公安局出入境管理大队"
    assert (body["status"], body["score"], body["channel"], body["case_id"]) == ("rated", 5, "keypad", None)
    assert body["requested_at"] == "2026-11-23T01:00:00Z" and body["rated_at"] == "2026-11-23T01:00:20Z"

    again = api.post("/windows/3/evaluation", "device:P3", {"score": 1, "reasons": ["服务态度"]})
    assert again.status_code == 409
    assert again.get_json()["message"] == "no service awaits a rating at window 3"
    by_phone = api.post(
        f"/tickets/by-key/{issued['key']}/evaluation", None, {"score": 1, "comment": "再评一次"}
    )
    assert by_phone.status_code == 409
    assert (
        by_phone.get_json()["message"]
        == f"ticket {issued['number']} was already rated: one rating per service"
    )


def test_only_the_windows_keypad_rates_never_staff(api, app):
    issued = serve(api, app)
    for who in ("clerk3", "manager", "device:P4", "device:C3", "device:K1"):
        refused = api.post("/windows/3/evaluation", who, {"score": 5})
        assert refused.status_code == 403, who
    refused = api.post(f"/tickets/by-key/{issued['key']}/evaluation", "clerk3", {"score": 5})
    assert refused.status_code == 403 and "staff cannot rate" in refused.get_json()["message"]
    assert api.post("/windows/3/evaluation", None, {"score": 5}).status_code == 401
    assert api.post("/windows/3/evaluation", "device:P3", {"score": 5}).status_code == 201


def test_nothing_to_rate_before_a_finish(api):
    api.post("/windows/3/sign-in", "clerk3")
    refused = api.post("/windows/3/evaluation", "device:P3", {"score": 4})
    assert (
        refused.status_code == 409
        and "no service awaits a rating at window 3" in refused.get_json()["message"]
    )


def test_after_the_keypads_time_the_phone_page_may_rate_for_its_days(api, app, clock):
    issued = serve(api, app)
    key = issued["key"]
    assert api.get(f"/tickets/by-key/{key}/evaluation").get_json()["status"] == "awaiting"
    clock.advance(seconds=61)
    late = api.post("/windows/3/evaluation", "device:P3", {"score": 5})
    assert late.status_code == 409
    assert Sweeper(app.extensions["hallq"].db, "qingshan").sweep() == 1
    state = api.get(f"/tickets/by-key/{key}/evaluation").get_json()
    assert state["status"] == "unrated" and state["can_rate"] is True and state["reasons"][0] == "服务态度"

    clock.advance(days=2)
    rated = api.post(f"/tickets/by-key/{key}/evaluation", None, {"score": 4, "comment": "很耐心"})
    assert rated.status_code == 201
    assert (rated.get_json()["channel"], rated.get_json()["comment"]) == ("phone", "很耐心")
    assert api.get(f"/tickets/by-key/{key}/evaluation").get_json()["can_rate"] is False


def test_the_phone_page_closes_after_its_days(api, app, clock):
    issued = serve(api, app)
    clock.advance(days=7, seconds=1)
    late = api.post(f"/tickets/by-key/{issued['key']}/evaluation", None, {"score": 5})
    assert late.status_code == 409 and late.get_json()["error"] == "too_late"
    assert api.post("/tickets/by-key/not-a-key/evaluation", None, {"score": 5}).status_code == 404


def test_a_bad_rating_needs_a_reason_from_the_list_and_opens_a_case(api, app):
    serve(api, app)
    bare = api.post("/windows/3/evaluation", "device:P3", {"score": 2})
    assert bare.status_code == 422
    assert bare.get_json()["message"] == "a bad rating needs at least one reason or a comment"
    unknown = api.post("/windows/3/evaluation", "device:P3", {"score": 1, "reasons": ["太冷"]})
    assert unknown.status_code == 422 and "unknown reason 太冷" in unknown.get_json()["message"]
    wrong_level = api.post("/windows/3/evaluation", "device:P3", {"score": 4, "reasons": ["服务态度"]})
    assert wrong_level.status_code == 422
    out_of_scale = api.post("/windows/3/evaluation", "device:P3", {"score": 6})
    assert out_of_scale.status_code == 422 and out_of_scale.get_json()["fields"][0]["field"] == "score"

    rated = api.post("/windows/3/evaluation", "device:P3", {"score": 1, "reasons": ["服务态度", "服务效率"]})
    assert rated.status_code == 201
    case_id = rated.get_json()["case_id"]
    case = api.get(f"/evaluations/cases/{case_id}", "manager").get_json()
    assert case["stage"] == "verify" and case["next_actions"] == ["verify", "appeal", "assign"]
    assert case["evaluation"]["reasons"] == ["服务态度", "服务效率"]
    # Monday 2026-11-23 plus one working day.
    assert case["deadline"] == "2026-11-24" and case["overdue"] is False
    assert api.get(f"/evaluations/cases/{case_id}", "clerk3").status_code == 403


def test_a_manager_works_a_case_to_closing(api, app, clock):
    serve(api, app)
    case_id = api.post(
        "/windows/3/evaluation", "device:P3", {"score": 2, "reasons": ["服务效率"]}
    ).get_json()["case_id"]

    def step(action, note="已处理", owner=None):
        body = {"action": action, "note": note} | ({"owner": owner} if owner else {})
        return api.post(f"/evaluations/cases/{case_id}/steps", "manager", body)

    assert step("rectify").status_code == 409
    assert step("verify", "", None).status_code == 422
    verified = step("verify", "调取录像，确认等候过久", owner="clerk3").get_json()
    assert (verified["stage"], verified["owner"], verified["deadline"]) == ("rectify", "clerk3", "2026-12-07")
    clock.advance(days=1)
    assert step("rectify", "增开窗口，调整排班").get_json()["stage"] == "callback"
    called = step("callback", "电话回访，群众表示满意").get_json()
    assert called["stage"] == "close" and called["called_back"] is True
    closed = step("close", "归档").get_json()
    assert (closed["stage"], closed["resolution"], closed["next_actions"]) == ("closed", "rectified", [])
    assert [s["action"] for s in closed["steps"]] == ["open", "verify", "rectify", "callback", "close"]
    assert closed["steps"][1]["by"] == "manager名" and closed["steps"][1]["owner"] == "clerk3名"
    assert step("close").status_code == 409

    listed = api.get("/evaluations/cases?stage=closed", "manager").get_json()
    assert [c["id"] for c in listed] == [case_id]
    assert api.get("/evaluations/cases?stage=open", "manager").get_json() == []
    summary = api.get("/evaluations/summary?from=2026-11-23&to=2026-11-24", "manager").get_json()
    assert (summary["bad_count"], summary["rectified_rate"], summary["callback_rate"]) == (1, 1.0, 1.0)


def test_the_summary_counts_a_days_services(api, app, clock):
    serve(api, app)
    api.post("/windows/3/evaluation", "device:P3", {"score": 5})
    serve(api, app)  # never rated
    serve(api, app, window=4, clerk="clerk4", item="MZ001")
    api.post("/windows/4/evaluation", "device:P4", {"score": 1, "comment": "态度差"})
    summary = api.get("/evaluations/summary", "manager").get_json()
    assert (summary["from"], summary["to"]) == ("2026-11-23", "2026-11-23")
    assert (summary["served"], summary["rated"], summary["unrated"]) == (3, 2, 1)
    assert summary["levels"] == {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1}
    assert (summary["good_rate"], summary["bad_rate"], summary["active_rate"]) == (0.5, 0.5, 0.6667)
    assert (summary["rectified_rate"], summary["callback_rate"]) == (0.0, 0.0)
    windows = {w["window"]: w for w in summary["by_window"]}
    assert windows[3]["served"] == 2 and windows[3]["good_rate"] == 1.0 and windows[4]["bad_count"] == 1
    assert [s["staff"] for s in summary["by_staff"]] == ["clerk3", "clerk4"]
    only = api.get("/evaluations/summary?window=4", "manager").get_json()
    assert (only["served"], only["bad_count"], only["good_rate"]) == (1, 1, 0.0)
    assert api.get("/evaluations/summary?window=99", "manager").status_code == 404
    assert api.get("/evaluations/summary?from=2026-11-24&to=2026-11-23", "manager").status_code == 422
    assert api.get("/evaluations/summary", "clerk3").status_code == 403


def test_supervisors_read_everything_and_change_nothing(api, app):
    serve(api, app)
    case_id = api.post("/windows/3/evaluation", "device:P3", {"score": 1, "comment": "态度差"}).get_json()[
        "case_id"
    ]
    assert api.get("/evaluations/summary", "supervisor").get_json()["bad_count"] == 1
    assert api.get("/stats/summary", "supervisor").status_code == 200
    assert api.get(f"/evaluations/cases/{case_id}", "supervisor").get_json()["stage"] == "verify"
    step = api.post(f"/evaluations/cases/{case_id}/steps", "supervisor", {"action": "verify", "note": "看过"})
    assert step.status_code == 403
    assert api.post("/windows/3/call-next", "supervisor").status_code == 403
    assert api.post("/notices", "supervisor", {"title": "通知", "text": "今天"}).status_code == 403
