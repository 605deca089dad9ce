"""The end of a hall's day: the numbers a day left unserved are void after midnight, logged
as such, and the window that had one called is free; a ticket in service is its clerk's to
finish, and today's line is not touched."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hallq.sweeper import Sweeper
from queue_core.calling import start
from queue_core.models import Ticket, TicketEvent, TicketEventKind, TicketStatus, Window
from tests.core.helpers import issue, next_number, open_windows


def statuses(db, hall) -> dict[str, str]:
    with db.read() as uow:
        return {
            t.number: t.status for t in uow.session.scalars(select(Ticket).where(Ticket.hall_id == hall.id))
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_days_unserved_numbers_are_void_after_midnight(db, hall, clock):
    open_windows(db, hall, 1, 2)
    served, called, waiting = issue(db, hall), issue(db, hall), issue(db, hall)
    assert next_number(db, hall, 1) == served
    with db.write() as uow:
        start(uow, hall, 1, None)
    assert next_number(db, hall, 2) == called
    sweeper = Sweeper(db, hall.code)
    clock.advance(hours=14)  # 23:00: the clerks may still serve (延时服务)
    assert sweeper.end_past_days() == 0 and statuses(db, hall)[waiting] == TicketStatus.WAITING

    clock.advance(hours=2)  # 01:00 the next day
    today = issue(db, hall)
    assert sweeper.end_past_days() == 2
    assert statuses(db, hall) == {
        served: TicketStatus.SERVING,
        called: TicketStatus.CANCELLED,
        waiting: TicketStatus.CANCELLED,
        today: TicketStatus.WAITING,
    }
    with db.read() as uow:
        window_2 = uow.session.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == 2))
        assert window_2.current_ticket_id is None
        reasons = uow.session.scalars(
            select(TicketEvent.detail).where(TicketEvent.kind == TicketEventKind.CANCELLED)
        ).all()
    assert [r["reason"] for r in reasons] == ["day_end", "day_end"]
    assert sweeper.end_past_days() == 0  # once a day
    clock.advance(days=1)
    assert sweeper.end_past_days() == 1  # today's, a day later
