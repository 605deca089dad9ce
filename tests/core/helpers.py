from __future__ import annotations

from queue_core import Database
from queue_core.calling import call_next
from queue_core.models import Hall, Priority
from queue_core.ticketing import issue_ticket
from queue_core.windows import sign_in
from tests.conftest import staff_by_username


def open_windows(db: Database, hall: Hall, *numbers: int) -> None:
    with db.write() as uow:
        for n in numbers:
            sign_in(uow, hall, n, staff_by_username(uow, f"clerk{n}"))


def issue(db: Database, hall: Hall, queue: str = "A", priority: Priority | None = None) -> str:
    with db.write() as uow:
        return issue_ticket(uow, hall, queue_code=queue, priority=priority).number


def next_number(db: Database, hall: Hall, window: int) -> str | None:
    """Call next at the window and, if someone came, finish nothing: just return the number."""
    with db.write() as uow:
        ticket = call_next(uow, hall, window, None)
        return ticket.number if ticket else None
