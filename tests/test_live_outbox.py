"""A busy hall's outbox: of the queue states waiting to be sent, each queue's latest alone goes
out (it says all the earlier ones did); every other message goes, in commit order."""

from hallq.live.server import _without_superseded


def test_only_the_latest_state_of_each_queue_is_sent_and_the_rest_in_order():
    a, b = ["1/queue:A", "1/board:hall"], ["1/queue:B", "1/board:hall"]
    waiting = [
        ("queue_state", {"queue": "A", "waiting": 3}, a),
        ("ticket_called", {"number": "A001"}, ["1/window:1"]),
        ("queue_state", {"queue": "B", "waiting": 1}, b),
        ("queue_state", {"queue": "A", "waiting": 2}, a),
        ("window_state", {"window": 1}, ["1/window:1"]),
        ("window_state", {"window": 1}, ["1/window:1"]),
    ]
    assert _without_superseded(waiting) == [
        ("ticket_called", {"number": "A001"}, ["1/window:1"]),
        ("queue_state", {"queue": "B", "waiting": 1}, b),
        ("queue_state", {"queue": "A", "waiting": 2}, a),
        ("window_state", {"window": 1}, ["1/window:1"]),  # a window's pushes all go: the panel
        ("window_state", {"window": 1}, ["1/window:1"]),  # matches its own action's among them
    ]
