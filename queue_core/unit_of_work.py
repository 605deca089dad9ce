"""The unit of work: one transaction of domain work, what it changed and what it will say.

Services record domain events in it and mark the queues and windows they touched. What happens
around its commit is two lists of hooks that the Database runs: before the commit, inside the
transaction (the snapshots of what was touched, the audit entry); after it, once the commit
succeeded (publishing the events, handing print jobs to their printers). A rolled-back unit
runs no after-commit hook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from .clock import Clock
from .events import DomainEvent
from .models import Window

CommitHook = Callable[["UnitOfWork"], None]


class UnitOfWork:
    """One transaction of domain work."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.events: list[DomainEvent] = []
        self.touched_queues: set[int] = set()
        # The windows themselves, not their ids: the session's identity map holds instances
        # only weakly, and the snapshot (and the caller's answer) must not reload them.
        self.touched_windows: dict[int, Window] = {}
        # Rows looked up for the whole transaction (the hall, a queue), held so that the
        # before-commit snapshot and the answer find them in the identity map, not reload them.
        self.held: list[object] = []
        # Windows this transaction locked and read, by (hall id, number): the lock holds until
        # the commit, so a second look-up (the API's, then the core's) needs no second read.
        self.locked_windows: dict[tuple[int, int], Window] = {}
        self.is_postgres = session.get_bind().dialect.name == "postgresql"
        # What the audit entry of this transaction says besides its events (queue_core.audit).
        self.audit_detail: dict[str, object] = {}

    def now(self) -> datetime:
        return self.clock.now()

    def record(self, domain_event: DomainEvent) -> None:
        self.events.append(domain_event)

    def touch_queue(self, queue_id: int) -> None:
        self.touched_queues.add(queue_id)

    def touch_window(self, window: Window) -> None:
        self.touched_windows[window.id] = window
