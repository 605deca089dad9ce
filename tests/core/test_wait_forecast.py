"""The wait forecast (queue_core.wait_forecast): its range from the line, the windows' shares,
today's handling times and the same weekday's history, read from a real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hallq.live.rooms import rooms_for
from hallq.sweeper import Sweeper
from queue_core import rollups
from queue_core.calling import call_next, finish, start
from queue_core.models import Hall, Outcome, Queue
from queue_core.numbering import service_day
from queue_core.spec import QueueRef
from queue_core.ticketing import issue_ticket, waiting_ahead
from queue_core.wait_forecast import (
    CALLED_SOON,
    Handling,
    WaitRange,
    forecast,
    hall_windows,
    handling_figures,
    queue_windows,
)
from tests.conftest import make_hall, small_hall_spec
from tests.core.helpers import issue, open_windows


def serve(db, hall: Hall, clock, window: int, minutes: float, queue: str = "A") -> None:
    """A citizen of `queue` served at the window for that long."""
    issue(db, hall, queue)
    with db.write() as uow:
        assert call_next(uow, hall, window, None) is not None
        start(uow, hall, window, None)
    clock.advance(minutes=minutes)
    with db.write() as uow:
        finish(uow, hall, window, None, Outcome.COMPLETED)


def forecast_of_new_ticket(db, hall: Hall, queue: str = "A") -> tuple[int, WaitRange | None]:
    """A ticket taken now: its people ahead and its forecast, read as the API reads them."""
    with db.write() as uow:
        ticket = issue_ticket(uow, hall, queue_code=queue)
        ahead = waiting_ahead(uow, ticket)
        handling = handling_figures(uow, hall.id, ticket.service_day, ticket.queue_id)
        windows = queue_windows(uow, ticket.queue_id, ticket.service_day)
        return ahead, forecast(ahead, handling.get(ticket.queue_id, Handling()), windows)


def queue_id(db, hall: Hall, code: str) -> int:
    with db.read() as uow:
        return uow.session.scalar(select(Queue.id).where(Queue.hall_id == hall.id, Queue.code == code))


def test_nothing_honest_to_say_without_a_service_or_an_open_window(db, hall, clock):
    _, wait = forecast_of_new_ticket(db, hall)
    assert wait is None  # no window open, nothing served today nor on past Mondays
    open_windows(db, hall, 1)
    issue(db, hall)
    _, wait = forecast_of_new_ticket(db, hall)
    assert wait is None  # a window now, but no handling time known


def test_the_range_holds_ahead_times_todays_mean_for_one_window(db, hall, clock):
    open_windows(db, hall, 1)
    serve(db, hall, clock, 1, 4)
    serve(db, hall, clock, 1, 6)
    with db.read() as uow:
        day = service_day(hall, uow.now())
        (handling,) = handling_figures(uow, hall.id, day).values()
    assert (handling.today, handling.today_mean, handling.history) == (2, 300, 0)
    for _ in range(3):
        issue(db, hall)
    ahead, wait = forecast_of_new_ticket(db, hall)
    assert ahead == 3
    assert wait is not None and wait.low < wait.median < wait.high
    assert wait.low < 3 * 300 < wait.high  # the plain estimate lies within the range
    assert wait.high - wait.low > 5 * 60  # a range, not a point


def test_more_people_ahead_wait_longer(db, hall, clock):
    open_windows(db, hall, 1)
    for _ in range(5):  # a mean on five services: not much doubt about the pace left
        serve(db, hall, clock, 1, 5)
    waits = []
    for _ in range(4):
        for _ in range(5):
            issue(db, hall)
        waits.append(forecast_of_new_ticket(db, hall)[1])
    assert [w.median for w in waits] == sorted(w.median for w in waits)
    assert waits[0].high < waits[-1].low  # 5 ahead and 20 ahead are told apart


def test_a_window_shared_with_a_queue_that_has_people_waiting_gives_half_its_time(db, hall, clock):
    open_windows(db, hall, 1)  # window 1 serves A and B, without weights
    with db.read() as uow:
        day = service_day(hall, uow.now())
        alone = {q: [w.share for w in ws] for q, ws in hall_windows(uow, hall.id, day).items()}
    assert sorted(alone.values()) == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]  # windows 2, 3 closed
    issue(db, hall, "B")
    with db.read() as uow:
        (a_share, *_), (b_share, *_) = (
            queue_windows(uow, queue_id(db, hall, code), day) for code in ("A", "B")
        )
    # B has someone waiting, so A's new ticket shares window 1 with B; B's shares it with
    # nobody, as A has nobody waiting.
    assert (a_share.share, b_share.share) == (0.5, 1.0)
    assert a_share.open and a_share.idle


def test_weights_split_a_window_as_its_calls_are_split(db, clock):
    spec = small_hall_spec(windows=1)
    spec.windows[0].queues = [QueueRef(code="A", weight=3), QueueRef(code="B", weight=1)]
    hall = make_hall(db, spec)
    open_windows(db, hall, 1)
    issue(db, hall, "A")
    issue(db, hall, "B")
    with db.read() as uow:
        day = service_day(hall, uow.now())
        shares = {q: ws[0].share for q, ws in hall_windows(uow, hall.id, day).items()}
    assert sorted(shares.values()) == [0.25, 0.75]


def test_an_idle_window_calls_the_first_in_line_at_once(db, hall, clock):
    open_windows(db, hall, 1, 2)
    serve(db, hall, clock, 1, 5)
    ahead, wait = forecast_of_new_ticket(db, hall)
    assert (ahead, wait) == (0, CALLED_SOON)


def test_the_same_weekday_in_past_weeks_speaks_before_today_has_a_service(db, hall, clock):
    last_monday = clock.now()
    open_windows(db, hall, 1)
    for _ in range(4):
        serve(db, hall, clock, 1, 10)
    clock.set(last_monday + timedelta(days=7))  # today, a Monday: last Monday is closed
    with db.read() as uow:
        day = service_day(hall, uow.now())
    assert rollups.ensure(db, hall.id, day - timedelta(days=7), day - timedelta(days=1)) == 7
    for _ in range(2):  # window 1 is still open
        issue(db, hall)
    ahead, wait = forecast_of_new_ticket(db, hall)
    with db.read() as uow:
        (history,) = handling_figures(uow, hall.id, day).values()
    assert (history.today, history.history, history.history_mean) == (0, 4, 600)
    assert ahead == 2 and wait is not None and wait.low < 2 * 600 < wait.high
    # Today's services pull the mean towards today's pace: 10 of them at 2 minutes weigh as
    # much as the history.
    for _ in range(10):
        serve(db, hall, clock, 1, 2)
    with db.read() as uow:
        (both,) = handling_figures(uow, hall.id, day).values()
    assert both.mean() == (10 * 120 + 10 * 600) / 20


def test_a_tuesday_is_not_forecast_from_mondays(db, hall, clock):
    monday = clock.now()
    open_windows(db, hall, 1)
    serve(db, hall, clock, 1, 10)
    clock.set(monday + timedelta(days=8))  # Tuesday of the next week
    with db.read() as uow:
        day = service_day(hall, uow.now())
    rollups.ensure(db, hall.id, day - timedelta(days=8), day - timedelta(days=1))
    assert forecast_of_new_ticket(db, hall)[1] is None


def test_the_sweeper_tells_the_hall_boards_each_queues_wait(db, hall, clock, published):
    open_windows(db, hall, 1)  # serves A and B
    for _ in range(2):
        serve(db, hall, clock, 1, 5)
    for _ in range(2):
        issue(db, hall)
    published.events.clear()
    waits = Sweeper(db, hall.code).publish_waits()
    assert waits is not None
    assert published.events == [waits] and rooms_for(waits) == [f"{hall.id}/board:hall"]
    forecast = waits.waits["A"]
    assert forecast is not None
    low, high = forecast
    assert low < 2 * 300 < high  # a ticket taken now in A: two ahead, 5 minutes each
    assert waits.waits["B"] is None  # nothing served in B today
