"""Per-day rollups of the statistics: each closed service day's figures, per group, written
once so that a report over a month or a year adds up stored days instead of reading every
ticket (queue_core.statistics.summary reads them; docs/statistics.md).

A day's rollup (StatsDay, and a StatsRollup row per grouping and group: the hall, each queue,
item, department, window and clerk) holds the counts, the whole-second histograms of waiting
and handling time, each window's and clerk's open time and the rating counts. Every figure of
a period is a sum over its days (percentiles from the summed histograms), so a period's
figures are the same with or without rollups; tests/core/test_rollups.py checks that.

What a rollup holds must never change afterwards, so it holds only what is final:
- **Tickets that have ended** (finished, no-show, cancelled): no call changes an ended ticket.
  A ticket still open when the day is rolled up (a citizen at a window past midnight, a
  number never called nor cancelled) may yet be finished, cancelled or transferred, and its
  rating may follow: its id is kept and it is read from its row every time.
- **Open time**, from the windows' log: a closed day gets no new entries (they are written
  at the present moment), and each day's open time is from that day's entries alone.
- **Ratings only once they are final.** A service may still be rated on the phone page for
  `phone_days` (and on the keypad for `keypad_seconds`), and where the hall gives a default
  it gets one after `default_after_days`. A day's rating counts are kept when every service
  of it is rated or defaulted, or when the hall gives no default and the last of its unrated
  services can no longer be rated; that holds while the rules stay as they were (which are
  kept with it). Until then the day's ratings are read from the rows, and the rollup is
  built again once they may have become final (`ratings_final_at`).
- **Follow-up cases** are never rolled up: they move on for weeks. They are read from the
  cases, a few per thousand services.

Rollups are built by `ensure`: by a report before it reads (for the closed days of its period
that have none), by the server's sweeper for the days just closed, and by `hallq simulate` for
the days it made. Each day is computed from one consistent snapshot (a read transaction on
SQLite; REPEATABLE READ on PostgreSQL) and written in a short transaction of its own, so
building never holds the hall's write lock for long. Writing days into the past (the
simulator) must `forget` their rollups first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from . import evaluation_figures
from .evaluations import OPEN
from .models import Evaluation, Hall, StatsDay, StatsRollup, Ticket
from .numbering import service_day
from .statistics import (
    ENDED,
    GROUPINGS,
    HALL,
    RATING_COUNTS,
    TALLY_COUNTS,
    Opening,
    RatingRules,
    Tally,
    counts_of,
    open_time,
    pack,
    rating_rules,
    ratings_hold,
    runs,
    targets,
    ticket_tallies,
)

if TYPE_CHECKING:
    from .db import Database
    from .unit_of_work import UnitOfWork

BATCH_DAYS = 31  # days computed from one snapshot and written in one transaction


def ensure(db: Database, hall_id: int, first: date, last: date, *, at_most: int | None = None) -> int:
    """Build the rollups that the closed days of first..last lack, or whose ratings may have
    become final since (see the module's doc); with at_most, only the latest that many of
    them. Returns how many days were built. A read finds them first: nothing is written when
    nothing is due. Another process building the same days at the same moment (PostgreSQL)
    makes the same rows: whichever commits first stays."""
    with db.read() as uow:
        hall = _hall(uow, hall_id)
        due = _due(uow, hall, first, last)
    built = 0
    for low, high in runs(due[-at_most:] if at_most else due):
        for days in _batches(low, high):
            with db.read() as uow:
                _snapshot(uow)
                day_rows, rollup_rows = compute(uow, _hall(uow, hall_id), days)
            try:
                with db.write() as uow:
                    _replace(uow, hall_id, days, day_rows, rollup_rows)
            except IntegrityError:
                continue  # built meanwhile by another process, from its own snapshot
            built += len(days)
    return built


def forget(uow: UnitOfWork, hall_id: int, first: date, last: date) -> None:
    """Drop the rollups of first..last: for whoever writes rows into those days afterwards."""
    _replace(uow, hall_id, _days(first, last), [], [])


def _due(uow: UnitOfWork, hall: Hall, first: date, last: date) -> list[date]:
    """The closed days of the period without a rollup, or whose ratings may now be final."""
    now = uow.now()
    last = min(last, service_day(hall, now) - timedelta(days=1))
    if first > last:
        return []
    rules, now_targets = rating_rules(hall), targets(uow, hall)
    have = {
        day.service_day: day
        for day in uow.session.scalars(
            select(StatsDay).where(StatsDay.hall_id == hall.id, StatsDay.service_day.between(first, last))
        )
    }
    due = []
    for day in _days(first, last):
        found = have.get(day)
        if (
            found is None
            or found.targets != now_targets
            or not (
                ratings_hold(found, rules)
                or (
                    found.ratings_rules == rules
                    and found.ratings_final_at is not None
                    and now <= found.ratings_final_at
                )
            )
        ):
            due.append(day)
    return due


def compute(
    uow: UnitOfWork, hall: Hall, days: list[date]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The StatsDay and StatsRollup rows of consecutive `days`, from the rows as `uow` sees them."""
    first, last = days[0], days[-1]
    now = uow.now()
    in_days = (Ticket.hall_id == hall.id) & Ticket.service_day.between(first, last)
    open_tickets: dict[date, list[int]] = defaultdict(list)
    for ticket_id, day in uow.session.execute(
        select(Ticket.id, Ticket.service_day).where(in_days, Ticket.status.not_in(ENDED)).order_by(Ticket.id)
    ):
        open_tickets[day].append(ticket_id)
    ended = in_days & Ticket.status.in_(ENDED)
    # day → (grouping, group id) → its tickets. A department's tickets are read from its
    # items' rows (the item may move to another department), its ratings from its own.
    tallies: dict[date, dict[tuple[str, int | None], Tally]] = defaultdict(dict)
    for grouping in (None, *(g for g in GROUPINGS if g != "department")):
        for key, tally in ticket_tallies(uow, ended, grouping, by_day=True).items():
            tallies[key[0]][(grouping or HALL, key[1] if grouping else None)] = tally
    opening = open_time(uow, hall, first, last)
    final_ratings = _final_ratings(uow, hall, first, last, now)
    queue_targets = targets(uow, hall)

    day_rows, rollup_rows = [], []
    for day in days:
        day_opening = opening.get(day, Opening())
        settled, final_at, rules = final_ratings.get(day, (True, None, None))
        ratings = _rating_counts(uow, hall, day) if settled else {}
        groups = set(tallies[day]) | set(ratings)
        groups |= {("window", w) for w in day_opening.by_window} | {
            ("staff", s) for s in day_opening.by_staff
        }
        for grouping, group in groups:
            tally = tallies[day].get((grouping, group), Tally())
            own_time = {"window": day_opening.by_window, "staff": day_opening.by_staff}.get(grouping, {})
            rollup_rows.append(
                {
                    "hall_id": hall.id,
                    "service_day": day,
                    "grouping": grouping,
                    "group_id": group,
                    **{name: getattr(tally, name) for name in (*TALLY_COUNTS, "handling_seconds")},
                    "wait": pack(tally.wait.values()),
                    "handle": pack(tally.handle.values()),
                    "open_us": own_time.get(group, 0) if group is not None else 0,
                    **{
                        f"rating_{name}": ratings.get((grouping, group), {}).get(name, 0)
                        for name in RATING_COUNTS
                    },
                }
            )
        day_rows.append(
            {
                "hall_id": hall.id,
                "service_day": day,
                "built_at": now,
                "open_ticket_ids": open_tickets.get(day, []),
                "targets": queue_targets,
                "hall_open_us": day_opening.hall_us,
                "windows_open_us": day_opening.all_windows_us,
                "ratings_settled": settled,
                "ratings_rules": rules,
                "ratings_final_at": final_at,
            }
        )
    return day_rows, rollup_rows


def _final_ratings(
    uow: UnitOfWork, hall: Hall, first: date, last: date, now: datetime
) -> dict[date, tuple[bool, datetime | None, RatingRules | None]]:
    """For each day with services not yet rated: (whether their ratings are final now, from
    when they may be, the rules that decide it). Days not named have every rating final."""
    rules = rating_rules(hall)
    default_after_days = rules["default_after_days"]
    found: dict[date, tuple[bool, datetime | None, RatingRules | None]] = {}
    for day, keypad_until, requested_at in uow.session.execute(
        select(Evaluation.service_day, func.max(Evaluation.keypad_until), func.max(Evaluation.requested_at))
        .where(Evaluation.hall_id == hall.id, Evaluation.service_day.between(first, last))
        .where(Evaluation.status.in_(OPEN))
        .group_by(Evaluation.service_day)
    ):
        if default_after_days is None:
            final_at = max(keypad_until, requested_at + timedelta(days=rules["phone_days"]))
            found[day] = (now > final_at, final_at, rules)
        else:  # final once the sweeper has given them the default
            found[day] = (False, requested_at + timedelta(days=default_after_days), rules)
    return found


def _rating_counts(uow: UnitOfWork, hall: Hall, day: date) -> dict[tuple[str, int | None], dict[str, int]]:
    """The day's rating counts for the hall and each group (the cases left out)."""
    total, groups = evaluation_figures.tally(uow, hall, day, day)
    counts: dict[tuple[str, int | None], evaluation_figures.Figures] = {(HALL, None): total}
    for grouping in GROUPINGS:
        counts |= {(grouping, group): figures for group, figures in groups[grouping].items()}
    return {key: counts_of(figures, RATING_COUNTS) for key, figures in counts.items() if figures.served}


def _replace(
    uow: UnitOfWork, hall_id: int, days: list[date], day_rows: list[dict[str, Any]], rollup_rows: list[dict]
) -> None:
    for model in (StatsRollup, StatsDay):
        uow.session.execute(delete(model).where(model.hall_id == hall_id, model.service_day.in_(days)))
    if day_rows:
        uow.session.execute(insert(StatsDay.__table__), day_rows)
    if rollup_rows:
        uow.session.execute(insert(StatsRollup.__table__), rollup_rows)


def _snapshot(uow: UnitOfWork) -> None:
    """Every query of the build sees the same moment (SQLite's read transactions already do)."""
    if uow.is_postgres:
        uow.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _hall(uow: UnitOfWork, hall_id: int) -> Hall:
    hall = uow.session.get(Hall, hall_id)
    assert hall is not None
    return hall


def _batches(first: date, last: date) -> Iterator[list[date]]:
    days = _days(first, last)
    for start in range(0, len(days), BATCH_DAYS):
        yield days[start : start + BATCH_DAYS]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
