import pytest

from queue_core.calling import finish, no_show, recall, start, transfer, transfer_current
from queue_core.errors import InvalidState
from queue_core.models import Outcome, Priority, Ticket, TicketEvent, TicketStatus
from queue_core.spec import QueueRef
from queue_core.ticketing import cancel_ticket, issue_ticket, waiting_ahead
from queue_core.windows import pause, resume, sign_out
from tests.conftest import make_hall, small_hall_spec
from tests.core.helpers import issue, next_number, open_windows


def serve_current(db, hall, window):
    with db.write() as uow:
        start(uow, hall, window, None)
    with db.write() as uow:
        finish(uow, hall, window, None, Outcome.COMPLETED)


def test_closed_window_cannot_call(db, hall):
    issue(db, hall)
    with pytest.raises(InvalidState, match="window 1 is closed: a clerk must sign in first"):
        next_number(db, hall, 1)


def test_calls_in_arrival_order_and_204_when_empty(db, hall, clock):
    open_windows(db, hall, 1)
    for _ in range(3):
        issue(db, hall)
        clock.advance(seconds=10)
    called = []
    while (number := next_number(db, hall, 1)) is not None:
        called.append(number)
        serve_current(db, hall, 1)
    assert called == ["A001", "A002", "A003"]


def test_queue_order_of_preference(db, hall):
    open_windows(db, hall, 1)  # serves A then B
    issue(db, hall, "B")
    issue(db, hall, "A")
    assert next_number(db, hall, 1) == "A001"
    serve_current(db, hall, 1)
    assert next_number(db, hall, 1) == "B001"


def test_weights_share_calls_between_queues(db):
    spec = small_hall_spec(windows=1)
    spec.windows[0].queues = [QueueRef(code="A", weight=2), QueueRef(code="B", weight=1)]
    hall = make_hall(db, spec)
    open_windows(db, hall, 1)
    for _ in range(6):
        issue(db, hall, "A")
        issue(db, hall, "B")
    order = []
    for _ in range(9):
        number = next_number(db, hall, 1)
        assert number is not None
        order.append(number[0])
        serve_current(db, hall, 1)
    assert order == ["A", "B", "A", "A", "B", "A", "A", "B", "A"]
    assert order.count("A") == 6 and order.count("B") == 3


def test_priority_first_with_fairness_rule(db):
    hall = make_hall(db, small_hall_spec(windows=1, priority_fairness=2))
    open_windows(db, hall, 1)
    normal = [issue(db, hall) for _ in range(3)]
    senior = [issue(db, hall, priority=Priority.SENIOR) for _ in range(5)]
    order = []
    while (number := next_number(db, hall, 1)) is not None:
        order.append(number)
        serve_current(db, hall, 1)
    # After every 2 priority calls, one normal ticket is served.
    assert order == [senior[0], senior[1], normal[0], senior[2], senior[3], normal[1], senior[4], normal[2]]


def test_second_call_while_ticket_in_hand_is_refused(db, hall):
    open_windows(db, hall, 1)
    issue(db, hall)
    issue(db, hall)
    assert next_number(db, hall, 1) == "A001"
    with pytest.raises(InvalidState, match="still has ticket A001 \\(called\\)"):
        next_number(db, hall, 1)


def test_transitions_are_status_checked(db, hall):
    open_windows(db, hall, 1)
    issue(db, hall)
    next_number(db, hall, 1)
    with db.write() as uow, pytest.raises(InvalidState, match="ticket A001 is called, not serving"):
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    serve_current(db, hall, 1)
    with db.write() as uow, pytest.raises(InvalidState, match="window 1 has no current ticket"):
        recall(uow, hall, 1, None)


def test_durations_are_stored_per_step(db, hall, clock):
    open_windows(db, hall, 1)
    issue(db, hall)
    clock.advance(seconds=125)
    next_number(db, hall, 1)
    clock.advance(seconds=5)
    with db.write() as uow:
        start(uow, hall, 1, None)
    clock.advance(seconds=300)
    with db.write() as uow:
        ticket = finish(uow, hall, 1, None, Outcome.SUPPLEMENT)
    assert (ticket.wait_seconds, ticket.handle_seconds, ticket.outcome) == (125, 300, "supplement")


def test_recall_keeps_the_ticket_called(db, hall, published):
    open_windows(db, hall, 1)
    issue(db, hall)
    next_number(db, hall, 1)
    with db.write() as uow:
        ticket = recall(uow, hall, 1, None)
    assert (ticket.status, ticket.call_count) == ("called", 2)
    calls = [e for e in published.events if e.name == "ticket_called"]
    assert [c.recall for c in calls] == [False, True]


