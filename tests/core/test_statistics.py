"""The statistics on a morning built by hand, whose every figure is worked out below."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from queue_core import cases, evaluations, statistics
from queue_core.calling import call_next, call_number, finish, no_show, start, transfer_current
from queue_core.models import EvaluationCase, Outcome, Ticket
from queue_core.ticketing import cancel_ticket, issue_ticket
from queue_core.windows import pause, resume, sign_in, sign_out
from tests.conftest import staff_by_username

DAY = date(2026, 11, 23)


@pytest.fixture
def morning(db, hall, clock):
    """From 09:00 (MORNING) in Shanghai; queues A and B target 30 minutes.

    ticket  queue  issued  called (window)        started  finished  end
    A001    A      09:00   09:10 (1)              09:11    09:21     served, wait 600, handle 600
    A002    A      09:05   09:40 (2)              09:41    09:46     served, wait 2100, handle 300
    B001    B      09:20   09:30 (1)                                 no-show, wait 600
    B002    B      09:25                                             cancelled 09:50
    A003    A      09:30   09:35 (1), to B 09:40,
                           10:00 (2)              10:00    10:20     served, wait 1800, handle 1200
    Window 1 is open 09:00-10:00 and 10:15-10:30 (paused between), window 2 09:00-10:30.

    好差评: A001 rated 5 (非常满意) on window 1's keypad; A002 rated 1 (非常不满意) on window 2's,
    its case verified, rectified, called back and closed; A003 left unrated.
    """
    nine = clock.now()

    def at(hhmm: str) -> None:
        hours, minutes = map(int, hhmm.split(":"))
        clock.set(nine + timedelta(hours=hours - 9, minutes=minutes))

    def act(hhmm: str, action, *args, **kwargs):
        at(hhmm)
        with db.write() as uow:
            return action(uow, hall, *args, **kwargs)

    with db.read() as uow:
        people = {n: staff_by_username(uow, f"clerk{n}") for n in (1, 2)}
    act("09:00", sign_in, 1, people[1])
    act("09:00", sign_in, 2, people[2])
    a001 = act("09:00", lambda uow, hall: issue_ticket(uow, hall, queue_code="A"))
    act("09:05", lambda uow, hall: issue_ticket(uow, hall, queue_code="A"))
    act("09:10", call_next, 1, people[1].id)
    act("09:11", start, 1, people[1].id)
    b001 = act("09:20", lambda uow, hall: issue_ticket(uow, hall, queue_code="B"))
    act("09:21", finish, 1, people[1].id, Outcome.COMPLETED)
    act("09:21", evaluations.rate_at_window, 1, "P1", 5, [], "")
    b002 = act("09:25", lambda uow, hall: issue_ticket(uow, hall, queue_code="B"))
    a003 = act("09:30", lambda uow, hall: issue_ticket(uow, hall, queue_code="A"))
    act("09:30", lambda uow, hall: _call(uow, hall, 1, people[1].id, b001.number))
    act("09:32", no_show, 1, people[1].id, requeue=False)
    act("09:35", lambda uow, hall: _call(uow, hall, 1, people[1].id, a003.number))
    act("09:36", start, 1, people[1].id)
    act("09:40", transfer_current, 1, people[1].id, to_queue="B", note="转社保")
    act("09:40", lambda uow, hall: _call(uow, hall, 2, people[2].id, "A002"))
    act("09:41", start, 2, people[2].id)
    act("09:46", finish, 2, people[2].id, Outcome.COMPLETED)
    bad = act("09:46", evaluations.rate_at_window, 2, "P2", 1, ["服务态度"], "")
    for action in ("verify", "rectify", "callback", "close"):
        act("09:50", lambda uow, hall, action=action: _step(uow, hall, bad.id, action, people[1].id))
    act("09:50", lambda uow, hall: cancel_ticket(uow, uow.session.get(Ticket, b002.id)))
    act("10:00", pause, 1, people[1].id, "会议")
    act("10:00", lambda uow, hall: _call(uow, hall, 2, people[2].id, a003.number))
    act("10:00", start, 2, people[2].id)
    act("10:15", resume, 1, people[1].id)
    act("10:20", finish, 2, people[2].id, Outcome.COMPLETED)
    act("10:30", sign_out, 1, people[1].id)
    act("10:30", sign_out, 2, people[2].id)
    assert a001.number == "A001"
    return hall


def _step(uow, hall, evaluation_id, action, staff_id):
    case = uow.session.query(EvaluationCase).filter_by(evaluation_id=evaluation_id).one()
    return cases.act(uow, hall, case.id, action, staff_id, "已处理")


def _call(uow, hall, window, staff_id, number):
    return call_number(uow, hall, window, number, staff_id)


def summary(db, hall, group_by=None):
    with db.read() as uow:
        return statistics.summary(uow, hall, DAY, DAY, group_by)


def test_the_hall_figures(db, morning):
    figures = summary(db, morning)
    assert {k: figures[k] for k in ("issued", "served", "no_show", "cancelled", "transferred")} == {
        "issued": 5, "served": 3, "no_show": 1, "cancelled": 1, "transferred": 1,
    }  # fmt: skip
    # Waits of the called tickets: 600, 600, 1800, 2100 (A003's last call counts).
    assert figures["wait"] == {"mean": 1275.0, "median": 1200.0, "p90": 2100.0, "max": 2100.0}
    assert figures["handle"] == {"mean": 700.0, "median": 600.0, "p90": 1200.0, "max": 1200.0}
    # Within 30 minutes: A001, B001, A003 (exactly 30); not A002 (35).
    assert figures["service_level"] == 0.75
    # The hall was open 09:00-10:30: 3 served in 1.5 hours; 2100 s handled in 4500 + 5400 s open.
    assert figures["throughput_per_hour"] == 2.0
    assert figures["utilisation"] == round(2100 / 9900, 4)
    # 好差评: 3 served, 2 rated (5 and 1), A003 unrated; the bad rating's case closed, called back.
    rated = figures["evaluation"]
    assert (rated["served"], rated["rated"], rated["unrated"], rated["defaulted"]) == (3, 2, 1, 0)
    assert rated["levels"] == {"5": 1, "4": 0, "3": 0, "2": 0, "1": 1}
    assert (rated["good_rate"], rated["bad_count"], rated["bad_rate"]) == (0.5, 1, 0.5)
    assert (rated["active_rate"], rated["rectified_rate"], rated["callback_rate"]) == (0.6667, 1.0, 1.0)


def test_per_window_with_their_own_open_time(db, morning):
    groups = {g["window"]: g for g in summary(db, morning, "window")["groups"]}
    one, two, never_called = groups[1], groups[2], groups[None]
    assert (one["issued"], one["served"], one["no_show"]) == (2, 1, 1)
    assert one["wait"] == {"mean": 600.0, "median": 600.0, "p90": 600.0, "max": 600.0}
    assert (one["service_level"], one["throughput_per_hour"], one["utilisation"]) == (1.0, 0.8, 0.1333)
    assert (two["issued"], two["served"], two["transferred"]) == (2, 2, 1)
    assert two["wait"] == {"mean": 1950.0, "median": 1950.0, "p90": 2100.0, "max": 2100.0}
    assert two["handle"] == {"mean": 750.0, "median": 750.0, "p90": 1200.0, "max": 1200.0}
    assert (two["service_level"], two["throughput_per_hour"], two["utilisation"]) == (0.5, 1.33, 0.2778)
    assert (never_called["issued"], never_called["cancelled"], never_called["wait"]["max"]) == (1, 1, None)
    # Window 1: A001 rated 5. Window 2: A002 rated 1 (case closed), A003 unrated.
    assert (one["evaluation"]["rated"], one["evaluation"]["good_rate"], one["evaluation"]["bad_count"]) == (
        1, 1.0, 0,
    )  # fmt: skip
    assert one["evaluation"]["rectified_rate"] is None  # no bad rating to rectify
    assert (two["evaluation"]["served"], two["evaluation"]["rated"], two["evaluation"]["bad_rate"]) == (
        2,
        1,
        1.0,
    )
    assert (two["evaluation"]["active_rate"], two["evaluation"]["rectified_rate"]) == (0.5, 1.0)
    assert never_called["evaluation"]["served"] == 0 and never_called["evaluation"]["good_rate"] is None


def test_per_queue_of_issue_and_per_clerk(db, morning):
    queues = {g["queue"]: g for g in summary(db, morning, "queue")["groups"]}
    assert (queues["A"]["issued"], queues["A"]["served"], queues["A"]["transferred"]) == (3, 3, 1)
    assert (queues["B"]["issued"], queues["B"]["no_show"], queues["B"]["cancelled"]) == (2, 1, 1)
    assert queues["A"]["utilisation"] is None  # a queue has no open time of its own
    clerks = {g["staff"]: g for g in summary(db, morning, "staff")["groups"]}
    assert (clerks["clerk1"]["name"], clerks["clerk1"]["utilisation"]) == ("办事员1", 0.1333)
    assert clerks["clerk2"]["served"] == 2
    # A rating belongs to the queue the ticket was issued in: A003 (unrated) was served from B.
    assert (queues["A"]["evaluation"]["served"], queues["A"]["evaluation"]["rated"]) == (3, 2)
    assert queues["B"]["evaluation"]["served"] == 0
    assert (clerks["clerk1"]["evaluation"]["good_rate"], clerks["clerk2"]["evaluation"]["bad_count"]) == (
        1.0,
        1,
    )


def test_per_item_and_department_with_their_ratings(db, morning):
    # The morning's tickets were taken by queue, without an item: one group without a key.
    for group_by in ("item", "department"):
        [no_item] = summary(db, morning, group_by)["groups"]
        assert no_item[group_by] is None and no_item["issued"] == 5
        assert (no_item["evaluation"]["rated"], no_item["evaluation"]["bad_count"]) == (2, 1)


def test_a_day_without_tickets_and_a_bad_grouping(db, hall):
    empty = summary(db, hall)
    assert empty["issued"] == 0 and empty["wait"]["median"] is None and empty["throughput_per_hour"] is None
    assert empty["evaluation"]["served"] == 0 and empty["evaluation"]["good_rate"] is None
    with pytest.raises(ValueError, match="group_by is one of"):
        summary(db, hall, "colour")


def test_percentiles_of_merged_durations():
    """The worked example's waits, split as two days' rollups and a query's rows give them."""
    monday, tuesday = statistics.Durations(), statistics.Durations()
    monday.add_values(statistics.unpack(statistics.pack([600, 1800])))
    tuesday.add(600, 1)
    tuesday.add(2100, 1)
    monday.merge(tuesday)
    assert monday.figures() == {"mean": 1275.0, "median": 1200.0, "p90": 2100.0, "max": 2100.0}
    assert monday.values() == [600, 600, 1800, 2100]
