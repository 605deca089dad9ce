"""The hall's calendar as the server's clients meet it: a kiosk's refusal over lunch, the
health check and the managers' dashboard while next year's holidays are not known."""

from __future__ import annotations

from datetime import UTC, datetime

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
KNOWS_2027 = from_rules("").unknown_year(datetime(2026, 11, 23).date()) is None


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
    clock.set(datetime(2026, 11, 23, 6, 30, tzinfo=UTC))  # 14:30
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
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
