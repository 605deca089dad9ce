"""Ticket numbers: per queue, per service day in the hall's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from .models import Hall, NumberCounter

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

# The days a hall's records can be about: anything outside is a typing slip (and year 1 or
# 9999 would overflow the day arithmetic).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(hall: Hall, instant: datetime) -> datetime:
    return instant.astimezone(_zone(hall.timezone))


def service_day(hall: Hall, instant: datetime) -> date:
    """The hall's calendar day at that instant: numbers restart at local midnight."""
    return local_time(hall, instant).date()


def day_start(hall: Hall, instant: datetime) -> datetime:
    """Local midnight of the hall's day at that instant, in UTC."""
    local = local_time(hall, instant)
    midnight = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return midnight.astimezone(UTC)


def _upsert(insert) -> Executable:  # the dialect's insert construct
    counter = NumberCounter.__table__  # table-level: the ORM's bulk machinery costs 5x here
    stmt = insert(counter).values(queue_id=bindparam("queue_id"), service_day=bindparam("day"), last_seq=1)
    return stmt.on_conflict_do_update(
        index_elements=[counter.c.queue_id, counter.c.service_day],
        set_={"last_seq": counter.c.last_seq + 1},
    ).returning(counter.c.last_seq)


# Built once per dialect: SQLite and PostgreSQL spell the same upsert alike.
_NEXT_SEQ = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


def next_seq(uow: UnitOfWork, queue_id: int, day: date) -> int:
    """Allocate the next sequence for the queue's day inside the caller's transaction.

    One atomic upsert: the counter row's lock serialises concurrent issuers on PostgreSQL;
    on SQLite the write transaction (BEGIN IMMEDIATE) already does.
    """
    stmt = _NEXT_SEQ["postgresql" if uow.is_postgres else "sqlite"]
    return uow.session.execute(stmt, {"queue_id": queue_id, "day": day}).scalar_one()
