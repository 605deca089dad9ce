"""A busy hall's outbox: of the queue states waiting to be sent, each queue's latest alone goes
out (it says all the earlier ones did); every other message goes, in commit order."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from hallq.live.outbox import Message, StatePacer, without_superseded


def test_only_the_latest_state_of_each_queue_is_sent_and_the_rest_in_order():
    a, b = ["1/queue:A", "1/board:hall"], ["1/queue:B", "1/board:hall"]
    waiting: list[Message] = [
        ("queue_state", {"queue": "A", "waiting": 3}, a),
        ("ticket_called", {"number": "A001"}, ["1/window:1"]),
        ("queue_state", {"queue": "B", "waiting": 1}, b),
        ("queue_state", {"queue": "A", "waiting": 2}, a),
        ("window_state", {"window": 1}, ["1/window:1"]),
        ("window_state", {"window": 1}, ["1/window:1"]),
    ]
    assert without_superseded(waiting) == [
        ("ticket_called", {"number": "A001"}, ["1/window:1"]),
        ("queue_state", {"queue": "B", "waiting": 1}, b),
        ("queue_state", {"queue": "A", "waiting": 2}, a),
        ("window_state", {"window": 1}, ["1/window:1"]),  # a window's pushes all go: the panel
        ("window_state", {"window": 1}, ["1/window:1"]),  # matches its own action's among them
    ]


def test_a_queues_state_goes_at_once_then_at_most_once_an_interval_and_then_its_latest():
    a, b, window = ["1/queue:A", "1/board:hall"], ["1/queue:B", "1/board:hall"], ["1/window:1"]
    called = ("ticket_called", {"number": "A001"}, window)

    async def run() -> None:
        released: list = []
        pacer = StatePacer(asyncio.get_running_loop(), released.append, every=0.2)
        assert pacer.admit([("queue_state", {"waiting": 1}, a)]) == [("queue_state", {"waiting": 1}, a)]
        # Within the interval A's states wait, the latest replacing the others; the rest goes.
        waiting: list[Message] = [
            ("queue_state", {"waiting": 2}, a),
            called,
            ("queue_state", {"waiting": 1}, b),
        ]
        assert pacer.admit(waiting) == [called, ("queue_state", {"waiting": 1}, b)]
        assert pacer.admit([("queue_state", {"waiting": 3}, a)]) == []
        assert released == []
        await asyncio.sleep(0.3)
        # Its turn: the latest comes back to the outbox, and goes when the outbox takes it.
        assert released == [("queue_state", {"waiting": 3}, a)]
        assert pacer.admit(released) == released
        assert pacer.admit([("queue_state", {"waiting": 4}, a)]) == []

    # A loop of its own, on a thread of its own: a browser test may leave one running on this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run()).result()
