"""我需要多一点时间: a waiting ticket moves back a few places in its line, once; the others keep
their order, and the windows call it in its new place."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from queue_core.errors import InvalidState, LimitReached, NotPermitted
from queue_core.models import Ticket
from queue_core.postponing import postpone
from queue_core.ticketing import waiting_ahead
from tests.core.helpers import issue, next_number, open_windows


def ticket(db, number: str):
    with db.read() as uow:
        return uow.session.scalar(select(Ticket).where(Ticket.number == number))


def postponed(db, number: str, places: int = 5) -> int:
    with db.write() as uow:
        return postpone(uow, uow.session.merge(ticket(db, number)), places)


def issued(db, hall, clock, count: int) -> list[str]:
    """Tickets taken a second apart, as citizens come."""
    numbers = []
    for _ in range(count):
        numbers.append(issue(db, hall))
        clock.advance(seconds=1)
    return numbers


def ahead_of(db, number: str) -> int:
    with db.read() as uow:
        return waiting_ahead(uow, uow.session.merge(ticket(db, number)))


def test_a_ticket_moves_back_its_places_once(db, hall, clock):
    numbers = issued(db, hall, clock, 7)
    assert postponed(db, numbers[1]) == 5
    assert ahead_of(db, numbers[1]) == 6 and ahead_of(db, numbers[2]) == 1
    with pytest.raises(LimitReached, match="once only"):
        postponed(db, numbers[1])
    assert postponed(db, numbers[5]) == 2  # two wait behind it: to the end of the line
    assert ahead_of(db, numbers[5]) == 6 and ahead_of(db, numbers[1]) == 5


def test_the_line_keeps_its_order_around_a_postponed_ticket(db, hall, clock):
    numbers = issued(db, hall, clock, 4)
    assert postponed(db, numbers[0], places=2) == 2
    open_windows(db, hall, 1, 2, 3)
    assert [next_number(db, hall, n) for n in (1, 2, 3)] == [numbers[1], numbers[2], numbers[0]]


def test_what_cannot_move_back_says_why(db, hall, clock):
    first, last = issued(db, hall, clock, 2)
    with pytest.raises(InvalidState, match="last already") as nobody:
        postponed(db, last)
    assert nobody.value.details["why"] == "last_in_line"
    with pytest.raises(NotPermitted) as off:
        postponed(db, first, places=0)
    assert off.value.details["why"] == "postpone_off"
    open_windows(db, hall, 1)
    assert next_number(db, hall, 1) == first
    with pytest.raises(InvalidState) as called:
        postponed(db, first)
    assert called.value.details["why"] == "not_waiting"
