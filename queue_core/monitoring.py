"""What a monitoring system reads of a hall at one moment (hallq.metrics serves it to
Prometheus): a few aggregate statements over today's rows, read from the database, so that
every process of the hall answers the same truth whichever of them is asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .hall_calendar import HallCalendar
from .models import (
    Hall,
    PrintRecord,
    PrintStatus,
    Queue,
    TicketEvent,
    TicketEventKind,
    Window,
    WindowQueue,
    WindowStatus,
)
from .numbering import day_start, local_time
from .snapshots import waiting_counts

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class QueueFigures:
    code: str
    issued_today: int  # tickets issued into it since the hall's midnight
    called_today: int  # first calls, and calls again after a requeue (recalls are not counted)
    waiting: int
    open_windows: int  # open windows that serve it
    taking_tickets: bool  # within its hours (always, where the hall does not keep hours)


@dataclass(frozen=True)
class HallFigures:
    queues: list[QueueFigures]
    windows: dict[str, int]  # by status, every status present
    print_jobs_today: dict[str, int]  # by status, every status present


def hall_figures(uow: UnitOfWork, hall: Hall) -> HallFigures:
    now = uow.now()
    midnight = day_start(hall, now)
    steps: dict[tuple[int, str], int] = {
        (queue_id, kind): n
        for queue_id, kind, n in uow.session.execute(
            select(TicketEvent.queue_id, TicketEvent.kind, func.count())
            .where(TicketEvent.hall_id == hall.id, TicketEvent.at >= midnight)
            .where(TicketEvent.kind.in_((TicketEventKind.ISSUED, TicketEventKind.CALLED)))
            .group_by(TicketEvent.queue_id, TicketEvent.kind)
        )
    }
    waiting = waiting_counts(uow, hall.id)
    serving = dict(
        uow.session.execute(
            select(WindowQueue.queue_id, func.count())
            .join(Window)
            .where(Window.hall_id == hall.id, Window.status == WindowStatus.OPEN)
            .group_by(WindowQueue.queue_id)
        ).all()
    )
    windows = dict.fromkeys(WindowStatus, 0) | dict(
        uow.session.execute(
            select(Window.status, func.count()).where(Window.hall_id == hall.id).group_by(Window.status)
        ).all()
    )
    print_jobs = dict.fromkeys(PrintStatus, 0) | dict(
        uow.session.execute(
            select(PrintRecord.status, func.count())
            .where(PrintRecord.hall_id == hall.id, PrintRecord.created_at >= midnight)
            .group_by(PrintRecord.status)
        ).all()
    )
    calendar, local = HallCalendar.of_hall(hall), local_time(hall, now)
    queues = uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position))
    return HallFigures(
        queues=[
            QueueFigures(
                code=queue.code,
                issued_today=steps.get((queue.id, TicketEventKind.ISSUED), 0),
                called_today=steps.get((queue.id, TicketEventKind.CALLED), 0),
                waiting=waiting.get(queue.id, (0,))[0],
                open_windows=serving.get(queue.id, 0),
                taking_tickets=not hall.enforce_hours or calendar.closed_now(queue, local) is None,
            )
            for queue in queues
        ],
        windows={str(status): n for status, n in windows.items()},
        print_jobs_today={str(status): n for status, n in print_jobs.items()},
    )
