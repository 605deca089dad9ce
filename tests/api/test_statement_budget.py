"""A deterministic budget of SQL statements per request, so that a request that starts reading
or writing more (a 2x regression went unnoticed once) fails here instead of on a busy morning.

Each kind of request is counted on the app's real engine (SQLAlchemy's before_cursor_execute)
in the request's own thread: the server-driven printers report their jobs from their stations'
threads, and those statements are neither the request's nor deterministic in time, so they are
left out, and the print jobs are let finish before each count besides. Rows read cannot be
counted on SQLite (cursor.rowcount is -1 for a SELECT there), but the steps of its virtual
machine can, exactly (its progress handler, called at every instruction): an index seek is one
step however big the table, and every row a read walks through adds steps. A caller's
bearer token is looked up once per 30 s (hallq.state's token cache, on the real clock); each
count is of a request that finds it cached, as nearly all do: the token is met just before.

Each kind is counted on a quiet morning (nothing waiting but what the request needs) and again
after 300 more tickets issued with 200 of them still waiting: a request's statements must not
grow with the day. (None does today; one that does is to be marked
pytest.mark.xfail(strict=True) with the growth measured, until it is fixed.) Each kind's VM
steps are compared between two moments of a day 120 finished tickets apart, with as many
waiting: they must be equal. (They do grow with the tickets waiting in a queue whose
snapshot a request sends, which lists them for the phones: not guarded here.)

The board's count is of the subscription's state read, called as the socket handler calls it
(hallq.live.server: `current_state(kind, value)` in a worker thread, in an app context): for a
board, `parse` and joining the room read nothing, the kind has no admit check and no presence,
so this read is all the database work a board's subscription does. The last test checks that
over a real socket, counting in every thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, func, select

from hallq.auth import user_for_token
from hallq.live.subscriptions import KINDS, current_state
from queue_core.models import PrintRecord, PrintStatus
from tests.socket_crowd import Crowd, Screen

# Today's counts (issue 20: the baseline was issue 16, call-next 19, recall 15, start 15, finish 18,
# no-show 15, transfer 21, board 8, phone 7). They are the budgets: a change that adds statements to
# a request must raise its budget here knowingly; one that saves statements lowers it (the test
# fails either way, naming the count to write).
BUDGET = {
    "issue": 14,
    "call_next": 17,
    "recall": 12,
    "start": 12,
    "finish": 17,  # one more: the tallies' upsert, so no read counts the day's finished tickets
    "no_show": 13,
    "transfer": 20,
    "board": 9,
    "phone": 7,  # with the 书面告知 the windows gave for the ticket
}

WINDOW, CLERK, QUEUE = 3, "clerk3", "B"  # the demo hall's window 3 serves queue B alone
ISSUED_ON_A_BUSY_DAY, SERVED_ON_A_BUSY_DAY = 300, 100
FINISHED_A_DAY = 120  # per served_day, half in queue B: its daily quota (200) holds three and the counts


@dataclass
class Work:
    """What the database did for one request: its statements, and on SQLite the steps of its
    virtual machine (an index seek is one step whatever the table's size; every row a read
    goes through adds steps), so that a read that grows with the day shows, exactly."""

    statements: list[str] = field(default_factory=list)
    steps: int = 0


@contextmanager
def counted_statements(app, *, any_thread: bool = False) -> Iterator[Work]:
    """The statements this thread (or, for a request served by a live server's threads, any
    thread) executes on the app's engine inside the block, and the VM steps they take."""
    engine = app.extensions["hallq"].db.engine
    here = threading.get_ident()
    work = Work()
    watched: dict[int, Any] = {}  # the SQLite connections given a progress handler

    def step() -> int:  # SQLite's progress handler: called at every VM instruction (n = 1)
        if any_thread or threading.get_ident() == here:
            work.steps += 1
        return 0  # go on

    def count(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if any_thread or threading.get_ident() == here:
            work.statements.append(statement)
            raw = conn.connection.dbapi_connection
            if engine.dialect.name == "sqlite" and id(raw) not in watched:
                watched[id(raw)] = raw
                raw.set_progress_handler(step, 1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield work
    finally:
        event.remove(engine, "before_cursor_execute", count)
        for raw in watched.values():
            raw.set_progress_handler(None, 0)


def printed(app) -> None:
    """Waits until no print job is still queued or being printed by a server-driven station."""
    db = app.extensions["hallq"].db
    pending = select(func.count()).where(PrintRecord.status.in_([PrintStatus.QUEUED, PrintStatus.CLAIMED]))
    for _ in range(200):
        with db.read() as uow:
            if uow.session.scalar(pending) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("print jobs still pending after 10 s")


def acted(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def busy_day(api) -> None:
    """300 tickets issued, half in the window's queue and half in window 1's, 100 of them
    served: 200 waiting.
    A guide issues them, so that no printing of theirs goes on while the requests are counted."""
    api.post("/windows/1/sign-in", "clerk1")
    issue_and_serve(api, ISSUED_ON_A_BUSY_DAY, SERVED_ON_A_BUSY_DAY)


def issue_and_serve(api, issued: int, served: int) -> None:
    """Tickets issued by the guide, alternately in queue A and the window's queue, and the
    first `served` of them served at window 1 (A) and the window (B) in turn."""
    for n in range(issued):
        acted(api.post("/tickets", "guide", {"queue": "A" if n % 2 else QUEUE}), 201)
    for n in range(served):
        window, clerk = (1, "clerk1") if n % 2 else (WINDOW, CLERK)
        for action in ("call-next", "start", "finish"):
            acted(api.post(f"/windows/{window}/{action}", clerk))


def measured_day(api, app) -> dict[str, Work]:
    """Each kind's work, one request each, at window 3 as its clerk would act."""
    counts: dict[str, Work] = {}

    def measure(kind: str, request: Callable[[], Any], who: str | None = None) -> Any:
        printed(app)
        if who is not None:  # its token known, as all but one request in 30 s find it
            with app.app_context():
                user_for_token(api.token(who))
        with counted_statements(app) as work:
            answer = request()
        counts[kind] = work
        return answer

    def window(action: str, body: dict | None = None) -> dict:
        return acted(api.post(f"/windows/{WINDOW}/{action}", CLERK, body))

    ticket = measure(
        "issue", lambda: acted(api.post("/tickets", "device:K1", {"queue": QUEUE}), 201), "device:K1"
    )
    # The citizen's phone while the ticket waits (behind 100 others of its queue on a busy day).
    phone = measure("phone", lambda: api.client.get(f"/t/{ticket['key']}"))
    assert phone.status_code == 200 and ticket["number"] in phone.get_data(as_text=True)
    measure("call_next", lambda: window("call-next"), CLERK)
    measure("recall", lambda: window("recall"), CLERK)
    measure("start", lambda: window("start"), CLERK)
    measure("finish", lambda: window("finish", {"outcome": "completed"}), CLERK)

    acted(api.post("/tickets", "guide", {"queue": QUEUE}), 201)
    window("call-next")
    measure("no_show", lambda: window("no-show", {"requeue": False}), CLERK)
    acted(api.post("/tickets", "guide", {"queue": QUEUE}), 201)
    window("call-next")
    measure("transfer", lambda: window("transfer", {"queue": "D"}), CLERK)

    with app.app_context():
        board = measure("board", lambda: current_state(KINDS["board"], "hall"))
    assert board["queues"] and board["windows"]
    return counts


@pytest.fixture
def signed_in(api) -> None:
    """Window 3's clerk at work, having served one citizen: finishing a ticket also closes the
    previous one's rating, if still open (one UPDATE), which a day's first service has not.
    Nothing waits afterwards."""
    acted(api.post(f"/windows/{WINDOW}/sign-in", CLERK))
    acted(api.post("/tickets", "device:K1", {"queue": QUEUE}), 201)
    for action in ("call-next", "start", "finish"):
        acted(api.post(f"/windows/{WINDOW}/{action}", CLERK))


def test_each_request_keeps_its_budget(api, app, signed_in):
    counts = {kind: len(work.statements) for kind, work in measured_day(api, app).items()}
    wrong = [
        f"{kind}: {counts[kind]} statements, over its budget of {budget}"
        if counts[kind] > budget
        else f"{kind}: {counts[kind]} statements, under its budget of {budget}: lower the budget to {counts[kind]}"
        for kind, budget in BUDGET.items()
        if counts[kind] != budget
    ]
    assert not wrong, "\n".join(wrong)


def test_no_request_costs_more_after_300_tickets(api, app, signed_in):
    morning = measured_day(api, app)
    busy_day(api)
    later = measured_day(api, app)
    grown = [
        f"{kind}: {len(morning[kind].statements)} statements, {len(later[kind].statements)} later"
        for kind in BUDGET
        if len(later[kind].statements) != len(morning[kind].statements)
    ]
    assert not grown, "grew with the day:\n" + "\n".join(grown)


def served_day(api) -> None:
    """FINISHED_A_DAY more tickets issued and finished, half at window 1 (queue A) and half at
    window 3 (B); and window 5 serves what the last measurement transferred to D, so that exactly as
    many wait as before."""
    issue_and_serve(api, FINISHED_A_DAY, FINISHED_A_DAY)
    while api.post("/windows/5/call-next", "clerk5").status_code == 200:
        for action in ("start", "finish"):
            acted(api.post(f"/windows/5/{action}", "clerk5"))


def test_no_request_reads_more_as_finished_tickets_pile_up(api, app, signed_in):
    """Each kind's SQLite VM steps are the same after 120 more tickets finished today: no
    request counts the day's finished tickets (a clerk's day and a queue's handling times
    come from the tallies the finish keeps). Before the tallies, every kind but the board's
    read grew by 427-1,098 steps per 120 finished (on 26d2eac: issue 3,214 → 4,312).
    Measured on the second and third served days: the first is when the day's shapes appear
    (queue D's first finished ticket, and so its tally, comes with the second)."""
    acted(api.post("/windows/1/sign-in", "clerk1"))
    acted(api.post("/windows/5/sign-in", "clerk5"))
    served_day(api)
    measured_day(api, app)
    served_day(api)
    first = measured_day(api, app)
    served_day(api)
    second = measured_day(api, app)
    grown = [
        f"{kind}: {first[kind].steps} steps, {second[kind].steps} after {FINISHED_A_DAY} more finished"
        for kind in BUDGET
        if second[kind].steps != first[kind].steps
    ]
    assert not grown, "grew with the day:\n" + "\n".join(grown)
    assert all(work.steps for work in first.values())  # the steps were counted


def test_a_board_subscribing_over_its_socket_reads_only_its_state(app, served, signed_in):
    """The board's budget is counted by calling the subscription's state read directly; over a
    real socket (the live server's worker thread reads it) the subscription costs the same."""
    screen, crowd = Screen(served, {"board": "hall"}), Crowd()
    try:
        printed(app)
        with counted_statements(app, any_thread=True) as work:
            (ack,) = crowd.open([screen])
        assert ack["ok"] and ack["state"]["windows"], ack
        assert len(work.statements) == BUDGET["board"], work.statements
    finally:
        crowd.close([screen])
