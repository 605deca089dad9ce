"""Many issuers and many windows at once, on a real SQLite file and a real PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from queue_core.calling import call_next, finish, start
from queue_core.models import Outcome, Ticket, TicketEvent, TicketStatus
from queue_core.ticketing import issue_ticket
from tests.conftest import make_hall, small_hall_spec
from tests.core.helpers import open_windows

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def test_500_concurrent_issues_get_500_distinct_numbers(db):
    hall = make_hall(db)

    def take(i: int) -> str:
        with db.write() as uow:
            return issue_ticket(uow, hall, queue_code="AB"[i % 2]).number

    with ThreadPoolExecutor(max_workers=32) as pool:
        numbers = list(pool.map(take, range(500)))

    assert len(set(numbers)) == 500
    assert sorted(n for n in numbers if n[0] == "A") == [f"A{i:03d}" for i in range(1, 251)]
    with db.read() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Ticket)) == 500


def test_30_windows_calling_at_once_call_every_ticket_exactly_once(db):
    hall = make_hall(db, small_hall_spec(windows=30))
    open_windows(db, hall, *range(1, 31))
    with db.write() as uow:
        for i in range(600):
            issue_ticket(uow, hall, queue_code="AB"[i % 3 == 0])

    def work(window: int) -> list[str]:
        served: list[str] = []
        while True:
            with db.write() as uow:
                ticket = call_next(uow, hall, window, None)
                if ticket is None:
                    return served
                served.append(ticket.number)
            with db.write() as uow:
                start(uow, hall, window, None)
                finish(uow, hall, window, None, Outcome.COMPLETED)

    with ThreadPoolExecutor(max_workers=30) as pool:
        per_window = list(pool.map(work, range(1, 31)))

    called = [n for numbers in per_window for n in numbers]
    assert len(called) == 600 and len(set(called)) == 600
    assert sum(1 for numbers in per_window if numbers) > 1  # the work was really shared
    with db.read() as uow:
        statuses = uow.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
        calls = uow.session.scalar(select(func.count()).where(TicketEvent.kind == "called"))
    assert statuses == [(TicketStatus.FINISHED, 600)]
    assert calls == 600
