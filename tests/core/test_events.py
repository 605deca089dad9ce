import pytest

from queue_core.calling import call_next, finish, start, transfer
from queue_core.errors import InvalidState
from queue_core.models import Outcome, Priority, Ticket
from queue_core.ticketing import issue_ticket
from tests.core.helpers import issue, open_windows


def test_committed_changes_are_published_with_snapshots(db, hall, published):
    open_windows(db, hall, 2)
    published.events.clear()
    issue(db, hall)
    assert published.names() == ["ticket_issued", "queue_state"]
    issued_at = published.events[0].at.isoformat()
    assert published.events[1].payload() == {
        "queue": "A",
        "queue_name": "户籍业务",
        "waiting": 1,
        "oldest_issued_at": issued_at,
        "line": [published.events[0].ticket_id],
    }
    published.events.clear()
    with db.write() as uow:
        call_next(uow, hall, 2, None)
    assert published.names() == ["ticket_called", "window_state", "queue_state"]
    called, window, queue = published.events
    assert (called.number, called.window, called.window_name, called.recall) == ("A001", 2, "2号窗口", False)
    assert (window.state, window.current["number"], window.clerk) == (
        "called",
        "A001",
        {"name": "办事员2", "badge": "0002"},
    )
    assert (queue.waiting, queue.oldest_issued_at, queue.line) == (0, None, [])

    # Starting and finishing change nothing on a queue board: no queue_state is pushed.
    # A finish wakes the window's keypad.
    for step, names in (
        (start, ["ticket_changed", "window_state"]),
        (
            lambda uow, hall, n, staff: finish(uow, hall, n, staff, Outcome.COMPLETED),
            ["ticket_changed", "evaluation_request", "window_state"],
        ),
    ):
        published.events.clear()
        with db.write() as uow:
            step(uow, hall, 2, None)
        assert published.names() == names


def test_a_rollback_pushes_no_event(db, hall, published):
    open_windows(db, hall, 1)
    published.events.clear()
    with pytest.raises(InvalidState), db.write() as uow:
        issue_ticket(uow, hall, queue_code="A")  # succeeds inside the transaction...
        call_next(uow, hall, 1, None)
        call_next(uow, hall, 1, None)  # ...but this refuses, so everything rolls back
    assert published.events == []
    with db.read() as uow:
        from queue_core.models import Ticket

        assert uow.session.query(Ticket).count() == 0
    assert issue(db, hall) == "A001"  # the rolled-back number was not used


def test_a_queues_line_is_its_call_order_without_those_sent_to_one_window(db, hall, published, clock):
    """What a citizen's phone page reads its place from: priority first, then by arrival; a
    ticket transferred to one window waits in that window's line."""
    first, second = issue(db, hall), issue(db, hall)
    clock.advance(minutes=1)
    with db.write() as uow:
        elder = issue_ticket(uow, hall, queue_code="A", priority=Priority.SENIOR).number
        by_number = {t.number: t.id for t in uow.session.query(Ticket)}
    with db.write() as uow:
        transfer(uow, hall, uow.session.get(Ticket, by_number[second]), None, to_window=2)
    queue = [e for e in published.events if e.name == "queue_state"][-1]
    assert queue.line == [by_number[elder], by_number[first]]
    assert queue.waiting == 3
