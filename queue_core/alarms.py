"""Alarms (超时预警) for the managers' dashboard: a ticket waiting longer than its queue's
target, a queue with many waiting for few open windows, a window paused too long, a service
running far over the item's usual time, a printer fault and a bad rating.

Each alarm is about one subject ("ticket:123", "queue:A", "window:3", "printer:K1",
"evaluation:45"), and at most one alarm per (kind, subject) is open at a time: raising it again
while it is open does nothing. An alarm whose condition is gone is cleared; it is kept, with
the time it cleared. A manager acknowledges an alarm (确认): that records who and when, and
the alarm stays open as long as its condition holds.

Alarms of one kind about one queue or window make one **incident** (``incident_of``): thirty
tickets over their target in queue A are one incident "queue:A" with a count and a since-when,
acknowledged together (``acknowledge_incident``), or with every incident of their kind at once
(全部确认). An incident escalates on the dashboard when it holds ESCALATE_COUNT alarms or more,
when it has waited ESCALATE_MINUTES unacknowledged, or when it grew after it was acknowledged;
it closes itself as its alarms clear.

Printer faults and bad ratings are raised as they happen (by the printing service and by
``evaluations``); the conditions that depend on time are checked by ``sweep``, which the
server's sweeper calls every ``scan_seconds``: ``pending`` (a read) says whether anything is
to be raised or cleared, and ``sweep`` (in a write transaction) does it. Several processes may
sweep at once: an alarm is inserted only when no open one exists, a unique index on the open
alarms stops a second insert that raced past that check, and clearing and acknowledging are
status-checked updates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .checked import rowcount
from .errors import InvalidState, NotFound
from .events import AlarmChanged
from .hall_calendar import elapsed
from .invariants import violations
from .models import (
    Alarm,
    AlarmKind,
    CaseStage,
    Evaluation,
    EvaluationCase,
    Hall,
    Queue,
    Staff,
    Ticket,
    TicketStatus,
    Window,
    WindowQueue,
    WindowStatus,
)
from .numbering import day_start, service_day
from .spec import AlarmSpec

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

MEDIAN_DAYS = 30  # a service's usual time: the median of the last 30 days ...
MEDIAN_SAMPLES = 10  # ... over at least this many services, else none is known
RELIEF = 0.8  # an overloaded queue's alarm clears below 80 % of the threshold (no flapping)
LEVEL_WORDS = {1: "非常不满意", 2: "不满意"}
ESCALATE_COUNT = 10  # an incident of this many alarms is escalated on the dashboard ...
ESCALATE_MINUTES = 30  # ... and so is one left unacknowledged this long
# The kinds whose alarms are about a ticket gather by its queue or by its window.
GATHERED_BY = {
    AlarmKind.WAIT_OVER_TARGET: "queue",
    AlarmKind.SERVICE_TOO_LONG: "window",
    AlarmKind.BAD_RATING: "window",
}
SWEPT = (
    AlarmKind.WAIT_OVER_TARGET,
    AlarmKind.QUEUE_OVERLOADED,
    AlarmKind.PAUSE_TOO_LONG,
    AlarmKind.SERVICE_TOO_LONG,
    AlarmKind.INVARIANT_BROKEN,
)


@dataclass(frozen=True)
class Candidate:
    """An alarm a condition calls for: what the row will say if it is raised."""

    kind: str
    subject: str
    label: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


# -- raising, clearing, acknowledging ------------------------------------------------------


def open_alarm(uow: UnitOfWork, hall: Hall, kind: str, subject: str) -> Alarm | None:
    return uow.session.scalar(
        select(Alarm).where(
            Alarm.hall_id == hall.id, Alarm.kind == kind, Alarm.subject == subject, Alarm.cleared_at.is_(None)
        )
    )


def raise_alarm(uow: UnitOfWork, hall: Hall, candidate: Candidate) -> Alarm | None:
    """The new alarm, or None when one is open already for its kind and subject."""
    if open_alarm(uow, hall, candidate.kind, candidate.subject) is not None:
        return None
    alarm = Alarm(
        hall_id=hall.id,
        kind=candidate.kind,
        subject=candidate.subject,
        label=candidate.label[:80],
        message=candidate.message[:300],
        detail=candidate.detail,
        raised_at=uow.now(),
    )
    try:
        with uow.session.begin_nested():  # another process raised it just now: theirs stands
            uow.session.add(alarm)
            uow.session.flush()
    except IntegrityError:
        return None
    uow.record(as_event(alarm))
    return alarm


def clear(uow: UnitOfWork, alarm: Alarm) -> bool:
    """Its condition is gone: cleared (and kept). False when it was cleared already."""
    now = uow.now()
    result = uow.session.execute(
        update(Alarm)
        .where(Alarm.id == alarm.id, Alarm.cleared_at.is_(None))
        .values(cleared_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return False
    uow.session.refresh(alarm)
    uow.record(as_event(alarm))
    return True


def clear_about(uow: UnitOfWork, hall: Hall, kind: str, subjects: list[str]) -> int:
    """Clear the open alarms of this kind about these subjects (their cause was just mended)."""
    found = uow.session.scalars(
        select(Alarm).where(
            Alarm.hall_id == hall.id,
            Alarm.kind == kind,
            Alarm.subject.in_(subjects),
            Alarm.cleared_at.is_(None),
        )
    )
    return sum(clear(uow, alarm) for alarm in list(found))


def acknowledge(uow: UnitOfWork, hall: Hall, alarm_id: int, staff_id: int) -> Alarm:
    """A manager has seen the alarm (确认). Once: a second acknowledgement is refused, naming
    who was first."""
    alarm = alarm_by_id(uow, hall, alarm_id)
    result = uow.session.execute(
        update(Alarm)
        .where(Alarm.id == alarm.id, Alarm.acknowledged_at.is_(None))
        .values(acknowledged_at=uow.now(), acknowledged_by=staff_id)
        .execution_options(synchronize_session=False)
    )
    uow.session.refresh(alarm)
    if rowcount(result) != 1:
        who = alarm.acknowledger.name if alarm.acknowledger else "someone"
        raise InvalidState(f"alarm {alarm.id} was already acknowledged by {who}")
    _after_acknowledging(uow, alarm)
    return alarm


def acknowledge_incident(
    uow: UnitOfWork, hall: Hall, kind: AlarmKind, incident: str | None, staff_id: int
) -> list[Alarm]:
    """A manager has seen an incident: every open alarm of it not acknowledged yet is, in one
    statement; with no incident, every open alarm of the kind (全部确认). The alarms
    acknowledged, none when someone was first."""
    found = uow.session.scalars(
        select(Alarm).where(
            Alarm.hall_id == hall.id,
            Alarm.kind == kind,
            Alarm.cleared_at.is_(None),
            Alarm.acknowledged_at.is_(None),
        )
    )
    wanted = [a.id for a in found if incident is None or incident_of(a.kind, a.subject, a.detail) == incident]
    if not wanted:
        return []
    now = uow.now()
    taken = uow.session.scalars(
        update(Alarm)
        .where(Alarm.id.in_(wanted), Alarm.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=staff_id)
        .returning(Alarm.id)
        .execution_options(synchronize_session=False)
    ).all()
    acknowledged = list(uow.session.scalars(select(Alarm).where(Alarm.id.in_(taken)).order_by(Alarm.id)))
    for alarm in acknowledged:
        uow.session.refresh(alarm)
        _after_acknowledging(uow, alarm)
    return acknowledged


def _after_acknowledging(uow: UnitOfWork, alarm: Alarm) -> None:
    if alarm.kind == AlarmKind.HELP_REQUESTED:  # someone is on the way: the call is answered
        clear(uow, alarm)
    uow.record(as_event(alarm))


def incident_of(kind: str, subject: str, detail: dict[str, Any]) -> str:
    """The incident an alarm belongs to: its ticket's queue or window for the kinds about
    tickets (GATHERED_BY), else its own subject."""
    by = GATHERED_BY.get(AlarmKind(kind))
    if by is not None and detail.get(by) is not None:
        return f"{by}:{detail[by]}"
    return subject


def answer_help(uow: UnitOfWork, hall: Hall, alarm_id: int, staff_id: int) -> Alarm:
    """A guide answers a kiosk's 求助 (我去处理): acknowledged in their name, which clears it.
    Guides answer help calls only; the other alarms are the managers'."""
    if alarm_by_id(uow, hall, alarm_id).kind != AlarmKind.HELP_REQUESTED:
        raise NotFound(f"no help call {alarm_id}")
    return acknowledge(uow, hall, alarm_id, staff_id)


