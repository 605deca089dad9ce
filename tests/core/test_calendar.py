"""The hall's calendar (queue_core.hall_calendar): working days, sessions and the lunch break,
dated exceptions, a queue's own rules; and what reads it: the ticket, the follow-up deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from queue_core import alarms, appointments, audit, booking, cases, evaluations, remote, setup, statistics
from queue_core.calling import call_next, finish, start
from queue_core.errors import LimitReached, NotFound, NotPermitted, QueueClosed, QuotaReached, TooEarly
from queue_core.hall_calendar import HallCalendar, from_rules
from queue_core.models import AuditEntry, CaseStep, Hall, Outcome, ServiceItem, Ticket
from queue_core.spec import AlarmSpec, BookingSpec, CalendarDay, CalendarSpec, ItemSpec
from queue_core.ticketing import issue_ticket
from queue_core.windows import pause
from tests.conftest import make_hall, small_hall_spec
from tests.core.helpers import open_windows

SHANGHAI = ZoneInfo("Asia/Shanghai")
ITEM = 1  # the hall's first item, in queue A
OFFICIAL = from_rules("")
LUNCH_HALL = {
    "sessions": ["08:30-12:00", "14:30-17:30"],
    "queues": {"A": {"saturday": ["09:00-12:00"]}, "B": {"stop_before_close": 30}},
}


def import_items(db, hall: Hall) -> None:
    """Item 1 (ITEM) in queue A, item 2 in queue B."""
    items = [
        ItemSpec.model_validate(
            {"code": code, "name": name, "department": department, "queue": queue, "kind": "instant",
             "basis": ["《户口登记条例》"], "materials": ["居民身份证"], "procedure": ["受理", "办结"]}
        )
        for code, name, department, queue in (("GA001", "户口迁移", "GA", "A"), ("RS001", "社保卡申领", "RS", "B"))
    ]  # fmt: skip
    with db.write() as uow:
        setup.import_items(uow, hall, items)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def calendar_hall(db, **calendar: object) -> Hall:
    # Its hours are its calendar's outer bounds: they narrow no session (a late opening too).
    spec = small_hall_spec(windows=2, enforce_hours=True, hours={"open": "08:30", "close": "17:30"})
    spec.calendar = CalendarSpec.model_validate(LUNCH_HALL | calendar)
    return make_hall(db, spec)


def take(db, hall: Hall, queue: str = "A") -> str:
    with db.write() as uow:
        return issue_ticket(uow, hall, queue_code=queue).number


def refusal(db, hall: Hall, queue: str = "A") -> QueueClosed:
    with pytest.raises(QueueClosed) as refused:
        take(db, hall, queue)
    return refused.value


# -- working days --------------------------------------------------------------------------------


def test_a_deadline_skips_the_national_day_holiday_and_counts_the_make_up_saturday():
    # 2026: 1-7 October off; Saturday 10 October is a make-up working day (调休上班).
    assert not OFFICIAL.is_working_day(date(2026, 10, 5)) and OFFICIAL.is_working_day(date(2026, 10, 10))
    assert OFFICIAL.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert OFFICIAL.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # Thu, Fri, the Saturday
    assert OFFICIAL.add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)  # Sunday off, Monday
    assert OFFICIAL.day(date(2026, 10, 5)).reason == "国庆节"
    assert OFFICIAL.day(date(2026, 11, 28)).reason == "周末"


def test_an_ordinary_weekend_is_skipped_and_a_year_not_yet_published_counts_weekdays():
    assert OFFICIAL.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday → Monday
    assert OFFICIAL.add_working_days(date(2030, 3, 1), 1) == date(2030, 3, 4)  # Friday → Monday (fallback)
    assert not OFFICIAL.day(date(2030, 3, 4)).known
    with pytest.raises(ValueError):
        OFFICIAL.add_working_days(date(2026, 11, 27), 0)


def test_a_dated_day_wins_over_the_official_calendar():
    calendar = HallCalendar(
        CalendarSpec.model_validate(
            {
                "sessions": ["08:30-12:00", "14:30-17:30"],
                "days": [
                    {"date": "2030-01-01", "closed": True, "reason": "元旦"},
                    {"date": "2030-01-05", "workday": True},  # a Saturday worked
                    {"date": "2030-01-07", "sessions": ["08:30-12:00", "14:30-20:00"]},  # late opening
                    {"date": "2030-01-08", "closed": True},
                ],
            }
        )
    )
    new_year = calendar.day(date(2030, 1, 1))
    assert (new_year.working, new_year.reason, new_year.known) == (False, "元旦", True)
    assert calendar.add_working_days(date(2029, 12, 31), 1) == date(2030, 1, 2)
    assert calendar.day(date(2030, 1, 5)).working
    assert calendar.day(date(2030, 1, 7)).sessions[-1] == (
        time(14, 30),
        time(20, 0),
    )
    assert calendar.day(date(2030, 1, 8)).reason == "暂停服务"


def test_next_years_unknown_holidays_are_said_from_the_first_of_november():
    assert OFFICIAL.unknown_year(date(2026, 10, 31)) is None
    unknown = OFFICIAL.unknown_year(date(2026, 11, 1))
    assert unknown in (None, 2027)  # None once the installed chinesecalendar knows 2027
    if unknown == 2027:
        entered = HallCalendar(
            CalendarSpec.model_validate({"days": [{"date": "2027-01-01", "closed": True, "reason": "元旦"}]})
        )
        assert entered.unknown_year(date(2026, 12, 7)) is None
    assert OFFICIAL.unknown_year(date(2031, 6, 1)) == 2031


# -- taking a ticket -------------------------------------------------------------------------------


def test_the_kiosk_refuses_over_lunch_and_says_when_the_afternoon_opens(db, clock):
    hall = calendar_hall(db)
    monday = date(2026, 11, 23)
    clock.set(at(monday, 11, 59))
    assert take(db, hall) == "A001"
    clock.set(at(monday, 12, 0))
    lunch = refusal(db, hall)
    assert lunch.details == {"why": "break", "day_off": "", "reopens_at": "2026-11-23T14:30:00+08:00"}
    clock.set(at(monday, 14, 30))
    assert take(db, hall) == "A002"
    clock.set(at(monday, 17, 30))
    evening = refusal(db, hall)
    assert evening.details["why"] == "over" and evening.details["reopens_at"] == "2026-11-24T08:30:00+08:00"
    assert evening.message == "queue A gave its last ticket for today at 17:30"
    clock.set(at(monday, 8, 0))
    morning = refusal(db, hall)
    assert morning.message == "queue A takes tickets at 08:30-12:00, 14:30-17:30"


def test_a_queue_that_stops_early_refuses_before_the_session_ends(db, clock):
    hall = calendar_hall(db)
    clock.set(at(date(2026, 11, 23), 11, 45))
    assert take(db, hall, "A") == "A001"
    early = refusal(db, hall, "B")
    assert early.details["why"] == "break" and early.details["reopens_at"] == "2026-11-23T14:30:00+08:00"


def test_a_holiday_refuses_with_its_name_and_the_first_working_day_after(db, clock):
    hall = calendar_hall(db)
    clock.set(at(date(2026, 10, 1), 10, 0))
    holiday = refusal(db, hall)
    assert holiday.details == {
        "why": "day_off",
        "day_off": "国庆节",
        "reopens_at": "2026-10-08T08:30:00+08:00",
    }
    assert holiday.message == "queue A takes no tickets today (国庆节)"


def test_a_make_up_saturday_takes_tickets_and_an_ordinary_one_only_where_a_queue_opens(db, clock):
    hall = calendar_hall(db)
    clock.set(at(date(2026, 10, 10), 10, 0))  # Saturday, worked for the National Day holiday
    assert (take(db, hall, "A"), take(db, hall, "B")) == ("A001", "B001")
    clock.set(at(date(2026, 11, 28), 10, 0))  # an ordinary Saturday: queue A opens in the morning
    assert take(db, hall, "A") == "A001"
    weekend = refusal(db, hall, "B")
    assert weekend.details == {"why": "day_off", "day_off": "周末", "reopens_at": "2026-11-30T08:30:00+08:00"}
    clock.set(at(date(2026, 11, 28), 12, 0))
    assert refusal(db, hall, "A").details["reopens_at"] == "2026-11-30T08:30:00+08:00"


def test_a_closure_and_a_late_opening_entered_for_the_day(db, clock):
    hall = calendar_hall(
        db,
        days=[
            {"date": "2026-11-24", "closed": True, "reason": "系统升级"},
            {"date": "2026-11-25", "sessions": ["08:30-12:00", "14:30-20:00"]},
        ],
    )
    clock.set(at(date(2026, 11, 24), 9, 0))
    closed = refusal(db, hall)
    assert closed.details == {
        "why": "day_off",
        "day_off": "系统升级",
        "reopens_at": "2026-11-25T08:30:00+08:00",
    }
    clock.set(at(date(2026, 11, 25), 19, 0))
    assert take(db, hall) == "A001"


def test_a_hall_that_does_not_keep_its_hours_takes_tickets_at_any_time(db, clock):
    spec = small_hall_spec(windows=1, enforce_hours=False)
    spec.calendar = CalendarSpec.model_validate(LUNCH_HALL)
    hall = make_hall(db, spec)
    clock.set(at(date(2026, 10, 1), 12, 30))
    assert take(db, hall) == "A001"


def test_a_queue_with_quotas_per_session_counts_each_session_apart(db, clock):
    hall = calendar_hall(db, queues={"A": {"session_quotas": [2, 1]}})
    monday = date(2026, 11, 23)
    clock.set(at(monday, 9, 0))
    assert [take(db, hall), take(db, hall)] == ["A001", "A002"]
    with pytest.raises(QuotaReached) as full:
        take(db, hall)
    assert full.value.details == {"why": "session_quota", "reopens_at": "2026-11-23T14:30:00+08:00"}
    assert full.value.message == "queue A has issued its 2 tickets for the session 08:30-12:00"
    assert take(db, hall, "B") == "B001"  # B has no session quota
    clock.set(at(monday, 15, 0))
    assert take(db, hall) == "A003"  # the afternoon's one
    with pytest.raises(QuotaReached) as afternoon:
        take(db, hall)
    assert afternoon.value.details["reopens_at"] == "2026-11-24T08:30:00+08:00"


# -- the follow-up deadlines ------------------------------------------------------------------------


def test_an_override_for_a_2027_holiday_moves_an_open_cases_deadline_and_audits_it(db, clock):
    hall = make_hall(db, small_hall_spec(windows=1))
    clock.set(at(date(2026, 12, 31), 10, 0))  # a Thursday
    open_windows(db, hall, 1)
    with db.write() as uow:
        issue_ticket(uow, hall, queue_code="A")
    for step in (lambda uow: call_next(uow, hall, 1, None), lambda uow: start(uow, hall, 1, None)):
        with db.write() as uow:
            step(uow)
    with db.write() as uow:
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    with db.write() as uow:
        evaluations.rate_at_window(uow, hall, 1, "P1", 1, ["服务态度"], "")
    with db.read() as uow:
        (case,) = cases.find(uow, hall, stage="open")
    # Without 2027's holidays known, 1 January 2027 (a Friday) counts as a working day ...
    if OFFICIAL.day(date(2027, 1, 1)).known:
        pytest.skip("the installed chinesecalendar already knows 2027")
    assert case.deadline == date(2027, 1, 1)

    # ... until the hall enters it: the deadline moves to Monday, as a step of the case.
    with db.write() as uow:
        row = uow.session.get(Hall, hall.id)
        row.calendar_rules = CalendarSpec.model_validate(
            {"days": [{"date": "2027-01-01", "closed": True, "reason": "元旦"}]}
        ).rules_text()
    actor = audit.Actor(hall.id, "system", "cli", "it", action="cli.calendar_apply", subject="calendar")
    with audit.acting_as(actor), db.write() as uow:
        moved = cases.recount_deadlines(uow, uow.session.get(Hall, hall.id))
    assert [c.id for c in moved] == [case.id]
    with db.read() as uow:
        (case,) = cases.find(uow, hall, stage="open")
        assert case.deadline == date(2027, 1, 4)
        step = uow.session.scalars(
            select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)
        ).all()[-1]
        assert (step.action, step.note, step.deadline) == (
            "deadline",
            "2027-01-01 → 2027-01-04",
            date(2027, 1, 4),
        )
        entry = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "cli.calendar_apply"
        assert [(e["event"], e["deadline"]) for e in entry.detail["events"]] == [
            ("evaluation_case", "2027-01-04")
        ]
    # Counting again changes nothing more.
    with db.read() as uow:
        assert cases.recounted_deadlines(uow, uow.session.get(Hall, hall.id)) == {}


# -- appointments ------------------------------------------------------------------------------------


def test_a_booking_lies_within_a_session_and_is_checked_in_early_over_lunch(db, clock):
    hall = calendar_hall(db)
    import_items(db, hall)
    monday = date(2026, 11, 23)
    clock.set(at(monday, 9, 0))
    with db.write() as uow, pytest.raises(QueueClosed, match=r"not within a session of queue A that day"):
        appointments.book(uow, hall, ITEM, at(monday, 11, 45), at(monday, 12, 15))
    with db.write() as uow, pytest.raises(QueueClosed, match=r"takes no bookings on 2026-11-29 \(周末\)"):
        appointments.book(uow, hall, ITEM, at(date(2026, 11, 29), 9, 0))
    with db.write() as uow:
        code = appointments.book(uow, hall, ITEM, at(monday, 14, 30), at(monday, 15, 0)).code
    clock.set(at(monday, 14, 20))  # over lunch, within the slot's early check-in
    with db.write() as uow:
        ticket, first = appointments.check_in(uow, hall, code)
        assert (ticket.number, ticket.priority, first) == ("A001", "appointment", True)
    assert refusal(db, hall).details["why"] == "break"  # a walk-in still waits for 14:30


# -- alarms ------------------------------------------------------------------------------------------


def test_lunch_counts_neither_in_a_wait_nor_in_a_pause(db, clock):
    spec = small_hall_spec(windows=2, enforce_hours=True)
    spec.calendar = CalendarSpec.model_validate(LUNCH_HALL)
    spec.alarms = AlarmSpec.model_validate({"queue_waiting_per_window": 0, "service_over_factor": 0})
    hall = make_hall(db, spec)
    monday = date(2026, 11, 23)
    clock.set(at(monday, 11, 50))
    open_windows(db, hall, 1)
    take(db, hall)  # 30 min is queue A's target: 10 of them before lunch
    clock.set(at(monday, 11, 55))
    with db.write() as uow:
        pause(uow, hall, 1, None, "午休")

    def raised() -> list[tuple[str, str]]:
        with db.write() as uow:
            alarms.sweep(uow, hall)
        with db.read() as uow:
            return sorted((a.kind, a.label) for a in alarms.listing(uow, hall, open_only=True))

    clock.set(at(monday, 14, 20))  # 2 h 30 min after, of which 10 and 5 min were open time
    assert raised() == []
    clock.set(at(monday, 14, 45))
    assert raised() == []  # 20 min of open pause is the limit, not over it
    clock.set(at(monday, 14, 46))
    assert raised() == [("pause_too_long", "1号窗口")]
    clock.set(at(monday, 14, 50))
    assert raised() == [("pause_too_long", "1号窗口")]  # 30 min of open wait is the target
    clock.set(at(monday, 14, 51))
    assert raised() == [("pause_too_long", "1号窗口"), ("wait_over_target", "A001")]
    with db.read() as uow:
        wait = next(a for a in alarms.listing(uow, hall, open_only=True) if a.kind == "wait_over_target")
        assert wait.detail["minutes"] == 31  # not 181


# -- the statistics ----------------------------------------------------------------------------------


def test_a_wait_across_lunch_counts_only_open_time_in_the_statistics(db, clock):
    hall = calendar_hall(db)  # sessions 08:30-12:00 and 14:30-17:30; queue A's target: 30 min
    monday = date(2026, 11, 23)
    clock.set(at(monday, 8, 30))
    open_windows(db, hall, 1)  # and left signed in over lunch, never paused
    clock.set(at(monday, 11, 50))
    take(db, hall)
    clock.set(at(monday, 14, 45))  # 10 min before lunch, 15 after: 25 min, within the target
    with db.write() as uow:
        ticket = call_next(uow, hall, 1, None)
        assert ticket.wait_seconds == 25 * 60
    with db.write() as uow:
        start(uow, hall, 1, None)
    clock.set(at(monday, 14, 55))
    with db.write() as uow:
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    clock.set(at(monday, 17, 30))
    with db.read() as uow:
        figures = statistics.summary(uow, hall, monday, monday, "window")
    assert figures["wait"]["max"] == 25 * 60 and figures["service_level"] == 1.0
    (window,) = figures["groups"]
    # Open 08:30-17:30 with lunch out: 3.5 + 3 hours; 10 min of service in them.
    assert window["utilisation"] == round(600 / (6.5 * 3600), 4)
    assert window["throughput_per_hour"] == round(1 / 6.5, 2)


# -- citizens' booking -------------------------------------------------------------------------------


def booking_hall(db, clock) -> Hall:
    spec = small_hall_spec(windows=2, enforce_hours=True)
    spec.calendar = CalendarSpec.model_validate(LUNCH_HALL)
    spec.booking = BookingSpec.model_validate(
        {"days_ahead": 3, "slot_minutes": 60, "capacity": 1, "no_show_limit": 2}
    )
    hall = make_hall(db, spec)
    import_items(db, hall)
    return hall


def test_a_citizen_books_a_slot_with_room_once_a_day_and_is_blocked_after_no_shows(db, clock):
    hall = booking_hall(db, clock)
    friday = date(2026, 11, 27)
    clock.set(at(friday, 9, 10))
    with db.read() as uow:
        item = uow.session.get(ServiceItem, ITEM)
        days = booking.bookable_days(hall, item.queue, friday)
        offered = booking.slots(uow, hall, item, friday)
    # Friday, Saturday (queue A's Saturday mornings), not Sunday, Monday: three days ahead.
    assert days == [friday, date(2026, 11, 28), date(2026, 11, 30)]
    # Each session cut into hours, its last slot shorter; the slot begun at 08:30 is not over.
    assert [(f"{s.start:%H:%M}", f"{s.end:%H:%M}", s.left) for s in offered] == [
        ("08:30", "09:30", 1), ("09:30", "10:30", 1), ("10:30", "11:30", 1), ("11:30", "12:00", 1),
        ("14:30", "15:30", 1), ("15:30", "16:30", 1), ("16:30", "17:30", 1),
    ]  # fmt: skip
    ten = at(friday, 9, 30)
    with db.write() as uow:
        booked = booking.book(uow, hall, ITEM, ten, "张三", "person-1")
        assert (booked.status, booked.slot_end) == ("booked", at(friday, 10, 30))
    with db.write() as uow, pytest.raises(QuotaReached, match="fully booked"):
        booking.book(uow, hall, ITEM, ten, "李四", "person-2")
    with db.write() as uow, pytest.raises(LimitReached, match="already has a booking"):
        booking.book(uow, hall, ITEM, at(friday, 15, 30), "张三", "person-1")
    with db.write() as uow, pytest.raises(QueueClosed, match="no booking slot at 2026-11-29 09:00"):
        booking.book(uow, hall, ITEM, at(date(2026, 11, 29), 9, 0), "李四", "person-2")
    with db.write() as uow:
        booking.cancel(uow, hall, booked.code)
        assert booking.book(uow, hall, ITEM, ten, "李四", "person-2").status == "booked"
    # person-3 does not come twice: blocked for 30 days after the second.
    with db.write() as uow:
        booking.book(uow, hall, ITEM, at(friday, 10, 30), "王五", "person-3")
        booking.book(uow, hall, ITEM, at(date(2026, 11, 28), 10, 0), "王五", "person-3")
    clock.set(at(date(2026, 11, 30), 9, 0))
    with db.write() as uow, pytest.raises(LimitReached, match="blocked until 2026-12-28") as blocked:
        booking.book(uow, hall, ITEM, at(date(2026, 11, 30), 9, 30), "王五", "person-3")
    assert blocked.value.details == {"why": "no_show_block", "blocked_until": "2026-12-28"}


def test_a_booking_is_checked_in_by_the_bookers_id_number(db, clock):
    hall = booking_hall(db, clock)
    monday = date(2026, 11, 30)
    clock.set(at(monday, 8, 0))
    with db.write() as uow:
        booking.book(uow, hall, ITEM, at(monday, 9, 30), "张三", "person-1")
    with db.write() as uow, pytest.raises(NotFound, match="no appointment today for this ID number"):
        appointments.check_in_holder(uow, hall, "person-2")
    with db.write() as uow, pytest.raises(TooEarly, match="opens at 09:15"):
        appointments.check_in_holder(uow, hall, "person-1")
    clock.set(at(monday, 9, 20))
    with db.write() as uow:
        ticket, first = appointments.check_in_holder(uow, hall, "person-1")
        assert (ticket.number, ticket.priority, first) == ("A001", "appointment", True)
    with db.write() as uow:
        again, first = appointments.check_in_holder(uow, hall, "person-1")
        assert (again.id, first) == (ticket.id, False)


def test_a_saturday_queues_waits_count_its_saturday_session(db, clock):
    hall = calendar_hall(db)  # queue A opens on ordinary Saturday mornings, 09:00-12:00
    saturday = date(2026, 11, 28)
    clock.set(at(saturday, 9, 0))
    open_windows(db, hall, 1)
    take(db, hall)
    clock.set(at(saturday, 9, 20))
    with db.write() as uow:
        assert call_next(uow, hall, 1, None).wait_seconds == 20 * 60


def test_a_booking_for_a_day_closed_afterwards_is_turned_away_at_check_in(db, clock):
    hall = calendar_hall(db)
    import_items(db, hall)
    monday = date(2026, 11, 23)
    clock.set(at(monday, 9, 0))
    with db.write() as uow:
        code = appointments.book(uow, hall, ITEM, at(monday, 10, 0), at(monday, 10, 30)).code
    with db.write() as uow:
        setup.enter_calendar_day(
            uow, uow.session.get(Hall, hall.id), CalendarDay(date=monday, closed=True, reason="停电")
        )
    clock.set(at(monday, 9, 50))
    with db.write() as uow, pytest.raises(QueueClosed) as closed:
        appointments.check_in(uow, uow.session.get(Hall, hall.id), code)
    assert closed.value.details["day_off"] == "停电"


# -- remote tickets ----------------------------------------------------------------------------------


def remote_hall(db) -> Hall:
    spec = small_hall_spec(windows=2, enforce_hours=True)
    spec.calendar = CalendarSpec.model_validate(LUNCH_HALL)
    spec.booking = BookingSpec.model_validate({"remote_queues": ["A"], "remote_grace_minutes": 10})
    hall = make_hall(db, spec)
    import_items(db, hall)
    return hall


def line(db, hall: Hall) -> list[str]:
    with db.read() as uow:
        rows = uow.session.scalars(
            select(Ticket).where(Ticket.status == "waiting").order_by(Ticket.queued_at)
        )
        return [t.number for t in rows]


def test_a_remote_ticket_enters_the_line_in_its_place_only_when_its_holder_arrives(db, clock):
    hall = remote_hall(db)
    monday = date(2026, 11, 23)
    clock.set(at(monday, 9, 0))
    with db.write() as uow:
        far = remote.take(uow, hall, ITEM, "person-1")
        assert (far.number, far.status) == ("A001", "remote")
    with db.write() as uow, pytest.raises(LimitReached, match="taken its 1 remote ticket"):
        remote.take(uow, hall, ITEM, "person-1")
    clock.set(at(monday, 9, 5))
    take(db, hall)  # A002, a walk-in
    assert line(db, hall) == ["A002"]  # A001 is in no line yet
    clock.set(at(monday, 9, 10))
    with db.write() as uow:
        ticket = remote.remote_today(uow, hall, "person-1")
        assert ticket is not None
        remote.arrive(uow, hall, ticket)
    assert line(db, hall) == ["A001", "A002"]  # in its place by the time it was taken


def test_a_remote_ticket_still_away_after_its_turn_and_the_grace_is_cancelled(db, clock):
    hall = remote_hall(db)
    monday = date(2026, 11, 23)
    clock.set(at(monday, 9, 0))
    open_windows(db, hall, 1)
    with db.write() as uow:
        away = remote.take(uow, hall, ITEM, "person-1")
    take(db, hall)  # A002, taken after it
    with db.write() as uow:
        assert call_next(uow, hall, 1, None).number == "A002"  # its turn has come
    clock.set(at(monday, 9, 10))
    with db.write() as uow:
        assert remote.cancel_passed(uow, hall) == 0  # the grace: 10 minutes
    clock.set(at(monday, 9, 10) + timedelta(seconds=1))
    with db.write() as uow:
        assert remote.cancel_passed(uow, hall) == 1
        assert uow.session.get(Ticket, away.id).status == "cancelled"
    with db.write() as uow, pytest.raises(NotPermitted, match="takes no remote tickets"):
        remote.take(uow, hall, ITEM + 1, "person-2")
