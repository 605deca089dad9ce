"""A report is a read: over closed days not rolled up yet it reads their rows and writes
nothing; once the sweeper (or `hallq rollups build`) has rolled them up, its figures are the
same."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from queue_core import rollups
from queue_core.models import Hall, StatsDay
from tests.api.test_stats import serve_two


def test_a_report_writes_nothing_and_reads_the_same_figures_before_and_after_the_rollup(app, api, clock):
    serve_two(api, clock)
    assert api.post("/windows/3/sign-out", "clerk3").status_code == 200  # its open time ends here
    day = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    query = f"/stats/summary?from={day}&to={day}&group_by=window"
    today = api.get(query, "manager").get_json()
    clock.advance(days=1)
    db = app.extensions["hallq"].db
    closed = api.get(query, "supervisor").get_json()
    with db.read() as uow:
        assert uow.session.scalars(select(StatsDay)).all() == []  # a read wrote nothing
    assert closed == today

    with db.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id))
    assert rollups.ensure(db, hall_id, day, day) == 1  # what the sweeper does
    with db.read() as uow:
        [stored] = uow.session.scalars(select(StatsDay)).all()
    assert stored.service_day == day and stored.open_ticket_ids == []
    assert api.get(query, "supervisor").get_json() == today
    assert api.get(f"/stats/export.csv?from={day}&to={day}", "manager").status_code == 200