def help_calls(uow: UnitOfWork, hall: Hall) -> list[Alarm]:
    """The kiosks' 求助 calls nobody has answered yet, newest first."""
    stmt = select(Alarm).where(
        Alarm.hall_id == hall.id, Alarm.kind == AlarmKind.HELP_REQUESTED, Alarm.cleared_at.is_(None)
    )
    return list(uow.session.scalars(stmt.order_by(Alarm.raised_at.desc(), Alarm.id.desc())))


def alarm_by_id(uow: UnitOfWork, hall: Hall, alarm_id: int) -> Alarm:
    alarm = uow.session.get(Alarm, alarm_id)
    if alarm is None or alarm.hall_id != hall.id:
        raise NotFound(f"no alarm {alarm_id}")
    return alarm


def state_of(alarm: Alarm) -> str:
    if alarm.cleared_at is not None:
        return "cleared"
    return "acknowledged" if alarm.acknowledged_at is not None else "open"


def as_event(alarm: Alarm) -> AlarmChanged:
    return AlarmChanged(
        hall_id=alarm.hall_id,
        id=alarm.id,
        kind=alarm.kind,
        subject=alarm.subject,
        incident=incident_of(alarm.kind, alarm.subject, alarm.detail),
        label=alarm.label,
        message=alarm.message,
        detail=alarm.detail,
        state=state_of(alarm),
        raised_at=alarm.raised_at,
        acknowledged_at=alarm.acknowledged_at,
        acknowledged_by=alarm.acknowledger.name if alarm.acknowledger else None,
        cleared_at=alarm.cleared_at,
    )


