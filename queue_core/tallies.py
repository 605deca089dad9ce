"""Running tallies of the day's finished tickets, one row per clerk and queue, kept by the
finish in its own transaction: how many, how many with a handling time, and the sum and the
sum of squares of those times. A clerk's panel (their day: served, mean handling) and a
waiting ticket's forecast (the queue's mean and spread today) sum a few rows (a clerk's
queues, a queue's clerks), at a cost that does not grow with the day, where counting the
day's tickets grew with every one finished.

A row is written only by its own clerk's finishes, and a clerk works at one window at a time:
windows finishing at once never wait on each other's row (one row per queue made every
finish of a busy queue take turns on it until its commit).

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

NO_CLERK = 0  # the clerk of a ticket finished without one (a device's action): a key must have one


def _upsert(insert: Any) -> Executable:  # the dialect's insert construct
    tally = FinishedTally.__table__
    statement = insert(tally).values(
        queue_id=bindparam("queue_id"),
        service_day=bindparam("day"),
        clerk_id=bindparam("clerk_id"),
        hall_id=bindparam("hall_id"),
        finished=1,
        handled=bindparam("handled"),
        handle_sum=bindparam("seconds"),
        handle_square_sum=bindparam("square"),
    )
    added = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[tally.c.queue_id, tally.c.service_day, tally.c.clerk_id],
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
    """Add the just-finished ticket to its clerk's tally of its queue."""
    seconds = ticket.handle_seconds
    row = {
        "queue_id": ticket.queue_id,
        "day": ticket.service_day,
        "clerk_id": NO_CLERK if ticket.clerk_id is None else ticket.clerk_id,
        "hall_id": ticket.hall_id,
        "handled": int(seconds is not None),
        "seconds": seconds or 0,
        "square": (seconds or 0) ** 2,
    }
    uow.session.execute(_COUNT["postgresql" if uow.is_postgres else "sqlite"], row)
