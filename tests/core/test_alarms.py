"""Alarms (超时预警) in the core: each condition raises its alarm once its threshold is passed
(not at it), raises it once however often it is checked, clears it when the condition is gone
and keeps it; acknowledging records who, once; several sweepers raise an alarm once."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from queue_core import alarms, cases, evaluations
from queue_core.calling import call_next, finish, start
from queue_core.errors import InvalidState, NotFound
from queue_core.invariants import violations
from queue_core.models import Alarm, AlarmKind, Outcome, Ticket, TicketStatus
from queue_core.spec import AlarmSpec
from queue_core.ticketing import issue_ticket
from queue_core.windows import pause, reset, resume
from tests.conftest import make_hall, small_hall_spec, staff_id
from tests.core.helpers import issue, open_windows

# The raising, the race and acknowledging run on both databases a hall may use.
both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

OFF = {
    "wait_over_target": False,
    "queue_waiting_per_window": 0,
    "pause_minutes": 0,
    "service_over_factor": 0,
    "printer_fault": False,
    "bad_rating": False,
}


def hall_with(db, **rules):
    spec = small_hall_spec(windows=3)
    spec.alarms = AlarmSpec.model_validate(OFF | rules)
    return make_hall(db, spec)


def sweep(db, hall) -> int:
    with db.read() as uow:
        due = alarms.pending(uow, hall)
    with db.write() as uow:
        changed = alarms.sweep(uow, hall)
    assert due == bool(changed)
    return changed


def all_alarms(db, hall) -> list[Alarm]:
    with db.read() as uow:
        return list(reversed(alarms.listing(uow, hall)))


def alarm_events(published) -> list[tuple[str, str, str]]:
    return [(e.kind, e.subject, e.state) for e in published.events if e.name == "alarm"]


def test_the_defaults_and_a_bad_setting():
    rules = AlarmSpec()
    assert (rules.wait_over_target, rules.queue_waiting_per_window, rules.pause_minutes) == (True, 15, 20)
    assert (rules.service_over_factor, rules.printer_fault, rules.bad_rating) == (3.0, True, True)
    with pytest.raises(ValueError, match="at least 1 times"):
        AlarmSpec(service_over_factor=0.5)


def test_a_ticket_waiting_longer_than_its_queues_target(db, clock, published):
    hall = hall_with(db, wait_over_target=True)
    open_windows(db, hall, 1)
    issue(db, hall, "A")  # the queue's target is 30 minutes
    clock.advance(minutes=30)
    assert sweep(db, hall) == 0
    clock.advance(seconds=1)
    published.events.clear()
    assert sweep(db, hall) == 1
    (alarm,) = all_alarms(db, hall)
    assert (alarm.kind, alarm.label, alarm.cleared_at) == (AlarmKind.WAIT_OVER_TARGET, "A001", None)
    assert alarm.message == "A001 已等候 30 分钟，超过户籍业务的目标 30 分钟"
    assert alarm.detail["queue"] == "A" and alarm.detail["target"] == 30
    assert alarm_events(published) == [("wait_over_target", alarm.subject, "open")]
    clock.advance(minutes=5)
    assert sweep(db, hall) == 0  # still waiting: the one alarm stays, no second one

    with db.write() as uow:
        call_next(uow, hall, 1, None)
    published.events.clear()
    assert sweep(db, hall) == 1
    (alarm,) = all_alarms(db, hall)
    assert alarm.cleared_at == clock.now()  # kept, cleared
    assert alarm_events(published) == [("wait_over_target", alarm.subject, "cleared")]


@both_databases
def test_a_queue_with_many_waiting_for_few_windows_and_one_with_none(db, clock):
    hall = hall_with(db, queue_waiting_per_window=2)
    issue(db, hall, "B")
    assert sweep(db, hall) == 1  # waiting, and no window open for B
    (none_open,) = all_alarms(db, hall)
    assert none_open.message == "社保业务（B）1 人等候，没有开放的窗口"
    open_windows(db, hall, 1)
    assert sweep(db, hall) == 1  # 1 waiting for 1 window: cleared
    assert all_alarms(db, hall)[0].cleared_at is not None

    issue(db, hall, "B")
    assert sweep(db, hall) == 0  # 2 waiting for window 1 (it serves A and B): 2 is not above 2
    issue(db, hall, "B")
    assert sweep(db, hall) == 1
    overloaded = all_alarms(db, hall)[-1]
    assert overloaded.detail == {
        "queue": "B", "queue_name": "社保业务", "waiting": 3, "windows": 1, "per_window": 2.0,
    }  # fmt: skip
    assert overloaded.message == "社保业务（B）3 人等候，仅 1 个窗口开放"
    # It clears only below 80 % of the threshold, so that a queue at the limit does not flap.
    with db.write() as uow:
        call_next(uow, hall, 1, None)
        start(uow, hall, 1, None)
    with db.write() as uow:
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    assert sweep(db, hall) == 0  # 2 waiting: 2 > 1.6
    with db.write() as uow:
        call_next(uow, hall, 1, None)
    assert sweep(db, hall) == 1  # 1 waiting
    assert [a.cleared_at is not None for a in all_alarms(db, hall)] == [True, True]


@both_databases
def test_a_window_paused_too_long_acknowledged_then_cleared(db, clock, published):
    hall = hall_with(db, pause_minutes=20)
    open_windows(db, hall, 2)
    with db.write() as uow:
        pause(uow, hall, 2, None, "会议")
    clock.advance(minutes=20)
    assert sweep(db, hall) == 0
    clock.advance(seconds=1)
    assert sweep(db, hall) == 1
    (alarm,) = all_alarms(db, hall)
    assert (alarm.subject, alarm.label) == ("window:2", "2号窗口")
    assert alarm.message == "2号窗口暂停（会议）已 20 分钟"
    assert alarm.detail["clerk"] == "办事员2"

    boss = staff_id(db, "clerk9")
    published.events.clear()
    with db.write() as uow:
        acknowledged = alarms.acknowledge(uow, hall, alarm.id, boss)
        assert alarms.state_of(acknowledged) == "acknowledged"
    (event,) = published.events
    assert (event.name, event.state, event.acknowledged_by) == ("alarm", "acknowledged", "办事员9")
    with db.write() as uow, pytest.raises(InvalidState, match="already acknowledged by 办事员9"):
        alarms.acknowledge(uow, hall, alarm.id, staff_id(db, "clerk10"))
    with db.write() as uow, pytest.raises(NotFound):
        alarms.acknowledge(uow, hall, alarm.id + 100, boss)
    clock.advance(minutes=10)
    assert sweep(db, hall) == 0  # acknowledged, still paused: open, not raised again

    with db.write() as uow:
        resume(uow, hall, 2, None)
    assert sweep(db, hall) == 1
    with db.write() as uow:
        pause(uow, hall, 2, None, "休息")
    clock.advance(minutes=21)
    assert sweep(db, hall) == 1  # a new pause, a new alarm; the first is kept
    first, second = all_alarms(db, hall)
    assert (first.cleared_at is not None, first.acknowledged_by) == (True, boss)
    assert (second.cleared_at, second.acknowledged_at, second.detail["reason"]) == (None, None, "休息")


def serve_for(db, hall, window: int, queue: str, minutes: float) -> None:
    with db.write() as uow:
        issue_ticket(uow, hall, queue_code=queue)
    with db.write() as uow:
        call_next(uow, hall, window, None)
        start(uow, hall, window, None)
    db.clock.advance(minutes=minutes)
    with db.write() as uow:
        finish(uow, hall, window, None, Outcome.COMPLETED)


@both_databases
def test_a_service_running_far_over_the_usual_time(db, clock):
    hall = hall_with(db, service_over_factor=3)
    open_windows(db, hall, 1)
    for minutes in (1, 2, 2, 2, 2, 2, 3, 3, 3):
        serve_for(db, hall, 1, "A", minutes)
    # Nine services of A: no usual time yet.
    with db.write() as uow:
        issue_ticket(uow, hall, queue_code="A")
    with db.write() as uow:
        call_next(uow, hall, 1, None)
        start(uow, hall, 1, None)
    clock.advance(hours=2)
    assert sweep(db, hall) == 0
    with db.write() as uow:
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    # Ten now: the median of 1,2,2,2,2,2,3,3,3,120 minutes is 2 minutes.
    with db.write() as uow:
        issue_ticket(uow, hall, queue_code="A")
    with db.write() as uow:
        call_next(uow, hall, 1, None)
        start(uow, hall, 1, None)
    clock.advance(minutes=6)
    assert sweep(db, hall) == 0
    clock.advance(seconds=1)
    assert sweep(db, hall) == 1
    (alarm,) = all_alarms(db, hall)
    assert alarm.message == "1号窗口 A011 已办理 6 分钟，超过通常用时 2 分钟的 3 倍"
    assert (alarm.kind, alarm.detail["clerk"]) == (AlarmKind.SERVICE_TOO_LONG, "办事员1")
    with db.write() as uow:
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    assert sweep(db, hall) == 1
    assert all_alarms(db, hall)[0].cleared_at is not None


def test_the_median_of_a_histogram():
    assert alarms._median([(60, 1), (120, 2)], 3) == 120
    assert alarms._median([(60, 1), (120, 1), (300, 2)], 4) == 210


def test_a_printer_fault_raises_once_and_clears_when_it_prints_again(db, published):
    hall = hall_with(db, printer_fault=True)
    with db.read() as uow:
        assert alarms.printer_needs_write(uow, hall, "K1", fault=True)
        assert not alarms.printer_needs_write(uow, hall, "K1", fault=False)
    with db.write() as uow:
        assert alarms.printer_changed(uow, hall, "K1", "K1", "paper_out", True, None)
    with db.read() as uow:
        assert not alarms.printer_needs_write(uow, hall, "K1", fault=True)
    with db.write() as uow:
        assert not alarms.printer_changed(uow, hall, "K1", "K1", "cover_open", True, None)
    (alarm,) = all_alarms(db, hall)
    assert alarm.message == "取号机 K1 的打印机 K1 故障：paper_out"
    with db.write() as uow:
        assert alarms.printer_changed(uow, hall, "K1", "K1", "ok", False, None)
    assert all_alarms(db, hall)[0].cleared_at is not None
    assert [e[2] for e in alarm_events(published)] == ["open", "cleared"]


def test_printer_faults_turned_off(db):
    hall = hall_with(db)
    with db.read() as uow:
        assert not alarms.printer_needs_write(uow, hall, "K1", fault=True)


def rate_badly(db, hall, window: int = 1):
    open_windows(db, hall, window)
    serve_for(db, hall, window, "A", 3)
    with db.write() as uow:
        return evaluations.rate_at_window(uow, hall, window, f"P{window}", 1, ["服务态度"], "太慢")


def test_a_bad_rating_raises_at_once_and_clears_once_verified(db, published):
    hall = hall_with(db, bad_rating=True)
    evaluation = rate_badly(db, hall)
    (alarm,) = all_alarms(db, hall)
    assert alarm.subject == f"evaluation:{evaluation.id}"
    assert alarm.message == "1号窗口 办事员1（工号 0001）办理的 A001 被评为非常不满意：服务态度"
    assert (alarm.detail["score"], alarm.detail["comment"], alarm.detail["window"]) == (1, "太慢", 1)
    assert "alarm" in [e.name for e in published.events]
    assert sweep(db, hall) == 0  # its case waits for verification
    with db.write() as uow:
        case = uow.session.query(cases.EvaluationCase).one()
        cases.act(uow, hall, case.id, "verify", staff_id(db, "clerk5"), "查实")
    assert sweep(db, hall) == 1
    assert all_alarms(db, hall)[0].cleared_at is not None


def test_bad_rating_alarms_turned_off(db):
    hall = hall_with(db)
    rate_badly(db, hall)
    assert all_alarms(db, hall) == []


@both_databases
def test_two_sweepers_raise_an_alarm_once(db, clock, monkeypatch):
    hall = hall_with(db, pause_minutes=1)
    open_windows(db, hall, 1)
    with db.write() as uow:
        pause(uow, hall, 1, None, "外出")
    clock.advance(minutes=2)
    assert sweep(db, hall) == 1
    # The other process checked before this one committed: its insert meets the unique index,
    # and its transaction goes on without it.
    monkeypatch.setattr(alarms, "open_alarm", lambda *args: None)
    with db.write() as uow:
        candidate = alarms._long_pauses(uow, hall, clock.now(), 1)[0]
        assert alarms.raise_alarm(uow, hall, candidate) is None
    assert len(all_alarms(db, hall)) == 1
    monkeypatch.undo()
    with pytest.raises(IntegrityError), db.write() as uow:
        first = all_alarms(db, hall)[0]
        uow.session.add(Alarm(hall_id=hall.id, kind=first.kind, subject=first.subject, label="",
                              message="", raised_at=clock.now()))  # fmt: skip
        uow.session.flush()


def test_turning_an_alarm_off_clears_the_open_ones(db, clock):
    hall = hall_with(db, bad_rating=True)
    rate_badly(db, hall)
    hall.alarm_rules = dict(OFF)  # as sync_hall writes it when hall.toml turns them off
    assert sweep(db, hall) == 1


def test_the_dashboard_lists_open_alarms_and_todays(db, clock):
    hall = hall_with(db, pause_minutes=1)
    open_windows(db, hall, 1, 2)
    with db.write() as uow:
        pause(uow, hall, 1, None, "外出")
        pause(uow, hall, 2, None, "会议")
    clock.advance(minutes=2)
    assert sweep(db, hall) == 2
    with db.write() as uow:
        resume(uow, hall, 1, None)
    assert sweep(db, hall) == 1
    clock.advance(days=1)
    with db.read() as uow:
        listed = alarms.for_dashboard(uow, hall)
    assert [a.subject for a in listed] == ["window:2"]  # yesterday's cleared one is gone
    with db.read() as uow:
        assert len(alarms.listing(uow, hall)) == 2
        assert [a.subject for a in alarms.listing(uow, hall, open_only=True)] == ["window:2"]


def test_a_window_stuck_on_a_cancelled_ticket_raises_an_alarm_and_a_reset_mends_it(db):
    """The state R-02 left behind (a cancel that raced a call): the sweeper names it, and a
    manager's reset with a reason frees the window, clearing the alarm at once."""
    hall = hall_with(db)
    open_windows(db, hall, 1, 2)
    issue(db, hall)
    called = issue(db, hall)
    with db.write() as uow:
        call_next(uow, hall, 1, None)
        serving = call_next(uow, hall, 2, None)
        assert serving.number == called
    with db.write() as uow:  # what the race wrote: the window's citizen cancelled under it
        uow.session.execute(text("UPDATE ticket SET status = 'cancelled' WHERE number = 'A001'"))
    assert sweep(db, hall) == 1
    (stuck,) = all_alarms(db, hall)
    assert (stuck.kind, stuck.subject, stuck.label) == (AlarmKind.INVARIANT_BROKEN, "window:1", "1号窗口")
    assert stuck.message == "1号窗口的当前号 A001 已是“已取消”：窗口无法继续叫号，请复位窗口"
    assert stuck.detail == {"window": 1, "ticket": "A001", "status": "cancelled", "ticket_window": 1}
    assert sweep(db, hall) == 0  # raised once

    manager = staff_id(db, "clerk3")
    with db.write() as uow:
        reset(uow, hall, 1, manager, "叫号与取消同时发生")
    assert all_alarms(db, hall)[0].cleared_at is not None
    with db.write() as uow:
        with pytest.raises(InvalidState, match="no ticket to clear"):
            reset(uow, hall, 1, manager, "again")
        assert call_next(uow, hall, 1, None) is None  # free again: nobody else waits
    # A window whose citizen is really there: the reset puts them back in line, at their place.
    with db.write() as uow:
        reset(uow, hall, 2, manager, "窗口设备故障，换窗口办理")
    with db.read() as uow:
        back = uow.session.scalar(select(Ticket).where(Ticket.number == called))
        assert (back.status, back.queued_at) == (TicketStatus.WAITING, back.issued_at)
        assert violations(uow, hall) == []