def listing(uow: UnitOfWork, hall: Hall, *, open_only: bool = False, limit: int = 200) -> list[Alarm]:
    """Newest first: the open ones (open_only), or every alarm."""
    stmt = select(Alarm).where(Alarm.hall_id == hall.id)
    if open_only:
        stmt = stmt.where(Alarm.cleared_at.is_(None))
    return list(uow.session.scalars(stmt.order_by(Alarm.raised_at.desc(), Alarm.id.desc()).limit(limit)))


def for_dashboard(uow: UnitOfWork, hall: Hall, limit: int = 500) -> list[Alarm]:
    """What the dashboard lists: every open alarm and those raised today, newest first."""
    today = day_start(hall, uow.now())
    stmt = (
        select(Alarm)
        .where(Alarm.hall_id == hall.id, or_(Alarm.cleared_at.is_(None), Alarm.raised_at >= today))
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(limit)
    )
    return list(uow.session.scalars(stmt))


# -- as things happen ----------------------------------------------------------------------


def bad_rating(uow: UnitOfWork, hall: Hall, evaluation: Evaluation, window: Window) -> Alarm | None:
    """A citizen rated a service badly: the alarm names the ticket, the window and the clerk.
    It clears once the rating's follow-up case is past verification (核实)."""
    if not AlarmSpec.of_hall(hall).bad_rating:
        return None
    ticket, clerk = evaluation.ticket, evaluation.clerk
    score = evaluation.score or 0
    level = LEVEL_WORDS.get(score, str(score))
    who = f"{clerk.name}（工号 {clerk.badge}）" if clerk else "无人签到"
    reasons = "、".join(evaluation.reasons)
    message = f"{window.name} {who}办理的 {ticket.number} 被评为{level}" + (f"：{reasons}" if reasons else "")
    detail = {
        "evaluation_id": evaluation.id,
        "ticket_id": ticket.id,
        "number": ticket.number,
        "window": window.number,
        "window_name": window.name,
        "clerk": clerk.name if clerk else None,
        "badge": clerk.badge if clerk else None,
        "score": score,
        "reasons": list(evaluation.reasons),
        "comment": evaluation.comment,
    }
    candidate = Candidate(AlarmKind.BAD_RATING, f"evaluation:{evaluation.id}", ticket.number, message, detail)
    return raise_alarm(uow, hall, candidate)


