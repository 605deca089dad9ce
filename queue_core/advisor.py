"""The advisor (潮汐窗口, 弹性窗口): where a queue's expected wait passes its target and a window
whose clerk is signed in could take some of its line, propose that window serve the queue too,
with the wait before and after from the wait model (queue_core.wait_forecast).

A window can spare time when every queue it serves has nobody waiting, or a wait under half
that queue's target. Added, it gives the queue the share of its time the wait model gives any
window: the queue's weight (1) over the weights of its queues with people waiting. Of the
windows that could help a queue, the one that shortens its wait most is proposed; a manager
applies it with one click through the windows × queues grid, and the audit says it was advised."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .models import Hall, Queue, Window, WindowQueue, WindowStatus
from .snapshots import waiting_counts
from .wait_forecast import WaitRange, WindowOfQueue, forecast, hall_windows, handling_figures

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Move:
    """Window `window` should serve queue `queue` too: a ticket taken now would wait `before`
    (None: no window of the queue is open) and, with the window, `after`."""

    queue: str
    queue_name: str
    target_minutes: int
    window: int
    window_name: str
    before: WaitRange | None
    after: WaitRange
    # What the window serves now, in order, with weights: applying the move adds the queue to
    # it, and undoing puts this back.
    window_queues: tuple[dict[str, Any], ...]

    def payload(self) -> dict[str, Any]:
        return asdict(self)


def advise(uow: UnitOfWork, hall: Hall, day: date) -> list[Move]:
    """The moves that would bring an overloaded queue's wait down, at most one per queue, the
    longest waits first. Five statements, whatever the size of the hall."""
    handling = handling_figures(uow, hall.id, day)
    windows_of = hall_windows(uow, hall.id, day)
    waiting = {queue_id: n for queue_id, (n, _oldest) in waiting_counts(uow, hall.id).items()}
    queues = {q.id: q for q in uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id))}
    serves: dict[int, list[int]] = defaultdict(list)
    refs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    signed_in: dict[int, tuple[str, bool]] = {}
    for number, name, idle, queue_id, weight in uow.session.execute(
        select(
            Window.number,
            Window.name,
            Window.current_ticket_id.is_(None),
            WindowQueue.queue_id,
            WindowQueue.weight,
        )
        .join(WindowQueue, WindowQueue.window_id == Window.id)
        .where(Window.hall_id == hall.id, Window.status == WindowStatus.OPEN)
        .order_by(Window.number, WindowQueue.position)
    ):
        serves[number].append(queue_id)
        refs[number].append({"code": queues[queue_id].code, "weight": weight})
        signed_in[number] = (name, bool(idle))

    def wait_now(queue_id: int, windows: list[WindowOfQueue]) -> WaitRange | None:
        figures = handling.get(queue_id)
        return forecast(waiting.get(queue_id, 0), figures, windows) if figures else None

    def can_spare(number: int) -> bool:
        for queue_id in serves[number]:
            if not waiting.get(queue_id):
                continue
            wait = wait_now(queue_id, windows_of.get(queue_id, []))
            if wait is None or wait.median > queues[queue_id].target_wait_minutes * 60 / 2:
                return False
        return True

    moves = []
    for queue_id, queue in queues.items():
        if not waiting.get(queue_id) or queue_id not in handling:
            continue
        own = windows_of.get(queue_id, [])
        before = wait_now(queue_id, own)
        if before is not None and before.median <= queue.target_wait_minutes * 60:
            continue
        best: Move | None = None
        for number, (name, idle) in signed_in.items():
            if queue_id in serves[number] or not can_spare(number):
                continue
            busy = sum(1 for other in serves[number] if waiting.get(other))
            added = WindowOfQueue(number, name, True, idle, 1 / (1 + busy))
            after = wait_now(queue_id, [*own, added])
            if after is None or (before is not None and after.median >= before.median):
                continue
            if best is None or after.median < best.after.median:
                best = Move(
                    queue.code,
                    queue.name,
                    queue.target_wait_minutes,
                    number,
                    name,
                    before,
                    after,
                    tuple(refs[number]),
                )
        if best is not None:
            moves.append(best)
    return sorted(moves, key=lambda m: -(m.before.median if m.before else 10**9))
