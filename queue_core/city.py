"""The city's view (市级监管): every hall sharing the database, with its figures of today, as
the city dashboard shows them. The figures are the managers' dashboard's own (its totals, the
waiting counts of the boards, the ratings' tally), summed up per hall."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from . import dashboard, evaluation_figures
from .events import (
    AlarmChanged,
    DomainEvent,
    EvaluationClosed,
    QueueState,
    TicketCalled,
    TicketChanged,
    TicketIssued,
    WindowState,
)
from .halls import windows_of
from .models import Alarm, AuditCheckpoint, Hall, WindowStatus
from .numbering import service_day
from .snapshots import waiting_counts

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

# The events that may change a hall's figures; the others (print jobs, notices, the keypad's
# question, a case's step) leave them as they are.
CHANGES_FIGURES = (
    TicketIssued,
    TicketCalled,
    TicketChanged,
    QueueState,
    WindowState,
    AlarmChanged,
    EvaluationClosed,
)


def halls_touched(events: Sequence[DomainEvent]) -> list[int]:
    """The ids of the halls whose figures the events of one commit may have changed."""
    return sorted({e.hall_id for e in events if isinstance(e, CHANGES_FIGURES)})


def state(uow: UnitOfWork) -> dict[str, Any]:
    """What the city dashboard shows when it (re)connects: every hall, by name."""
    halls = uow.session.scalars(select(Hall).order_by(Hall.name, Hall.id))
    return {"now": uow.now().isoformat(), "halls": [figures(uow, hall) for hall in halls]}


def figures(uow: UnitOfWork, hall: Hall) -> dict[str, Any]:
    """The hall's day so far: its queue, its windows, its waits, its alarms and bad ratings.
    The longest current wait is given as the issue time of the longest-waiting ticket, so
    that a screen shows it growing without asking again."""
    today = service_day(hall, uow.now())
    totals = dashboard.totals(uow, hall, today)
    windows = windows_of(uow, hall.id)
    oldest = min((since for _, since in waiting_counts(uow, hall.id).values()), default=None)
    ratings, _ = evaluation_figures.tally(uow, hall, today, today, by=())
    checkpoint = uow.session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.hall_id == hall.id)
        .order_by(AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    open_alarms = uow.session.scalar(
        select(func.count())
        .select_from(Alarm)
        .where(Alarm.hall_id == hall.id, Alarm.cleared_at.is_(None), Alarm.acknowledged_at.is_(None))
    )
    return {
        "hall_id": hall.id,
        "code": hall.code,
        "name": hall.name,
        "waiting": totals["waiting"],
        "serving": totals["serving"],
        "served": totals["served"],
        "no_show": totals["no_show"],
        "windows_open": sum(1 for w in windows if w.status == WindowStatus.OPEN),
        "windows": len(windows),
        "mean_wait_seconds": totals["mean_wait_seconds"],
        "longest_waiting_since": oldest.isoformat() if oldest else None,
        "open_alarms": open_alarms or 0,
        "bad_ratings": ratings.as_dict()["bad_count"],
        # The newest signed checkpoint of its audit trail (queue_core.audit_anchors): a hall whose
        # server stopped anchoring shows an old time.
        "audit_checkpoint": {"at": checkpoint.at.isoformat(), "entries": checkpoint.entries}
        if checkpoint
        else None,
    }