def help_requested(uow: UnitOfWork, hall: Hall, kiosk_id: str, kiosk_name: str) -> Alarm | None:
    """A citizen tapped 求助 on the kiosk: the alarm names it, and clears when a manager or
    guide acknowledges it (someone is on the way). None while one is open for it already."""
    where = kiosk_name or f"取号机 {kiosk_id}"
    candidate = Candidate(
        AlarmKind.HELP_REQUESTED,
        f"kiosk:{kiosk_id}",
        where,
        f"{where}（{kiosk_id}）有群众求助，请引导员前往协助",
        {"kiosk": kiosk_id, "kiosk_name": kiosk_name},
    )
    return raise_alarm(uow, hall, candidate)


def printer_needs_write(uow: UnitOfWork, hall: Hall, printer: str, fault: bool) -> bool:
    """Whether printer_changed would raise or clear anything (a read, before a write)."""
    wanted = fault and AlarmSpec.of_hall(hall).printer_fault
    return wanted != (open_alarm(uow, hall, AlarmKind.PRINTER_FAULT, f"printer:{printer}") is not None)


def printer_changed(
    uow: UnitOfWork, hall: Hall, printer: str, kiosk: str, status: str, fault: bool, error: str | None
) -> bool:
    """A printer's state changed: a fault raises its alarm, back to working clears it."""
    subject = f"printer:{printer}"
    if fault and AlarmSpec.of_hall(hall).printer_fault:
        message = f"取号机 {kiosk} 的打印机 {printer} 故障：{status}" + (f"（{error}）" if error else "")
        detail = {"printer": printer, "kiosk": kiosk, "status": status, "error": error}
        return (
            raise_alarm(uow, hall, Candidate(AlarmKind.PRINTER_FAULT, subject, printer, message, detail))
            is not None
        )
    alarm = open_alarm(uow, hall, AlarmKind.PRINTER_FAULT, subject)
    return alarm is not None and clear(uow, alarm)


# -- the time-based conditions, checked by the sweeper ------------------------------------


def pending(uow: UnitOfWork, hall: Hall) -> bool:
    """Whether sweep has anything to raise or clear (a read transaction suffices)."""
    to_raise, to_clear = _diff(uow, hall)
    return bool(to_raise or to_clear)


def sweep(uow: UnitOfWork, hall: Hall) -> int:
    """Raise what the conditions call for and clear what they no longer do; how many."""
    to_raise, to_clear = _diff(uow, hall)
    changed = sum(raise_alarm(uow, hall, c) is not None for c in to_raise)
    return changed + sum(clear(uow, alarm) for alarm in to_clear)


def _diff(uow: UnitOfWork, hall: Hall) -> tuple[list[Candidate], list[Alarm]]:
    rules = AlarmSpec.of_hall(hall)
    now = uow.now()
    open_rows = list(
        uow.session.scalars(select(Alarm).where(Alarm.hall_id == hall.id, Alarm.cleared_at.is_(None)))
    )
    open_keys = {(a.kind, a.subject) for a in open_rows}
    wanted: dict[tuple[str, str], Candidate] = {}
    if rules.wait_over_target:
        wanted |= _keyed(_waits_over_target(uow, hall, now))
    if rules.queue_waiting_per_window > 0:
        wanted |= _keyed(_overloaded_queues(uow, hall, rules.queue_waiting_per_window, open_keys))
    if rules.pause_minutes > 0:
        wanted |= _keyed(_long_pauses(uow, hall, now, rules.pause_minutes))
    if rules.service_over_factor > 0:
        wanted |= _keyed(_long_services(uow, hall, now, rules.service_over_factor))
    # Always checked: a broken invariant is a defect to see and mend, not a rule of the hall.
    wanted |= _keyed(
        [
            Candidate(AlarmKind.INVARIANT_BROKEN, v.subject, v.label, v.message, v.detail)
            for v in violations(uow, hall)
        ]
    )
    to_raise = [c for key, c in wanted.items() if key not in open_keys]
    to_clear = [a for a in open_rows if a.kind in SWEPT and (a.kind, a.subject) not in wanted]
    # Raised as they happen, cleared here: a bad rating once verified, and any alarm the hall
    # has since turned off.
    to_clear += _verified_ratings(uow, [a for a in open_rows if a.kind == AlarmKind.BAD_RATING])
    off = {AlarmKind.BAD_RATING: not rules.bad_rating, AlarmKind.PRINTER_FAULT: not rules.printer_fault}
    to_clear += [a for a in open_rows if off.get(AlarmKind(a.kind)) and a not in to_clear]
    return to_raise, to_clear


