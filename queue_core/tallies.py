"""Running tallies of the day's finished tickets, per queue and per clerk, kept by the finish
in its own transaction: how many, how many with a handling time, and the sum and the sum of
squares of those times. A clerk's panel (their day: served, mean handling) and a waiting
ticket's forecast (the queue's mean and spread today) read one row each, at a cost that does
not grow with the day, where counting the day's tickets grew with every one finished.

The finish is the one way into the finished state (queue_core.calling.finish), and a
finished ticket never changes again, so the tallies equal what counting would give;
copying a day (hallq.simulate.copy_day) copies its tallies with its tickets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Executable, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from .models import FinishedTally, Ticket

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

QUEUE = "queue"
CLERK = "clerk"


def _upsert(insert: Any) -> Executable:  # the dialect's insert construct
    tally = FinishedTally.__table__
    statement = insert(tally).values(
        grouping=bindparam("grouping"),
        group_id=bindparam("group_id"),
        service_day=bindparam("day"),
        hall_id=bindparam("hall_id"),
        finished=1,
        handled=bindparam("handled"),
        handle_sum=bindparam("seconds"),
        handle_square_sum=bindparam("square"),
    )
    added = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[tally.c.grouping, tally.c.group_id, tally.c.service_day],
        set_={
            "finished": tally.c.finished + 1,
            "handled": tally.c.handled + added.handled,
            "handle_sum": tally.c.handle_sum + added.handle_sum,
            "handle_square_sum": tally.c.handle_square_sum + added.handle_square_sum,
        },
    )


# Built once per dialect: SQLite and PostgreSQL spell the same upsert alike.
_COUNT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


def count_finished(uow: UnitOfWork, ticket: Ticket) -> None:
    """Add the just-finished ticket to its queue's tally and to its clerk's, in one statement.
    The queue's row first, always: two finishes lock the rows they share in the same order."""
    seconds = ticket.handle_seconds
    figures = {
        "day": ticket.service_day,
        "hall_id": ticket.hall_id,
        "handled": int(seconds is not None),
        "seconds": seconds or 0,
        "square": (seconds or 0) ** 2,
    }
    rows = [figures | {"grouping": QUEUE, "group_id": ticket.queue_id}]
    if ticket.clerk_id is not None:
        rows.append(figures | {"grouping": CLERK, "group_id": ticket.clerk_id})
    uow.session.execute(_COUNT["postgresql" if uow.is_postgres else "sqlite"], rows)
