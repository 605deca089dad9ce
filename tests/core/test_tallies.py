"""The finished tallies (queue_core.tallies): kept by the finish, equal to counting the day's
tickets, on SQLite and PostgreSQL, with windows finishing at once; filled by the migration
from the tickets a hall already finished; read by the clerk's panel and the wait forecast."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from queue_core import desk, migrate
from queue_core.calling import call_next, finish, start
from queue_core.halls import window_by_number
from queue_core.models import FinishedTally, Outcome, Ticket, TicketStatus
from queue_core.numbering import service_day
from queue_core.ticketing import issue_ticket
from queue_core.wait_forecast import handling_figures
from queue_core.windows import sign_in
from tests.conftest import make_hall, small_hall_spec, staff_by_username, staff_id

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

BEFORE_TALLIES = "4e8c2a6f1b37"  # the revision before the tallies (0022)


def tallies(db) -> dict[tuple[str, int], tuple[int, int, int, int]]:
    with db.read() as uow:
        rows = uow.session.scalars(select(FinishedTally))
        return {
            (t.grouping, t.group_id): (t.finished, t.handled, t.handle_sum, t.handle_square_sum) for t in rows
        }


def counted(db) -> dict[tuple[str, int], tuple[int, int, int, int]]:
    """What counting the finished tickets gives, grouped as the tallies are."""
    found: dict[tuple[str, int], tuple[int, int, int, int]] = {}
    with db.read() as uow:
        for grouping, column in (("queue", Ticket.queue_id), ("clerk", Ticket.clerk_id)):
            rows = uow.session.execute(
                select(
                    column,
                    func.count(),
                    func.count(Ticket.handle_seconds),
                    func.sum(Ticket.handle_seconds),
                    func.sum(Ticket.handle_seconds * Ticket.handle_seconds),
                )
                .where(Ticket.status == TicketStatus.FINISHED, column.is_not(None))
                .group_by(column)
            )
            found |= {(grouping, group): (n, h, int(s), int(q)) for group, n, h, s, q in rows}
    return found


def test_windows_finishing_at_once_keep_tallies_equal_to_counting(db, clock):
    """Ten clerks serve 120 tickets of two queues at once, each service a different length:
    every queue's and every clerk's tally is what counting the tickets gives."""
    hall = make_hall(db, small_hall_spec(windows=10))
    with db.write() as uow:
        for n in range(1, 11):
            sign_in(uow, hall, n, staff_by_username(uow, f"clerk{n}"))
        for i in range(120):
            issue_ticket(uow, hall, queue_code="AB"[i % 3 == 0])

    def work(window: int) -> None:
        clerk = staff_id(db, f"clerk{window}")
        while True:
            with db.write() as uow:
                if call_next(uow, hall, window, clerk) is None:
                    return
                start(uow, hall, window, clerk)
            clock.advance(seconds=window)  # the shared clock: the services' lengths differ
            with db.write() as uow:
                finish(uow, hall, window, clerk, Outcome.COMPLETED)

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(work, range(1, 11)))

    kept = tallies(db)
    assert kept == counted(db)
    assert sum(n for (grouping, _), (n, *_) in kept.items() if grouping == "queue") == 120
    assert len([key for key in kept if key[0] == "clerk"]) > 1  # the work was really shared
    assert any(s for (_, _, s, _) in kept.values())  # the services took time


def test_the_migration_fills_the_tallies_from_the_tickets_already_finished(db, hall, clock):
    """A hall that finished tickets before the tallies existed gets them from its tickets."""
    clerk = staff_id(db, "clerk1")
    with db.write() as uow:
        sign_in(uow, hall, 1, staff_by_username(uow, "clerk1"))
    for minutes, queue in ((4, "A"), (9, "A"), (6, "B")):
        with db.write() as uow:
            issue_ticket(uow, hall, queue_code=queue)
            call_next(uow, hall, 1, clerk)
            start(uow, hall, 1, clerk)
        clock.advance(minutes=minutes)
        with db.write() as uow:
            finish(uow, hall, 1, clerk, Outcome.COMPLETED)
    kept = tallies(db)
    assert kept[("clerk", clerk)] == (3, 3, 19 * 60, (16 + 81 + 36) * 3600)

    migrate.downgrade(db.engine, BEFORE_TALLIES)
    migrate.upgrade(db.engine)
    assert tallies(db) == kept


def test_the_panel_and_the_forecast_read_the_tallies(db, hall, clock):
    """The clerk's day and the queue's handling today come from the tallies: a tally row
    changed by hand (as no finish would) shows on both."""
    clerk = staff_id(db, "clerk1")
    with db.write() as uow:
        sign_in(uow, hall, 1, staff_by_username(uow, "clerk1"))
        ticket = issue_ticket(uow, hall, queue_code="A")
        call_next(uow, hall, 1, clerk)
        start(uow, hall, 1, clerk)
    clock.advance(minutes=5)
    with db.write() as uow:
        finish(uow, hall, 1, clerk, Outcome.COMPLETED)
    with db.write() as uow:
        today = service_day(hall, uow.now())
        queue_tally = uow.session.get(FinishedTally, ("queue", ticket.queue_id, today))
        clerk_tally = uow.session.get(FinishedTally, ("clerk", clerk, today))
        assert (queue_tally.finished, clerk_tally.finished) == (1, 1)
        queue_tally.handled, queue_tally.handle_sum, queue_tally.handle_square_sum = 2, 1200, 2 * 600**2
        clerk_tally.finished, clerk_tally.handled, clerk_tally.handle_sum = 7, 7, 7 * 420
    with db.read() as uow:
        handling = handling_figures(uow, hall.id, today, ticket.queue_id)[ticket.queue_id]
        assert (handling.today, handling.today_mean, handling.today_square_mean) == (2, 600.0, 360000.0)
        _, clerk_day = desk.window_day(uow, hall, window_by_number(uow, hall.id, 1), clerk)
        assert clerk_day == desk.ClerkDay(served=7, average_handle_seconds=420)
        _, nobody = desk.window_day(uow, hall, window_by_number(uow, hall.id, 2), staff_id(db, "clerk2"))
        assert nobody == desk.ClerkDay(served=0, average_handle_seconds=None)
