"""A guide acting on a ticket from outside its window at the instant its clerk acts on it, on
PostgreSQL, where transactions really interleave (SQLite's BEGIN IMMEDIATE runs one writer at a
time). Each test holds the guide's transaction open across the clerk's, so the race is not a
matter of luck: the guide read the ticket before the clerk's commit and acts after it."""

import pytest
from sqlalchemy import select

from queue_core.calling import call_next, no_show, start
from queue_core.errors import InvalidState
from queue_core.models import Ticket, TicketStatus, Window
from queue_core.ticketing import cancel_ticket, issue_ticket
from tests.conftest import make_hall, small_hall_spec
from tests.core.helpers import open_windows

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def _window(db, number: int) -> tuple[int | None, str | None]:
    """The window's current ticket and that ticket's status."""
    with db.read() as uow:
        window = uow.session.scalar(select(Window).where(Window.number == number))
        current = uow.session.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
        return window.current_ticket_id, current.status if current else None


def test_a_cancel_that_loses_to_a_call_is_refused_and_the_window_keeps_its_citizen(db):
    hall = make_hall(db, small_hall_spec(windows=1))
    open_windows(db, hall, 1)
    with db.write() as uow:
        ticket_id = issue_ticket(uow, hall, queue_code="A").id

    with pytest.raises(InvalidState, match="was just called at window 1") as refused, db.write() as guide:
        seen = guide.session.get(Ticket, ticket_id)
        assert seen.status == TicketStatus.WAITING
        with db.write() as clerk:
            assert call_next(clerk, hall, 1, None).id == ticket_id
        cancel_ticket(guide, seen)
    assert refused.value.details == {"window": 1}

    assert _window(db, 1) == (ticket_id, TicketStatus.CALLED)
    with db.write() as uow:
        start(uow, hall, 1, None)  # the window goes on serving: nothing is stuck


def test_a_cancel_from_a_stale_view_never_clears_the_next_citizen_from_the_window(db, clock):
    hall = make_hall(db, small_hall_spec(windows=1, requeue_no_show=True))
    open_windows(db, hall, 1)
    with db.write() as uow:
        first, second = (issue_ticket(uow, hall, queue_code="A").id for _ in range(2))
    with db.write() as uow:
        assert call_next(uow, hall, 1, None).id == first

    with db.write() as guide:
        seen = guide.session.get(Ticket, first)
        assert (seen.status, seen.window.current_ticket_id) == (TicketStatus.CALLED, first)
        with db.write() as clerk:  # absent: back in line, at its end; the window calls the next one
            clock.advance(minutes=1)
            no_show(clerk, hall, 1, None, requeue=True)
        with db.write() as clerk:
            assert call_next(clerk, hall, 1, None).id == second
        cancel_ticket(guide, seen)  # the guide cancels the waiting ticket it now is

    assert _window(db, 1) == (second, TicketStatus.CALLED)
    with db.read() as uow:
        assert uow.session.get(Ticket, first).status == TicketStatus.CANCELLED
