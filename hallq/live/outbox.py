"""Which of the committed messages go out, and when.

Most messages go at once, in commit order. A queue's state is different: it goes to every
phone, board and panel following the queue (about 500 screens in a busy county hall), and it
changes with every ticket issued or called, 40 times a second on a busy morning. It also
carries its subject's whole state, so a later one says all that an earlier one did. So:
- of the states of one subject waiting to be sent together, only the latest goes;
- a subject's state goes at most every STATE_EVERY seconds: the first at once, and of those
  that follow within the interval, the latest when it ends.
A screen therefore never sees an older state after a newer one, and sees the newest within
STATE_EVERY of its commit. A phone learns of its own call from `ticket_called`, which is
never held back; its place in the line may lag the call by at most that much."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

Message = tuple[str, dict[str, Any], list[str]]

SUPERSEDING = frozenset({"queue_state"})
STATE_EVERY = 0.5  # seconds


def without_superseded(messages: list[Message]) -> list[Message]:
    latest = {(name, tuple(rooms)): i for i, (name, _, rooms) in enumerate(messages) if name in SUPERSEDING}
    return [
        message
        for i, message in enumerate(messages)
        if message[0] not in SUPERSEDING or latest[(message[0], tuple(message[2]))] == i
    ]


class StatePacer:
    """Paces the superseding states; `release` takes a held state back to the outbox when its
    turn comes, behind whatever was committed before it was released."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, release: Callable[[Message], None], every: float = STATE_EVERY
    ) -> None:
        self._loop, self._release, self._every = loop, release, every
        self._sent_at: dict[tuple[str, tuple[str, ...]], float] = {}
        self._held: dict[tuple[str, tuple[str, ...]], Message] = {}

    def admit(self, messages: list[Message]) -> list[Message]:
        """Of messages taken from the outbox, those to send now, in their order."""
        now = self._loop.time()
        now_going = []
        for message in without_superseded(messages):
            name, _payload, rooms = message
            if name not in SUPERSEDING:
                now_going.append(message)
                continue
            subject = (name, tuple(rooms))
            if subject in self._held:  # the latest waits for the turn already set
                self._held[subject] = message
            elif now - self._sent_at.get(subject, -math.inf) >= self._every:
                self._sent_at[subject] = now
                now_going.append(message)
            else:
                self._held[subject] = message
                self._loop.call_at(self._sent_at[subject] + self._every, self._turn_of, subject)
        return now_going

    def _turn_of(self, subject: tuple[str, tuple[str, ...]]) -> None:
        # Forgetting when it was last sent lets the outbox send it at once, and start its next interval.
        del self._sent_at[subject]
        self._release(self._held.pop(subject))