def _keyed(candidates: list[Candidate]) -> dict[tuple[str, str], Candidate]:
    return {(c.kind, c.subject): c for c in candidates}


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def _waits_over_target(uow: UnitOfWork, hall: Hall, now: datetime) -> list[Candidate]:
    rows = uow.session.execute(
        select(Ticket.id, Ticket.number, Ticket.issued_at, Queue.code, Queue.name, Queue.target_wait_minutes)
        .join(Queue, Queue.id == Ticket.queue_id)
        .where(Ticket.hall_id == hall.id, Ticket.service_day == service_day(hall, now))
        .where(Ticket.status == TicketStatus.WAITING)
    )
    found = []
    for ticket_id, number, issued_at, code, name, target in rows:
        # Open time only where the hall keeps its hours: nothing is raised over lunch.
        waited = elapsed(hall, issued_at, now).total_seconds()
        if waited > target * 60:
            message = f"{number} 已等候 {_minutes(waited)} 分钟，超过{name}的目标 {target} 分钟"
            detail = {"number": number, "queue": code, "queue_name": name, "minutes": _minutes(waited),
                      "target": target, "issued_at": issued_at.isoformat()}  # fmt: skip
            found.append(
                Candidate(AlarmKind.WAIT_OVER_TARGET, f"ticket:{ticket_id}", number, message, detail)
            )
    return found


def _overloaded_queues(
    uow: UnitOfWork, hall: Hall, per_window: float, open_keys: set[tuple[str, str]]
) -> list[Candidate]:
    day = service_day(hall, uow.now())
    waiting = dict(
        uow.session.execute(
            select(Ticket.queue_id, func.count())
            .where(
                Ticket.hall_id == hall.id, Ticket.service_day == day, Ticket.status == TicketStatus.WAITING
            )
            .group_by(Ticket.queue_id)
        ).all()
    )
    if not waiting:
        return []
    windows = dict(
        uow.session.execute(
            select(WindowQueue.queue_id, func.count())
            .join(Window, Window.id == WindowQueue.window_id)
            .where(Window.hall_id == hall.id, Window.status == WindowStatus.OPEN)
            .group_by(WindowQueue.queue_id)
        ).all()
    )
    queues = uow.session.scalars(select(Queue).where(Queue.id.in_(list(waiting))))
    found = []
    for queue in queues:
        n, open_windows = waiting[queue.id], windows.get(queue.id, 0)
        subject = f"queue:{queue.code}"
        limit = per_window * (RELIEF if (AlarmKind.QUEUE_OVERLOADED, subject) in open_keys else 1)
        if open_windows and n / open_windows <= limit:
            continue
        if open_windows:
            message = f"{queue.name}（{queue.code}）{n} 人等候，仅 {open_windows} 个窗口开放"
        else:
            message = f"{queue.name}（{queue.code}）{n} 人等候，没有开放的窗口"
        detail = {"queue": queue.code, "queue_name": queue.name, "waiting": n, "windows": open_windows,
                  "per_window": per_window}  # fmt: skip
        found.append(Candidate(AlarmKind.QUEUE_OVERLOADED, subject, queue.code, message, detail))
    return found


def _long_pauses(uow: UnitOfWork, hall: Hall, now: datetime, minutes: float) -> list[Candidate]:
    windows = uow.session.scalars(
        select(Window).where(Window.hall_id == hall.id, Window.status == WindowStatus.PAUSED)
    )
    found = []
    for window in windows:
        if window.status_since is None:
            continue
        paused = elapsed(hall, window.status_since, now).total_seconds()
        if paused <= minutes * 60:
            continue
        reason = window.pause_reason or ""
        message = f"{window.name}暂停" + (f"（{reason}）" if reason else "") + f"已 {_minutes(paused)} 分钟"
        detail = {"window": window.number, "window_name": window.name, "reason": reason,
                  "minutes": _minutes(paused), "since": window.status_since.isoformat(),
                  "clerk": window.clerk.name if window.clerk else None, "limit": minutes}  # fmt: skip
        found.append(
            Candidate(AlarmKind.PAUSE_TOO_LONG, f"window:{window.number}", window.name, message, detail)
        )
    return found


