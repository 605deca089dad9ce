"""好差评 in the core: one rating per service, the keypad's time, the phone page's days,
defaults flagged apart, the follow-up's working-day deadlines, and every figure of the
summary on hand-built services with answers worked out by hand."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from queue_core import cases, evaluation_figures, evaluations
from queue_core.calling import call_next, finish, start
from queue_core.errors import Invalid, InvalidState, TooLate
from queue_core.halls import window_by_number
from queue_core.models import Evaluation, EvaluationCase, EvaluationStatus, Outcome, ServiceItem, Ticket
from queue_core.setup import import_items
from queue_core.spec import ItemSpec
from queue_core.ticketing import issue_ticket
from tests.conftest import make_hall, small_hall_spec, staff_by_username
from tests.core.helpers import open_windows

# The ratings' rules run on both databases a hall may use.
both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

# -- one service, one rating ------------------------------------------------------------------


@pytest.fixture
def rated_hall(db):
    spec = small_hall_spec(windows=3)
    spec.evaluation.default_after_days = 7
    return make_hall(db, spec)


def serve(db, hall, window: int, item_id: int | None = None) -> Ticket:
    """A ticket issued, called, started and finished at the window."""
    with db.write() as uow:
        issue_ticket(uow, hall, queue_code=None if item_id else "A", item_id=item_id)
    with db.write() as uow:
        ticket = call_next(uow, hall, window, None)
        assert ticket is not None
    with db.write() as uow:
        start(uow, hall, window, None)
    with db.write() as uow:
        return finish(uow, hall, window, None, Outcome.COMPLETED)


def evaluation_of(db, ticket: Ticket) -> Evaluation:
    with db.read() as uow:
        return uow.session.query(Evaluation).filter_by(ticket_id=ticket.id).one()


def rate(db, hall, window: int, score: int, reasons=(), comment="") -> Evaluation:
    with db.write() as uow:
        return evaluations.rate_at_window(uow, hall, window, f"P{window}", score, list(reasons), comment)


@both_databases
def test_a_finish_asks_the_keypad_until_its_time_is_up(db, rated_hall, clock, published):
    open_windows(db, rated_hall, 1)
    ticket = serve(db, rated_hall, 1)
    request = next(e for e in published.events if e.name == "evaluation_request")
    assert (request.window, request.number, request.clerk_name, request.clerk_badge) == (
        1,
        "A001",
        "办事员1",
        "0001",
    )
    assert (request.expires_at - clock.now()).total_seconds() == 60
    clock.advance(seconds=59)
    with db.write() as uow:
        assert evaluations.close_expired(uow, rated_hall) == 0
    clock.advance(seconds=1)
    with pytest.raises(InvalidState, match="no service awaits a rating at window 1"):
        rate(db, rated_hall, 1, 5)
    published.events.clear()
    with db.write() as uow:
        assert evaluations.close_expired(uow, rated_hall) == 1
    assert [(e.name, e.reason) for e in published.events] == [("evaluation_closed", "expired")]
    assert evaluation_of(db, ticket).status == EvaluationStatus.UNRATED


@both_databases
def test_the_next_finish_supersedes_an_unanswered_question(db, rated_hall, published):
    open_windows(db, rated_hall, 1)
    first = serve(db, rated_hall, 1)
    published.events.clear()
    second = serve(db, rated_hall, 1)
    closed = [e for e in published.events if e.name == "evaluation_closed"]
    assert [(e.number, e.reason) for e in closed] == [(first.number, "superseded")]
    assert rate(db, rated_hall, 1, 4).ticket_id == second.id
    assert evaluation_of(db, first).status == EvaluationStatus.UNRATED


@both_databases
def test_the_phone_page_rates_within_its_days_once(db, rated_hall, clock):
    open_windows(db, rated_hall, 1)
    ticket = serve(db, rated_hall, 1)
    clock.advance(days=7)
    with db.write() as uow:
        evaluations.rate_by_key(uow, rated_hall, ticket.key, 3, [], "")
    with pytest.raises(InvalidState, match="already rated"), db.write() as uow:
        evaluations.rate_by_key(uow, rated_hall, ticket.key, 5, [], "")
    late = serve(db, rated_hall, 1)
    clock.advance(days=7, seconds=1)
    with pytest.raises(TooLate), db.write() as uow:
        evaluations.rate_by_key(uow, rated_hall, late.key, 5, [], "")


@both_databases
def test_two_ratings_at_once_store_one(db, rated_hall):
    open_windows(db, rated_hall, 1)
    serve(db, rated_hall, 1)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def attempt(score: int) -> None:
        barrier.wait()
        try:
            results.append(rate(db, rated_hall, 1, score).score)
        except InvalidState as exc:
            results.append(exc.message)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in (5, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    scores = [r for r in results if isinstance(r, int)]
    # The second finds the question answered (SQLite: after the first commits) or the row
    # rated under its lock (PostgreSQL): refused either way, never overwriting the first.
    refusals = [r for r in results if isinstance(r, str)]
    assert len(scores) == 1 and len(refusals) == 1
    assert refusals[0] in (
        "no service awaits a rating at window 1",
        "ticket A001 was already rated: one rating per service",
    )


@both_databases
def test_unrated_services_get_the_default_flagged_and_never_counted_as_rated(db, rated_hall, clock):
    open_windows(db, rated_hall, 1)
    ticket = serve(db, rated_hall, 1)
    clock.advance(days=7)
    with db.write() as uow:
        assert evaluations.anything_due(uow, rated_hall)
        evaluations.close_expired(uow, rated_hall)
        assert evaluations.apply_defaults(uow, rated_hall) == 1
    evaluation = evaluation_of(db, ticket)
    assert (evaluation.status, evaluation.score, evaluation.channel) == ("defaulted", 3, "default")
    with db.read() as uow:
        figures = evaluation_figures.summary(uow, rated_hall, ticket.service_day, ticket.service_day)
    assert (figures["served"], figures["rated"], figures["defaulted"], figures["unrated"]) == (1, 0, 1, 0)
    assert figures["levels"]["3"] == 0 and figures["active_rate"] == 0.0 and figures["good_rate"] is None


@both_databases
def test_the_rules_of_a_rating(db, rated_hall):
    open_windows(db, rated_hall, 1)
    serve(db, rated_hall, 1)
    for score, reasons, comment, message in (
        (0, [], "", "a rating is 1"),
        (2, [], " ", "needs at least one reason or a comment"),
        (1, ["天气"], "", "unknown reason 天气"),
        (5, ["服务态度"], "", "reasons go with a bad rating"),
        (1, [], "长" * 501, "at most 500"),
    ):
        with pytest.raises(Invalid, match=message):
            rate(db, rated_hall, 1, score, reasons, comment)


# -- the follow-up of a bad rating ------------------------------------------------------------


@both_databases
def test_a_case_moves_stage_by_stage_with_working_day_deadlines(db, rated_hall, clock, published):
    open_windows(db, rated_hall, 1)
    serve(db, rated_hall, 1)
    published.events.clear()
    rate(db, rated_hall, 1, 1, ["服务态度"])
    opened = next(e for e in published.events if e.name == "evaluation_case")
    assert (opened.stage, opened.deadline) == ("verify", "2026-11-24")  # Monday + 1 working day
    manager = staff_by_username_id(db, "clerk2")
    with db.write() as uow:
        case = cases.find(uow, rated_hall, stage="open")[0]
        case_id = case.id
        with pytest.raises(InvalidState, match='is at stage "verify"'):
            cases.act(uow, rated_hall, case_id, "rectify", manager, "整改")
    with db.write() as uow:
        appealed = cases.act(uow, rated_hall, case_id, "appeal", manager, "群众误按")
        assert (appealed.stage, appealed.deadline) == ("review", date(2026, 11, 30))  # 5 working days
    with db.write() as uow:
        rejected = cases.act(uow, rated_hall, case_id, "reject", manager, "录像显示确有怠慢")
        assert rejected.stage == "rectify"
    clock.advance(days=30)
    with db.read() as uow:
        overdue = cases.find(uow, rated_hall, overdue=True)
        assert [c.id for c in overdue] == [case_id] and cases.is_overdue(overdue[0], date(2026, 12, 23))
    for action in ("rectify", "callback", "close"):
        with db.write() as uow:
            cases.act(uow, rated_hall, case_id, action, manager, f"{action} 完成")
    with db.read() as uow:
        case = cases.case_by_id(uow, rated_hall, case_id)
        assert (case.stage, case.resolution, case.called_back) == ("closed", "rectified", True)
        assert [s.action for s in case.steps] == ["open", "appeal", "reject", "rectify", "callback", "close"]
        assert cases.find(uow, rated_hall, overdue=True) == []


def staff_by_username_id(db, username: str) -> int:
    with db.read() as uow:
        return staff_by_username(uow, username).id


# -- the figures on hand-built data ---------------------------------------------------------


@both_databases
def test_every_figure_on_a_hand_built_day(db, clock):
    hall = make_hall(db, small_hall_spec(windows=3))
    with db.write() as uow:
        import_items(uow, hall, [_item("GA1", "GA", "A"), _item("RS1", "RS", "A")])
        items = {i.code: i.id for i in uow.session.query(ServiceItem)}
    open_windows(db, hall, 1, 2)
    manager = staff_by_username_id(db, "clerk3")
    # Window 1 (办事员1), item GA1: levels 5, 5, 4, 2 (case closed, called back), unrated.
    # Window 2 (办事员2), item RS1: levels 3, 1 (case called back, not closed), 1 (case open).
    plan = [
        (1, "GA1", 5),
        (1, "GA1", 5),
        (1, "GA1", 4),
        (1, "GA1", 2),
        (1, "GA1", None),
        (2, "RS1", 3),
        (2, "RS1", 1),
        (2, "RS1", 1),
    ]
    case_ids = []
    for window, item, score in plan:
        serve(db, hall, window, items[item])
        if score is not None:
            rated = rate(db, hall, window, score, ["服务效率"] if score <= 2 else [])
            if score <= 2:
                with db.read() as uow:
                    case_ids.append(
                        uow.session.query(EvaluationCase).filter_by(evaluation_id=rated.id).one().id
                    )
    steps = {
        case_ids[0]: ["verify", "rectify", "callback", "close"],
        case_ids[1]: ["verify", "rectify", "callback"],
    }
    for case_id, actions in steps.items():
        for action in actions:
            with db.write() as uow:
                cases.act(uow, hall, case_id, action, manager, "已处理")
    # A service on the next day is outside the period.
    clock.advance(days=1)
    serve(db, hall, 1, items["GA1"])

    today = date(2026, 11, 23)
    with db.read() as uow:
        figures = evaluation_figures.summary(uow, hall, today, today)
        window_2 = evaluation_figures.summary(uow, hall, today, today, window=2)
        by_clerk = evaluation_figures.summary(uow, hall, today, today, staff="clerk1")
        by_item = evaluation_figures.summary(uow, hall, today, today, item="RS1")
        both_days = evaluation_figures.summary(uow, hall, today, date(2026, 11, 24))

    # Hall: 8 served, 7 rated, 1 unrated; good 5,5,4 = 3 of 7; bad 2,1,1 = 3 of 7;
    # 1 of 3 cases closed, 2 of 3 called back.
    assert {k: figures[k] for k in ("served", "rated", "unrated", "defaulted", "bad_count")} == {
        "served": 8,
        "rated": 7,
        "unrated": 1,
        "defaulted": 0,
        "bad_count": 3,
    }
    assert figures["levels"] == {"5": 2, "4": 1, "3": 1, "2": 1, "1": 2}
    assert figures["good_rate"] == round(3 / 7, 4) == 0.4286
    assert figures["bad_rate"] == 0.4286
    assert figures["active_rate"] == 0.875
    assert figures["rectified_rate"] == 0.3333
    assert figures["callback_rate"] == 0.6667
    assert figures["appeals_upheld"] == 0

    windows = {w["window"]: w for w in figures["by_window"]}
    assert (windows[1]["served"], windows[1]["rated"], windows[1]["good_rate"], windows[1]["bad_rate"]) == (
        5,
        4,
        0.75,
        0.25,
    )
    assert (windows[1]["rectified_rate"], windows[1]["callback_rate"]) == (1.0, 1.0)
    assert (
        windows[2]["served"],
        windows[2]["good_rate"],
        windows[2]["bad_count"],
        windows[2]["rectified_rate"],
    ) == (3, 0.0, 2, 0.0)
    assert windows[2]["callback_rate"] == 0.5
    assert [(s["staff"], s["served"]) for s in figures["by_staff"]] == [("clerk1", 5), ("clerk2", 3)]
    assert [(i["item"], i["served"]) for i in figures["by_item"]] == [("GA1", 5), ("RS1", 3)]
    assert [(d["department"], d["bad_count"]) for d in figures["by_department"]] == [("GA", 1), ("RS", 2)]

    assert {k: window_2[k] for k in ("served", "rated", "bad_count", "good_rate")} == {
        "served": 3, "rated": 3, "bad_count": 2, "good_rate": 0.0,
    }  # fmt: skip
    assert by_clerk["served"] == 5 and by_clerk["levels"]["5"] == 2
    assert by_item["served"] == 3 and [d["department"] for d in by_item["by_department"]] == ["RS"]
    assert (both_days["served"], both_days["unrated"]) == (9, 2)


@both_databases
def test_an_empty_period_has_no_rates(db, hall):
    with db.read() as uow:
        figures = evaluation_figures.summary(uow, hall, date(2026, 1, 1), date(2026, 1, 31))
    assert figures["served"] == 0 and figures["by_window"] == []
    assert [
        figures[k] for k in ("good_rate", "bad_rate", "active_rate", "rectified_rate", "callback_rate")
    ] == [None] * 5


def _item(code: str, department: str, queue: str) -> ItemSpec:
    return ItemSpec(
        code=code,
        name=f"事项{code}",
        department=department,
        queue=queue,
        kind="即办件",
        basis=["依据"],
        materials=["身份证"],
        procedure=["受理"],
    )


@both_databases
def test_a_window_keeps_its_question_across_its_lookup(db, rated_hall):
    open_windows(db, rated_hall, 1)
    ticket = serve(db, rated_hall, 1)
    with db.read() as uow:
        asking = evaluations.awaiting_at(uow, window_by_number(uow, rated_hall.id, 1))
        assert asking is not None and asking.ticket_id == ticket.id
