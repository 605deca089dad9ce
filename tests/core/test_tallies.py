"""The finished tallies (queue_core.tallies): kept by the finish, a row per clerk and queue,
equal to counting the day's tickets, on SQLite and PostgreSQL, with windows finishing at once;
filled by the migration from the tickets a hall already finished; read by the clerk's panel
and the wait forecast."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from queue_core import desk, migrate
from queue_core.calling import call_next, finish, start
from queue_core.halls import queue_by_code, window_by_number
from queue_core.models import FinishedTally, Outcome, Ticket, TicketStatus
from queue_core.numbering import service_day
from queue_core.tallies import NO_CLERK
from queue_core.ticketing import issue_ticket
from queue_core.wait_forecast import handling_figures
from queue_core.windows import sign_in
from tests.conftest import make_hall, small_hall_spec, staff_by_username, staff_id

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

BEFORE_TALLIES = "4e8c2a6f1b37"  # the revision before the tallies (0022)


Key = tuple[int, int]  # (queue id, clerk id)
Figures = tuple[int, int, int, int]  # finished, handled, their seconds, their squares


def tallies(db) -> dict[Key, Figures]:
    with db.read() as uow:
        rows = uow.session.scalars(select(FinishedTally))
        return {
            (t.queue_id, t.clerk_id): (t.finished, t.handled, t.handle_sum, t.handle_square_sum) for t in rows
        }


def counted(db) -> dict[Key, Figures]:
    """What counting the finished tickets gives, grouped as the tallies are."""
    with db.read() as uow:
        rows = uow.session.execute(
            select(
                Ticket.queue_id,
                Ticket.clerk_id,
                func.count(),
                func.count(Ticket.handle_seconds),
                func.sum(Ticket.handle_seconds),
                func.sum(Ticket.handle_seconds * Ticket.handle_seconds),
            )
            .where(Ticket.status == TicketStatus.FINISHED)
            .group_by(Ticket.queue_id, Ticket.clerk_id)
        )
        return {(queue, clerk or NO_CLERK): (n, h, int(s), int(q)) for queue, clerk, n, h, s, q in rows}


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
    assert sum(n for n, *_ in kept.values()) == 120
    assert len({clerk for _, clerk in kept}) > 1  # the work was really shared
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
    a, b = (queue_id_of(db, hall, code) for code in "AB")
    assert kept == {(a, clerk): (2, 2, 13 * 60, (16 + 81) * 3600), (b, clerk): (1, 1, 6 * 60, 36 * 3600)}

    migrate.downgrade(db.engine, BEFORE_TALLIES)
    migrate.upgrade(db.engine)
    assert tallies(db) == kept


def test_the_panel_and_the_forecast_read_the_tallies(db, hall, clock):
    """The clerk's day and the queue's handling today come from the tallies: a tally row
    changed by hand (as no finish would) shows on both, and a clerk's queues and a queue's
    clerks are summed."""
    clerk, other = staff_id(db, "clerk1"), staff_id(db, "clerk2")
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
        row = uow.session.get(FinishedTally, (ticket.queue_id, today, clerk))
        assert (row.finished, row.handled, row.handle_sum) == (1, 1, 300)
        row.finished, row.handled, row.handle_sum, row.handle_square_sum = 7, 7, 7 * 420, 7 * 420**2
        figures = {"service_day": today, "hall_id": hall.id, "handle_square_sum": 3 * 600**2}
        uow.session.add(FinishedTally(queue_id=ticket.queue_id, clerk_id=other, finished=3, handled=3,
                                      handle_sum=3 * 600, **figures))  # fmt: skip
        uow.session.add(FinishedTally(queue_id=queue_id_of(db, hall, "B"), clerk_id=clerk, finished=2,
                                      handled=2, handle_sum=2 * 600, **figures | {"handle_square_sum": 2 * 600**2}))  # fmt: skip
    with db.read() as uow:
        handling = handling_figures(uow, hall.id, today, ticket.queue_id)[ticket.queue_id]
        mean = (7 * 420 + 3 * 600) / 10
        assert (handling.today, handling.today_mean) == (10, mean)
        assert handling.today_square_mean == (7 * 420**2 + 3 * 600**2) / 10
        assert handling_figures(uow, hall.id, today)[ticket.queue_id] == handling
        _, clerk_day = desk.window_day(uow, hall, window_by_number(uow, hall.id, 1), clerk)
        assert clerk_day == desk.ClerkDay(served=9, average_handle_seconds=round((7 * 420 + 2 * 600) / 9))
        _, nobody = desk.window_day(uow, hall, window_by_number(uow, hall.id, 2), staff_id(db, "clerk3"))
        assert nobody == desk.ClerkDay(served=0, average_handle_seconds=None)


def queue_id_of(db, hall, code: str) -> int:
    with db.read() as uow:
        return queue_by_code(uow, hall.id, code).id
