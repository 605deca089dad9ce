"""`hallq simulate`: simulated days through the core, checked against the event log they left."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from hallq.simulate import Overseer, copy_day, day_plan, fast_engine, simulate, simulate_day, sized_spec
from queue_core import Database, ManualClock, migrate
from queue_core.calling import call_next
from queue_core.hall_calendar import from_rules
from queue_core.halls import hall_by_code
from queue_core.models import (
    CaseStep,
    Evaluation,
    EvaluationCase,
    EvaluationStatus,
    NumberCounter,
    Queue,
    Ticket,
    TicketEvent,
    TicketStatus,
    Window,
    WindowEvent,
    WindowStatus,
)
from queue_core.setup import set_window_queues, sync_hall
from queue_core.spec import CalendarSpec, HallSpec, QueueRef
from queue_core.ticketing import issue_ticket
from queue_core.windows import sign_in
from tests.conftest import MORNING, _postgres_engine, make_hall, small_hall_spec, staff_by_username
from tests.test_cli import hallq  # noqa: F401 - the CLI fixture

MONDAY = date(2026, 11, 23)
SHANGHAI = ZoneInfo("Asia/Shanghai")
both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def engine(backend, tmp_path):
    """As conftest's, but SQLite opened as `hallq simulate` opens it (synchronous=OFF): a
    simulated day commits once a simulated minute, and waiting for the disk each time is
    most of a small hall's day."""
    if backend != "sqlite":
        (admin, eng), schema = _postgres_engine()
        migrate.upgrade(eng)
        yield eng
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
        return
    eng = fast_engine(f"sqlite:///{tmp_path / 'hall.sqlite'}")
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


def _log(db: Database) -> dict[int, list[TicketEvent]]:
    with db.read() as uow:
        events = uow.session.scalars(select(TicketEvent).order_by(TicketEvent.id)).all()
    by_ticket: dict[int, list[TicketEvent]] = {}
    for e in events:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    return by_ticket


def _tickets(db: Database, day: date | None = None) -> list[Ticket]:
    with db.read() as uow:
        query = select(Ticket).order_by(Ticket.id)
        if day is not None:
            query = query.where(Ticket.service_day == day)
        return list(uow.session.scalars(query))


def test_a_simulated_day_ends_consistent_and_its_report_is_its_log(db, hall):
    report = simulate(db, small_hall_spec(), days=1, tickets_per_day=220, start=MONDAY, seed=3)
    tickets, log = _tickets(db), _log(db)
    with db.read() as uow:
        evaluations = {e.ticket_id: e for e in uow.session.scalars(select(Evaluation))}
        cases = uow.session.scalar(select(func.count()).select_from(EvaluationCase))
        window_log = uow.session.scalars(select(WindowEvent).order_by(WindowEvent.id)).all()
        windows = uow.session.scalars(select(Window)).all()

    assert 150 < report.issued == len(tickets) < 300
    assert {t.service_day for t in tickets} == {MONDAY}
    # Every ticket ended: served, absent or cancelled; none waits, is called or served still.
    assert {t.status for t in tickets} <= {
        TicketStatus.FINISHED,
        TicketStatus.NO_SHOW,
        TicketStatus.CANCELLED,
    }
    for t in tickets:
        steps = log[t.id]
        kinds = [e.kind for e in steps]
        at = {kind: [e.at for e in steps if e.kind == kind] for kind in set(kinds)}
        assert kinds[0] == "issued" and steps[0].at == t.issued_at
        assert [e.at for e in steps] == sorted(e.at for e in steps)
        assert kinds[-1] == {"finished": "finished", "no_show": "no_show", "cancelled": "cancelled"}[t.status]
        if "called" in at:  # waiting = the last call - issue
            assert t.wait_seconds == round((at["called"][-1] - t.issued_at).total_seconds())
        else:
            assert t.wait_seconds is None
        if t.status == TicketStatus.FINISHED:  # handling = finish - the last start
            assert t.handle_seconds == round((at["finished"][0] - at["started"][-1]).total_seconds())
            assert t.id in evaluations  # every service has its rating (or its 未评价)
        else:
            assert t.id not in evaluations
        assert kinds.count("requeued") <= 1 and kinds.count("transferred") <= 1

    # The report counts what the log holds.
    counted = Counter(e.kind for events in log.values() for e in events)
    assert report.issued == counted["issued"]
    assert report.called == counted["called"]
    assert report.served == counted["finished"] == len(evaluations)
    assert report.no_shows == counted["no_show"] and report.no_shows > 0
    assert report.requeued == counted["requeued"]
    assert report.transfers == counted["transferred"]
    assert report.cancelled == counted["cancelled"]
    assert report.refused == 0 and report.arrivals == report.issued
    rated = [e for e in evaluations.values() if e.status == EvaluationStatus.RATED]
    assert report.ratings == len(rated) > 0.6 * report.served
    assert report.bad_ratings == sum(e.score <= 2 for e in rated) == cases
    assert {e.status for e in evaluations.values()} <= {EvaluationStatus.RATED, EvaluationStatus.UNRATED}
    assert all(e.channel == "keypad" for e in rated)

    # The windows: three signed in before opening and out after closing; pauses resumed.
    window_kinds = Counter(e.kind for e in window_log)
    assert window_kinds["signed_in"] == window_kinds["signed_out"] == 3
    assert window_kinds["paused"] == window_kinds["resumed"] == report.pauses
    assert all(w.status == WindowStatus.CLOSED and w.current_ticket_id is None for w in windows)
    local = [e.at.astimezone(SHANGHAI).time() for e in window_log]
    assert min(local) < time(8, 30) and max(local) >= time(17, 30)


