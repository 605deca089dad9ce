"""Rolled-up days give the figures the rows give: for every grouping, over simulated days and
today, with tickets still open at the rollup and ratings that come after it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hallq.simulate import simulate
from queue_core import evaluations, rollups, statistics
from queue_core.calling import call_next, finish, start
from queue_core.models import (
    Department,
    Evaluation,
    EvaluationStatus,
    Hall,
    Outcome,
    Queue,
    ServiceItem,
    StatsDay,
    Ticket,
)
from queue_core.setup import import_items
from queue_core.ticketing import cancel_ticket, issue_ticket
from queue_core.windows import sign_in
from tests.conftest import make_hall, small_hall_spec, staff_by_username
from tests.core.test_evaluations import _item
from tests.test_simulate import engine  # noqa: F401 - SQLite as the simulator opens it

MONDAY = date(2026, 11, 23)
SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUPINGS = (None, *statistics.GROUPINGS)
both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def reports(db, hall, first, last) -> dict[str | None, dict]:
    with db.read() as uow:
        return {g: statistics.summary(uow, hall, first, last, g) for g in GROUPINGS}


def from_rows(db, hall, first, last) -> dict[str | None, dict]:
    """The period's reports with no rollup at all: read from the tickets, ratings and log."""
    with db.write() as uow:
        rollups.forget(uow, hall.id, first, last)
    return reports(db, hall, first, last)


def stored_days(db, hall) -> dict[date, StatsDay]:
    with db.read() as uow:
        return {
            d.service_day: d for d in uow.session.scalars(select(StatsDay).where(StatsDay.hall_id == hall.id))
        }


def with_rules(db, hall, **rules) -> Hall:
    with db.write() as uow:
        row = uow.session.get(Hall, hall.id)
        row.evaluation_rules = {**row.evaluation_rules, **rules}
    with db.read() as uow:
        return uow.session.get(Hall, hall.id)


@both_databases
def test_simulated_days_from_rollups_are_the_days_from_rows(db, hall, clock):
    with db.write() as uow:
        import_items(uow, hall, [_item("GA1", "GA", "A"), _item("GA2", "GA", "B"), _item("RS1", "RS", "B")])
    simulate(db, small_hall_spec(), days=3, tickets_per_day=70, start=MONDAY, seed=5)
    first, last = MONDAY, MONDAY + timedelta(days=2)
    # Wednesday noon: Monday and Tuesday are closed, Wednesday is today.
    clock.set(at(last, 12))
    expected = from_rows(db, hall, first, last)
    assert rollups.ensure(db, hall.id, first, last) == 2
    days = stored_days(db, hall)
    assert sorted(days) == [MONDAY, MONDAY + timedelta(days=1)]
    # Their unrated services may still be rated on the phone page: ratings stay live.
    assert not any(d.ratings_settled for d in days.values())
    with db.read() as uow:
        assert statistics.coverage(uow, hall, first, last).days == set(days)
    assert reports(db, hall, first, last) == expected
    with db.read() as uow:  # a workbook's summaries at once, sharing what they can
        assert statistics.summaries(uow, hall, first, last, GROUPINGS) == expected
    assert expected[None]["issued"] > 150 and expected["window"]["groups"]
    assert rollups.ensure(db, hall.id, first, last) == 0  # nothing is due

    # A week later every rating is final: the days are built again, with their ratings.
    clock.set(at(last + timedelta(days=9), 9))
    expected = from_rows(db, hall, first, last)
    assert rollups.ensure(db, hall.id, first, last) == 3
    assert all(d.ratings_settled and d.ratings_rules for d in stored_days(db, hall).values())
    assert reports(db, hall, first, last) == expected
    # A period that begins and ends inside the rolled-up days, and one reaching past them.
    assert reports(db, hall, first + timedelta(days=1), first + timedelta(days=2)) == from_rows(
        db, hall, first + timedelta(days=1), first + timedelta(days=2)
    )
    rollups.ensure(db, hall.id, first, last)
    today = last + timedelta(days=9)
    assert reports(db, hall, first, today) == from_rows(db, hall, first, today)

    # Longer phone days make old services rateable again: their ratings are read live.
    longer = with_rules(db, hall, phone_days=30)
    rollups.ensure(db, hall.id, first, last)
    assert not any(
        statistics.ratings_hold(d, statistics.rating_rules(longer)) for d in stored_days(db, hall).values()
    )
    with db.read() as uow:
        unrated = uow.session.scalars(
            select(Evaluation).where(Evaluation.status == EvaluationStatus.UNRATED).limit(1)
        ).one()
        key = unrated.ticket.key
    with db.write() as uow:
        evaluations.rate_by_key(uow, longer, key, 2, ["服务态度"], "")
    assert reports(db, longer, first, last) == from_rows(db, longer, first, last)

    # An item moved to another department takes its tickets of every day with it.
    rollups.ensure(db, hall.id, first, last)
    with db.write() as uow:
        moved = uow.session.scalars(select(ServiceItem).where(ServiceItem.code == "GA2")).one()
        moved.department_id = uow.session.scalars(select(Department.id).where(Department.code == "RS")).one()
    rolled_up = reports(db, longer, first, last)
    assert rolled_up == from_rows(db, longer, first, last)
    assert {g["department"]: g["issued"] for g in rolled_up["department"]["groups"]}["RS"] > 0
    # A queue's new target wait judges every day's service level: rollups wait to be rebuilt.
    rollups.ensure(db, hall.id, first, last)
    with db.write() as uow:
        uow.session.scalars(select(Queue).where(Queue.code == "A")).one().target_wait_minutes = 3
    with db.read() as uow:
        assert statistics.coverage(uow, longer, first, last).days == set()
    assert rollups.ensure(db, hall.id, first, last) == 3
    assert reports(db, longer, first, last) == from_rows(db, longer, first, last)


