"""The hall's calendar as the server's clients meet it: a kiosk's refusal over lunch, the
health check and the managers' dashboard while next year's holidays are not known."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from queue_core.hall_calendar import from_rules
from queue_core.spec import CalendarSpec

LUNCH = CalendarSpec.model_validate({"sessions": ["08:30-12:00", "14:30-17:30"]}).rules_text()
NEW_YEAR_2027 = CalendarSpec.model_validate(
    {
        "sessions": ["08:30-12:00", "14:30-17:30"],
        "days": [{"date": "2027-01-01", "closed": True, "reason": "元旦"}],
    }
).rules_text()
KNOWS_2027 = from_rules("").unknown_year(date(2026, 11, 23)) is None


def set_calendar(app, rules: str, enforce: bool = True) -> None:
    with app.extensions["hallq"].db.write() as uow:
        uow.session.execute(
            text("UPDATE hall SET calendar_rules = :rules, enforce_hours = :enforce"),
            {"rules": rules, "enforce": enforce},
        )


def test_over_lunch_the_kiosk_is_told_when_the_afternoon_opens(api, app, clock):
    set_calendar(app, LUNCH)
    clock.set(datetime(2026, 11, 23, 4, 15, tzinfo=UTC))  # 12:15 in Shanghai, a Monday
    lunch = api.post("/tickets", "device:K1", {"queue": "A"})
    assert lunch.status_code == 409
    answer = lunch.get_json()
    assert (answer["error"], answer["why"], answer["reopens_at"]) == (
        "queue_closed",
        "break",
        "2026-11-23T14:30:00+08:00",
    )
    line_a = next(q for q in api.get("/queues").get_json() if q["code"] == "A")  # before 取号
    assert (
        line_a["taking"],
        line_a["closed_why"],
        line_a["reopens_at"],
        line_a["estimated_wait_seconds"],
    ) == (
        False,
        "break",
        "2026-11-23T14:30:00+08:00",
        None,
    )
    clock.set(datetime(2026, 11, 23, 6, 30, tzinfo=UTC))  # 14:30
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    line_a = next(q for q in api.get("/queues").get_json() if q["code"] == "A")
    assert (line_a["taking"], line_a["closed_why"], line_a["waiting"]) == (True, None, 1)
    clock.set(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))  # Saturday 10:00
    weekend = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    assert (weekend["why"], weekend["day_off"], weekend["reopens_at"]) == (
        "day_off",
        "周末",
        "2026-11-30T08:30:00+08:00",
    )


def test_healthz_and_the_dashboard_say_when_next_years_holidays_are_not_known(app, clock):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"username": "manager", "password": "password-123"}).status_code == 302
    warning = "2027 年的法定节假日尚未录入"
    if not KNOWS_2027:
        health = client.get("/healthz").get_json()
        assert health["status"] == "ok"
        assert health["calendar"] == "the official holidays of 2027 are not known: see docs/calendar.md"
        assert warning in client.get("/manager/").get_data(as_text=True)
    set_calendar(app, NEW_YEAR_2027, enforce=False)
    assert client.get("/healthz").get_json()["calendar"] == "ok"
    page = client.get("/manager/").get_data(as_text=True)
    assert "<h1>青山县政务服务中心</h1>" in page  # the dashboard, without the warning
    assert warning not in page


def test_a_manager_enters_a_closure_and_withdraws_it_and_the_kiosk_follows(api, app, clock):
    set_calendar(app, NEW_YEAR_2027)  # 1 January 2027 from the file
    clock.set(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))  # Monday 09:00
    closure = {"kind": "closed", "reason": "系统升级"}
    assert api.request("PUT", "/calendar/days/2026-11-24", "clerk1", json=closure).status_code == 403
    entered = api.request("PUT", "/calendar/days/2026-11-24", "manager", json=closure)
    assert entered.status_code == 200
    days = entered.get_json()["days"]
    assert [(d["date"], d["closed"], d["reason"], d["source"]) for d in days] == [
        ("2026-11-24", True, "系统升级", "admin"),
        ("2027-01-01", True, "元旦", "file"),
    ]
    tuesday = next(d for d in entered.get_json()["coming"] if d["date"] == "2026-11-24")
    assert (tuesday["working"], tuesday["reason"], tuesday["sessions"]) == (False, "系统升级", [])
    clock.set(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # Tuesday 09:00
    refused = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    assert (refused["why"], refused["day_off"], refused["reopens_at"]) == (
        "day_off",
        "系统升级",
        "2026-11-25T08:30:00+08:00",
    )
    late = api.request(
        "PUT",
        "/calendar/days/2026-11-25",
        "manager",
        json={"kind": "hours", "sessions": ["08:30-12:00", "14:30-20:00"]},
    )
    assert late.status_code == 200
    assert api.request("DELETE", "/calendar/days/2026-11-24", "manager").status_code == 200
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    file_day = api.request("DELETE", "/calendar/days/2027-01-01", "manager")
    assert file_day.status_code == 409 and "calendar.toml" in file_day.get_json()["message"]
    assert api.request("DELETE", "/calendar/days/2026-11-24", "manager").status_code == 404
    bad = api.request("PUT", "/calendar/days/2026-13-01", "manager", json=closure)
    assert bad.status_code == 422 and "not a date" in bad.get_json()["message"]
    no_hours = api.request("PUT", "/calendar/days/2026-11-26", "manager", json={"kind": "hours"})
    assert no_hours.status_code == 422
    listed = api.get("/calendar", "supervisor").get_json()
    assert [d["date"] for d in listed["days"]] == ["2026-11-25", "2027-01-01"]
