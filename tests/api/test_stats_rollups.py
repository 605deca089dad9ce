"""A report over closed days rolls them up first, and its figures stay what they were."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from queue_core.models import StatsDay
from tests.api.test_stats import serve_two


def test_a_report_rolls_up_its_closed_days_once(app, api, clock):
    serve_two(api, clock)
    assert api.post("/windows/3/sign-out", "clerk3").status_code == 200  # its open time ends here
    day = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    query = f"/stats/summary?from={day}&to={day}&group_by=window"
    today = api.get(query, "manager").get_json()
    clock.advance(days=1)
    closed = api.get(query, "manager").get_json()
    with app.extensions["hallq"].db.read() as uow:
        [stored] = uow.session.scalars(select(StatsDay)).all()
    assert stored.service_day == day and stored.open_ticket_ids == []
    assert closed == today
    assert api.get(f"/stats/export.csv?from={day}&to={day}", "manager").status_code == 200
