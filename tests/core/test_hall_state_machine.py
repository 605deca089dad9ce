"""Hypothesis drives the core through every action a hall has, in any order, and the hall's
invariants (queue_core.invariants) must hold after each step: every refused action is a
domain error (a 4xx), never a broken window.

On PostgreSQL a guide may also act from a stale view, as in a real hall where transactions
interleave: the guide's transaction reads a ticket, other steps run and commit, and then the
guide cancels what it read (SQLite runs one writer at a time, so there it reads afresh)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, event, update

from queue_core import UnitOfWork, calling, windows
from queue_core.errors import DomainError
from queue_core.invariants import violations
from queue_core.models import Base, Outcome, Priority, Role, Staff, Ticket, Window
from queue_core.setup import sync_hall
from queue_core.ticketing import cancel_ticket, issue_ticket
from tests.conftest import MORNING, small_hall_spec

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

WINDOWS = (1, 2, 3)
EXAMPLES = 500
window_numbers = st.sampled_from(WINDOWS)
picks = st.integers(min_value=0, max_value=10_000)


def test_no_order_of_actions_breaks_the_hall(db, clock, backend):
    if backend == "sqlite":  # durability is not under test here: 7,500 fsyncs would be
        event.listen(db.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
        db.engine.dispose()

    class Hall(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clock.set(MORNING)  # each example a morning of its own, in opening hours
            with db.write() as uow:  # an empty database (windows and tickets point at each other)
                uow.session.execute(update(Window).values(current_ticket_id=None))
                for table in reversed(Base.metadata.sorted_tables):
                    uow.session.execute(delete(table))
            with db.write() as uow:
                self.hall = sync_hall(uow, small_hall_spec(windows=len(WINDOWS), requeue_no_show=True))
                clerks = [
                    Staff(hall_id=self.hall.id, username=f"clerk{n}", name=f"办事员{n}", badge=f"{n:04d}",
                          role=Role.CLERK)
                    for n in WINDOWS
                ]  # fmt: skip
                uow.session.add_all(clerks)
                uow.session.flush()
                self.clerks = {n: c.id for n, c in zip(WINDOWS, clerks, strict=True)}
                for n, clerk in zip(WINDOWS, clerks, strict=True):  # the day begins with every window open
                    windows.sign_in(uow, self.hall, n, clerk)
            self.tickets: list[int] = []
            self.guide = contextlib.ExitStack()
            self.guide_view: tuple[UnitOfWork, Ticket] | None = None

        def act(self, action) -> None:
            clock.advance(seconds=7)
            try:
                with db.write() as uow:
                    action(uow)
            except DomainError:
                pass  # refused, with a reason: what a 4xx answer says

        def ticket(self, uow, pick: int) -> Ticket:
            return uow.session.get(Ticket, self.tickets[pick % len(self.tickets)])

        @rule(queue=st.sampled_from("AB"), priority=st.sampled_from([None, Priority.SENIOR]))
        def issue(self, queue, priority) -> None:
            def action(uow) -> None:
                self.tickets.append(issue_ticket(uow, self.hall, queue_code=queue, priority=priority).id)

            self.act(action)

        @rule(n=window_numbers, come=st.booleans())
        def sign_in_or_out(self, n, come) -> None:
            if come:
                self.act(
                    lambda uow: windows.sign_in(uow, self.hall, n, uow.session.get(Staff, self.clerks[n]))
                )
            else:
                self.act(lambda uow: windows.sign_out(uow, self.hall, n, self.clerks[n]))

        @rule(n=window_numbers, pause=st.booleans())
        def pause_or_resume(self, n, pause) -> None:
            if pause:
                self.act(lambda uow: windows.pause(uow, self.hall, n, self.clerks[n], "会议"))
            else:
                self.act(lambda uow: windows.resume(uow, self.hall, n, self.clerks[n]))

        @rule(n=window_numbers)
        def call_next(self, n) -> None:
            self.act(lambda uow: calling.call_next(uow, self.hall, n, self.clerks[n]))

        @precondition(lambda self: self.tickets)
        @rule(n=window_numbers, pick=picks)
        def call_number(self, n, pick) -> None:
            self.act(
                lambda uow: calling.call_number(
                    uow, self.hall, n, self.ticket(uow, pick).number, self.clerks[n]
                )
            )

        @rule(n=window_numbers, step=st.sampled_from([calling.recall, calling.start]))
        def step(self, n, step) -> None:
            self.act(lambda uow: step(uow, self.hall, n, self.clerks[n]))

        @rule(n=window_numbers)
        def finish(self, n) -> None:
            self.act(lambda uow: calling.finish(uow, self.hall, n, self.clerks[n], Outcome.COMPLETED))

        @rule(n=window_numbers, requeue=st.booleans())
        def no_show(self, n, requeue) -> None:
            self.act(lambda uow: calling.no_show(uow, self.hall, n, self.clerks[n], requeue=requeue))

        @rule(n=window_numbers, to=st.sampled_from(["A", "B", *WINDOWS]))
        def transfer(self, n, to) -> None:
            where = {"to_queue": to} if isinstance(to, str) else {"to_window": to}
            self.act(lambda uow: calling.transfer_current(uow, self.hall, n, self.clerks[n], **where))

        @precondition(lambda self: self.tickets)
        @rule(pick=picks)
        def cancel(self, pick) -> None:
            self.act(lambda uow: cancel_ticket(uow, self.ticket(uow, pick)))

        @precondition(lambda self: self.tickets and self.guide_view is None and backend == "postgresql")
        @rule(pick=picks)
        def guide_reads(self, pick) -> None:
            uow = self.guide.enter_context(db.write())
            self.guide_view = (uow, self.ticket(uow, pick))
            self.guide_view[1].window  # noqa: B018 - the window too, as the guide's screen shows it

        @precondition(lambda self: self.guide_view is not None)
        @rule()
        def guide_cancels_what_it_read(self) -> None:
            assert self.guide_view is not None  # (the precondition)
            uow, seen = self.guide_view
            self.guide_view = None
            try:
                cancel_ticket(uow, seen)
            except DomainError as refused:
                self.guide.__exit__(type(refused), refused, refused.__traceback__)
            else:
                self.guide.close()

        @invariant()
        def windows_and_tickets_agree(self) -> None:
            with db.read() as uow:
                assert violations(uow, self.hall) == []

        def teardown(self) -> None:
            self.guide.close()

    run_state_machine_as_test(
        Hall,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