def test_no_show_requeued_once_keeps_number_and_goes_to_the_back(db, hall, clock):
    open_windows(db, hall, 1)
    issue(db, hall)
    clock.advance(seconds=1)
    issue(db, hall)
    next_number(db, hall, 1)
    clock.advance(seconds=60)
    with db.write() as uow:
        ticket = no_show(uow, hall, 1, None, requeue=True)
    assert (ticket.number, ticket.status, ticket.requeue_count) == ("A001", "waiting", 1)
    assert next_number(db, hall, 1) == "A002"
    serve_current(db, hall, 1)
    assert next_number(db, hall, 1) == "A001"
    with db.write() as uow, pytest.raises(InvalidState, match="already requeued once"):
        no_show(uow, hall, 1, None, requeue=True)
    with db.write() as uow:
        assert no_show(uow, hall, 1, None, requeue=False).status == "no_show"
    with db.read() as uow:
        kinds = [
            e.kind
            for e in uow.session.query(TicketEvent).filter_by(ticket_id=ticket.id).order_by(TicketEvent.id)
        ]
    assert kinds == ["issued", "called", "no_show", "requeued", "called", "no_show"]


def test_transfer_to_queue_keeps_arrival(db, hall, clock):
    open_windows(db, hall, 1, 2)
    with db.write() as uow:  # window 2 serves only B
        from queue_core.models import Window

        w2 = uow.session.query(Window).filter_by(number=2).one()
        w2.queue_links = [link for link in w2.queue_links if link.queue.code == "B"]
    issue(db, hall, "A")
    clock.advance(seconds=30)
    issue(db, hall, "B")
    next_number(db, hall, 1)
    with db.write() as uow:
        start(uow, hall, 1, None)
        ticket = transfer_current(uow, hall, 1, None, to_queue="B", note="需社保窗口办理")
    assert (ticket.number, ticket.status, ticket.queue.code) == ("A001", "waiting", "B")
    # Its original arrival puts it ahead of B001.
    assert next_number(db, hall, 2) == "A001"


def test_transfer_to_a_window_is_called_only_there(db, hall):
    open_windows(db, hall, 1, 2, 3)
    issue(db, hall)
    issue(db, hall)
    with db.write() as uow:
        ticket = uow.session.query(Ticket).filter_by(number="A002").one()
        transfer(uow, hall, ticket, None, to_window=3)
    assert next_number(db, hall, 1) == "A001"
    assert next_number(db, hall, 2) is None
    assert next_number(db, hall, 3) == "A002"


def test_cancel_frees_the_window(db, hall):
    open_windows(db, hall, 1)
    issue(db, hall)
    issue(db, hall)
    next_number(db, hall, 1)
    with db.write() as uow:
        ticket = uow.session.query(Ticket).filter_by(number="A001").one()
        cancel_ticket(uow, ticket)
    assert next_number(db, hall, 1) == "A002"
    with db.write() as uow, pytest.raises(InvalidState, match="ticket A001 is cancelled"):
        cancel_ticket(uow, uow.session.query(Ticket).filter_by(number="A001").one())


def test_waiting_ahead_counts_priority_first(db, hall):
    issue(db, hall)
    issue(db, hall)
    issue(db, hall, priority=Priority.DISABLED)
    with db.write() as uow:
        last = issue_ticket(uow, hall, queue_code="A")
        prio = issue_ticket(uow, hall, queue_code="A", priority=Priority.MILITARY)
        assert waiting_ahead(uow, last) == 4  # both priority tickets go first
        assert waiting_ahead(uow, prio) == 1


def test_pause_and_sign_out_need_empty_hands(db, hall):
    open_windows(db, hall, 1)
    issue(db, hall)
    next_number(db, hall, 1)
    with db.write() as uow, pytest.raises(InvalidState, match="still has a ticket"):
        pause(uow, hall, 1, None, "休息")
    serve_current(db, hall, 1)
    with db.write() as uow:
        pause(uow, hall, 1, None, "休息")
    with pytest.raises(InvalidState, match="window 1 is paused"):
        next_number(db, hall, 1)
    with db.write() as uow:
        resume(uow, hall, 1, None)
        sign_out(uow, hall, 1, None)
    with db.read() as uow:
        assert uow.session.query(Ticket).filter_by(status=TicketStatus.FINISHED).count() == 1