def _fingerprint(db: Database) -> list[tuple[object, ...]]:
    return [
        (t.number, t.status, t.issued_at, t.wait_seconds, t.handle_seconds, t.outcome, t.transfer_count)
        for t in _tickets(db)
    ]


def _second_database(tmp_path, name: str) -> Database:
    engine = fast_engine(f"sqlite:///{tmp_path / name}")
    migrate.upgrade(engine)
    database = Database(engine, ManualClock(MORNING))
    make_hall(database)
    return database


def test_the_same_seed_gives_the_same_day(db, hall, tmp_path):
    first = simulate(db, small_hall_spec(), days=1, tickets_per_day=80, start=MONDAY, seed=5)
    again_db = _second_database(tmp_path, "again.sqlite")
    other_db = _second_database(tmp_path, "other.sqlite")
    try:
        again = simulate(again_db, small_hall_spec(), days=1, tickets_per_day=80, start=MONDAY, seed=5)
        simulate(other_db, small_hall_spec(), days=1, tickets_per_day=80, start=MONDAY, seed=6)
        assert _fingerprint(db) == _fingerprint(again_db)
        assert {**vars(first), "seconds": 0} == {**vars(again), "seconds": 0}
        assert _fingerprint(db) != _fingerprint(other_db)
    finally:
        again_db.engine.dispose()
        other_db.engine.dispose()


def test_days_off_have_no_tickets(db, hall):
    # Saturday 28 and Sunday 29 November 2026 are off; Monday 30 is a working day.
    report = simulate(db, small_hall_spec(), days=3, tickets_per_day=40, start=date(2026, 11, 28))
    assert (report.days, report.skipped_days) == (1, 2)
    assert {t.service_day for t in _tickets(db)} == {date(2026, 11, 30)}
    # National Day 2026: 1-7 October off, Saturday 10 October a make-up working day (调休).
    report = simulate(db, small_hall_spec(), days=4, tickets_per_day=40, start=date(2026, 10, 7))
    assert (report.days, report.skipped_days) == (3, 1)
    assert {t.service_day for t in _tickets(db)} == {
        date(2026, 11, 30),
        *(date(2026, 10, d) for d in (8, 9, 10)),
    }


def test_nobody_takes_a_ticket_over_lunch_or_on_the_halls_own_day_off(db, engine):
    spec = small_hall_spec(enforce_hours=True, hours={"open": "08:30", "close": "17:30"})
    spec.calendar = CalendarSpec.model_validate(
        {"sessions": ["08:30-12:00", "14:00-17:30"], "days": [{"date": "2026-11-24", "closed": True}]}
    )
    with db.write() as uow:
        sync_hall(uow, spec)
    report = simulate(db, spec, days=2, tickets_per_day=300, start=MONDAY, seed=5)
    assert (report.days, report.skipped_days, report.refused) == (1, 1, 0)
    issued = [t.issued_at.astimezone(SHANGHAI).time() for t in _tickets(db)]
    assert len(issued) > 250 and {t.service_day for t in _tickets(db)} == {MONDAY}
    assert not [t for t in issued if time(12, 0) <= t < time(14, 0)]
    assert [t for t in issued if t < time(12, 0)] and [t for t in issued if t >= time(14, 0)]