@pytest.fixture
def monday_evening(db, clock):
    """Monday: A001 served at window 1 past midnight; A002 waits, never called, until a
    guide cancels it on Tuesday. The hall gives the default level after 7 days."""
    spec = small_hall_spec()
    spec.evaluation.default_after_days = 7
    hall = make_hall(db, spec)
    clock.set(at(MONDAY, 16))
    with db.read() as uow:
        clerk = staff_by_username(uow, "clerk1")
    with db.write() as uow:
        sign_in(uow, hall, 1, clerk)
    with db.write() as uow:
        served = issue_ticket(uow, hall, queue_code="A")
        waiting = issue_ticket(uow, hall, queue_code="A")
    for minutes, action in ((10, call_next), (11, start)):
        clock.set(at(MONDAY, 16, minutes))
        with db.write() as uow:
            action(uow, hall, 1, clerk.id)
    return hall, clerk, served, waiting


def test_tickets_open_at_the_rollup_are_read_from_their_rows(db, clock, monday_evening):
    hall, clerk, served, waiting = monday_evening
    clock.set(at(MONDAY + timedelta(days=1), 9))
    assert rollups.ensure(db, hall.id, MONDAY, MONDAY) == 1
    assert stored_days(db, hall)[MONDAY].open_ticket_ids == [served.id, waiting.id]
    before = reports(db, hall, MONDAY, MONDAY)
    assert (before[None]["issued"], before[None]["served"], before[None]["cancelled"]) == (2, 0, 0)

    with db.write() as uow:
        finish(uow, hall, 1, clerk.id, Outcome.COMPLETED)
    with db.write() as uow:
        cancel_ticket(uow, uow.session.get(Ticket, waiting.id))
    clock.set(at(MONDAY + timedelta(days=2), 10))
    with db.write() as uow:
        evaluations.rate_by_key(uow, hall, served.key, 1, ["服务效率"], "")
    after = reports(db, hall, MONDAY, MONDAY)
    assert (after[None]["served"], after[None]["cancelled"], after[None]["evaluation"]["bad_count"]) == (
        1,
        1,
        1,
    )
    assert after == from_rows(db, hall, MONDAY, MONDAY)


def test_with_a_default_level_ratings_are_final_once_given(db, clock, monday_evening):
    hall, clerk, _served, _waiting = monday_evening
    clock.set(at(MONDAY, 16, 30))
    with db.write() as uow:
        finish(uow, hall, 1, clerk.id, Outcome.COMPLETED)
    clock.set(at(MONDAY + timedelta(days=3), 9))
    rollups.ensure(db, hall.id, MONDAY, MONDAY)
    assert not stored_days(db, hall)[MONDAY].ratings_settled  # its service is not rated yet

    clock.set(at(MONDAY + timedelta(days=8), 9))
    with db.write() as uow:
        assert evaluations.apply_defaults(uow, hall) == 1
    assert rollups.ensure(db, hall.id, MONDAY, MONDAY) == 1
    assert stored_days(db, hall)[MONDAY].ratings_settled
    figures = reports(db, hall, MONDAY, MONDAY)
    assert (
        figures[None]["evaluation"]["defaulted"],
        figures["window"]["groups"][0]["evaluation"]["served"],
    ) == (1, 1)
    assert figures == from_rows(db, hall, MONDAY, MONDAY)
