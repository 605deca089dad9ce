import pytest

from queue_core.calling import call_next, finish, start
from queue_core.errors import InvalidState
from queue_core.models import Outcome
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
    }
    published.events.clear()
    with db.write() as uow:
        call_next(uow, hall, 2, None)
    assert published.names() == ["ticket_called", "window_state", "queue_state"]
    called, window, queue = published.events
    assert (called.number, called.window, called.window_name, called.recall) == ("A001", 2, "2号窗口", False)
    assert (window.state, window.current_number, window.clerk_name, window.clerk_badge) == (
        "called",
        "A001",
        "办事员2",
        "0002",
    )
    assert (queue.waiting, queue.oldest_issued_at) == (0, None)

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