def test_until_stops_the_day_where_it_is(db, hall):
    until = MORNING + timedelta(hours=1, minutes=30)  # 10:30 in Shanghai
    report = simulate(db, small_hall_spec(), days=3, tickets_per_day=200, start=MONDAY, until=until)
    tickets = _tickets(db)
    assert report.days == 1 and {t.service_day for t in tickets} == {MONDAY}
    assert max(t.issued_at for t in tickets) < until
    assert TicketStatus.WAITING in {t.status for t in tickets}  # the morning is under way
    with db.read() as uow:
        assert {w.status for w in uow.session.scalars(select(Window))} == {WindowStatus.OPEN}


def test_a_managers_move_during_the_day_is_followed_by_its_window(db, engine):
    # Window 1 serves A alone, windows 2 and 3 B; at 10:30 the manager adds B to window 1.
    spec = small_hall_spec()
    spec.windows[0].queues = [QueueRef(code="A")]
    for window in spec.windows[1:]:
        window.queues = [QueueRef(code="B")]
    with db.write() as uow:
        sync_hall(uow, spec)
    looks: list[datetime] = []

    def add_b_to_window_1(uow, hall):
        looks.append(uow.now())
        if len(looks) != 8:  # 08:30 + 8 × 15 minutes
            return []
        window = uow.session.scalar(select(Window).where(Window.number == 1))
        set_window_queues(uow, hall, window, [QueueRef(code="A"), QueueRef(code="B")])
        return [1]

    simulate_day(db, spec, day_plan(spec, MONDAY, 300), seed=4, overseer=Overseer(15, add_b_to_window_1))
    moved_at = looks[7]
    assert moved_at.astimezone(SHANGHAI).time() == time(10, 30)
    assert looks[-1].astimezone(SHANGHAI).time() == time(17, 15)  # every 15 minutes while open
    with db.read() as uow:
        calls_of_b_at_window_1 = uow.session.scalars(
            select(TicketEvent.at)
            .join(Window, Window.id == TicketEvent.window_id)
            .join(Queue, Queue.id == TicketEvent.queue_id)
            .where(TicketEvent.kind == "called", Window.number == 1, Queue.code == "B")
        ).all()
    # Window 1 calls B, and only once it may.
    assert calls_of_b_at_window_1 and min(calls_of_b_at_window_1) >= moved_at