def _long_services(uow: UnitOfWork, hall: Hall, now: datetime, factor: float) -> list[Candidate]:
    serving = uow.session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.started_at,
            Ticket.item_id,
            Ticket.queue_id,
            Window.number,
            Window.name,
            Staff.name,
        )
        .join(Window, Window.id == Ticket.window_id)
        .outerjoin(Staff, Staff.id == func.coalesce(Ticket.clerk_id, Window.clerk_id))
        .where(Ticket.hall_id == hall.id, Ticket.service_day == service_day(hall, now))
        .where(Ticket.status == TicketStatus.SERVING, Ticket.started_at.is_not(None))
    ).all()
    if not serving:
        return []
    today = service_day(hall, now)
    item_medians = usual_seconds(uow, hall, today, Ticket.item_id, {r[3] for r in serving if r[3]})
    queue_medians = usual_seconds(uow, hall, today, Ticket.queue_id, {r[4] for r in serving})
    found = []
    for ticket_id, number, started_at, item_id, queue_id, window, window_name, clerk in serving:
        usual = item_medians.get(item_id) if item_id else None
        usual = usual or queue_medians.get(queue_id)
        if not usual or started_at is None:  # (serving tickets have started)
            continue
        running = elapsed(hall, started_at, now).total_seconds()
        if running <= factor * usual:
            continue
        message = (
            f"{window_name} {number} 已办理 {_minutes(running)} 分钟，"
            f"超过通常用时 {max(1, round(usual / 60))} 分钟的 {factor:g} 倍"
        )
        detail = {"number": number, "window": window, "window_name": window_name, "clerk": clerk,
                  "minutes": _minutes(running), "usual_minutes": max(1, round(usual / 60)),
                  "factor": factor}  # fmt: skip
        found.append(Candidate(AlarmKind.SERVICE_TOO_LONG, f"ticket:{ticket_id}", number, message, detail))
    return found


def usual_seconds(uow: UnitOfWork, hall: Hall, today: date, column: Any, keys: set[int]) -> dict[int, float]:
    """The median handling time of the last MEDIAN_DAYS days per item (or queue) among `keys`,
    where at least MEDIAN_SAMPLES services were finished; from one histogram query."""
    if not keys:
        return {}
    rows = uow.session.execute(
        select(column, Ticket.handle_seconds, func.count())
        .where(Ticket.hall_id == hall.id, column.in_(keys))
        .where(Ticket.service_day > today - timedelta(days=MEDIAN_DAYS), Ticket.service_day <= today)
        .where(Ticket.status == TicketStatus.FINISHED, Ticket.handle_seconds.is_not(None))
        .group_by(column, Ticket.handle_seconds)
    )
    histograms: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key, seconds, n in rows:
        histograms[key].append((seconds, n))
    medians = {}
    for key, histogram in histograms.items():
        total = sum(n for _, n in histogram)
        if total >= MEDIAN_SAMPLES:
            medians[key] = _median(sorted(histogram), total)
    return medians


def _median(histogram: list[tuple[int, int]], total: int) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""

    def nth(rank: int) -> int:  # 0-based
        seen = 0
        for value, n in histogram:
            seen += n
            if rank < seen:
                return value
        return histogram[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def _verified_ratings(uow: UnitOfWork, alarms: list[Alarm]) -> list[Alarm]:
    """Bad-rating alarms whose case has moved past verification (or has none)."""
    if not alarms:
        return []
    by_evaluation = {int(a.subject.removeprefix("evaluation:")): a for a in alarms}
    stages = dict(
        uow.session.execute(
            select(EvaluationCase.evaluation_id, EvaluationCase.stage).where(
                EvaluationCase.evaluation_id.in_(list(by_evaluation))
            )
        ).all()
    )
    return [a for e, a in by_evaluation.items() if stages.get(e, CaseStage.CLOSED) != CaseStage.VERIFY]