@both_databases
def test_repeat_days_copy_a_simulated_day_row_for_row(db, hall, backend):
    # Monday through the core; Tuesday a copy of it.
    report = simulate(db, small_hall_spec(), days=2, tickets_per_day=100, start=MONDAY, seed=2, repeat_days=1)
    tuesday = MONDAY + timedelta(days=1)
    assert (report.days, report.copied_days) == (1, 1)
    assert report.tickets_copied == report.issued
    assert report.bad_ratings > 0  # so that a case and its step are copied too
    source, copy = _tickets(db, MONDAY), _tickets(db, tuesday)
    day = timedelta(days=1)

    def shape(t: Ticket, shift: timedelta) -> tuple[object, ...]:
        times = (t.issued_at, t.queued_at, t.first_called_at, t.called_at, t.started_at, t.finished_at)
        return (
            t.number, t.seq, t.queue_id, t.item_id, t.status, t.priority, t.outcome, t.window_id, t.clerk_id,
            t.wait_seconds, t.handle_seconds, t.call_count, t.requeue_count, t.transfer_count,
            *(x + shift if x else None for x in times),
        )  # fmt: skip

    assert [shape(t, day) for t in source] == [shape(t, timedelta(0)) for t in copy]
    all_tickets = _tickets(db)
    assert len({t.id for t in all_tickets}) == len({t.key for t in all_tickets}) == len(all_tickets)
    assert not {t.key for t in source} & {t.key for t in copy}
    assert min(t.id for t in copy) > max(t.id for t in source)

    log = _log(db)
    for s, c in zip(source, copy, strict=True):
        assert [(e.kind, e.at + day, e.window_id, e.staff_id, e.detail) for e in log[s.id]] == [
            (e.kind, e.at, e.window_id, e.staff_id, e.detail) for e in log[c.id]
        ]
    with db.read() as uow:
        evaluations = {e.ticket_id: e for e in uow.session.scalars(select(Evaluation))}
        by_id = {t.id: t for t in all_tickets}
        for s, c in zip(source, copy, strict=True):
            if s.id in evaluations:
                a, b = evaluations[s.id], evaluations[c.id]
                assert (a.status, a.score, a.reasons, a.window_id, a.clerk_id, a.requested_at + day) == (
                    b.status, b.score, b.reasons, b.window_id, b.clerk_id, b.requested_at,
                )  # fmt: skip
                assert by_id[b.ticket_id].service_day == b.service_day == tuesday
        cases = uow.session.scalars(select(EvaluationCase).order_by(EvaluationCase.id)).all()
        assert len(cases) == 2 * report.bad_ratings
        days = {e.id: e.service_day for e in evaluations.values()}
        for case in cases:  # verify within one working day of the rating, on the copy too
            assert case.deadline == from_rules("").add_working_days(days[case.evaluation_id], 1)
            steps = uow.session.scalars(select(CaseStep).where(CaseStep.case_id == case.id)).all()
            assert [(s.action, s.deadline) for s in steps] == [("open", case.deadline)]
        window_log = [
            (e.at.astimezone(SHANGHAI).date(), e.kind, e.at, e.window_id, e.staff_id, e.detail)
            for e in uow.session.scalars(select(WindowEvent).order_by(WindowEvent.at, WindowEvent.id))
        ]
        assert [(k, at + day, *rest) for d, k, at, *rest in window_log if d == MONDAY] == [
            (k, at, *rest) for d, k, at, *rest in window_log if d == tuesday
        ]
        counters = {
            (c.queue_id, c.service_day): c.last_seq for c in uow.session.scalars(select(NumberCounter))
        }
        assert {q: n for (q, d), n in counters.items() if d == MONDAY} == {
            q: n for (q, d), n in counters.items() if d == tuesday
        }

    # The copied day goes on as a day of the hall: numbers continue, ids and keys are free.
    clock = ManualClock(datetime.combine(tuesday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9))
    later = Database(db.engine, clock)
    with later.write() as uow:
        hall_row = hall_by_code(uow, "test")
        ticket = issue_ticket(uow, hall_row, queue_code="A")
        expected = counters[(ticket.queue_id, tuesday)] + 1
        assert (ticket.seq, ticket.service_day) == (expected, tuesday)
        sign_in(uow, hall_row, 1, staff_by_username(uow, "clerk1"))
        called = call_next(uow, hall_row, 1, None)
        assert called is not None and called.id == ticket.id
    with pytest.raises(ValueError, match="already has"):
        copy_day(db.engine, hall.id, MONDAY, tuesday)


def test_a_hall_too_small_for_the_demand_gets_more_windows():
    spec = small_hall_spec(3)
    spec = HallSpec.model_validate(
        {**spec.model_dump(), "queues": [{**q.model_dump(), "daily_quota": 100} for q in spec.queues]}
    )
    assert sized_spec(spec, 200) is spec
    bigger = sized_spec(spec, 2000)
    assert [w.number for w in bigger.windows] == list(range(1, len(bigger.windows) + 1))
    assert 20 < len(bigger.windows) < 40
    assert all(w.queues == spec.windows[0].queues for w in bigger.windows)
    assert [q.daily_quota for q in bigger.queues] == [math.ceil(100 * len(bigger.windows) / 3)] * 2


def test_the_command_reports_each_day_and_refuses_days_with_tickets(hallq):  # noqa: F811
    hallq("init")
    output = hallq("simulate", "--days", "1", "--tickets-per-day", "200", "--start", "2026-11-23")
    assert "2026-11-23 (1/1 days): " in output and "tickets through the core" in output
    assert "tickets/s" in output and "1 days simulated, 0 copied" in output
    refused = hallq("simulate", "--days", "3", "--tickets-per-day", "200", "--start", "2026-11-21", ok=False)
    assert "already has" in refused and "from 2026-11-21 to 2026-11-23" in refused and "--force" in refused
    forced = hallq("simulate", "--tickets-per-day", "20", "--start", "2026-11-23", "--force")
    assert "1 days simulated" in forced
    weekend = hallq("simulate", "--days", "2", "--tickets-per-day", "200", "--start", "2026-11-21")
    assert "0 days simulated, 0 copied, 2 not working days" in weekend
