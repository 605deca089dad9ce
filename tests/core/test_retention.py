"""queue_core.retention on both databases: what is due is anonymised in one pass, the rest
kept; the figures (from the rows, and from the rollups built afterwards) do not move; a
person's erasure takes only their rows; the sweep reads the partial indexes, not the history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select, text

from queue_core import cases, evaluation_figures, evaluations, retention, rollups, statistics
from queue_core.appointments import book
from queue_core.calling import call_next, finish, start
from queue_core.identity import holder_digest
from queue_core.models import Appointment, CaseStep, Evaluation, Outcome, Ticket
from queue_core.spec import RetentionSpec
from queue_core.ticketing import issue_ticket
from queue_core.windows import sign_out
from tests.conftest import make_hall, small_hall_spec, staff_by_username
from tests.core.helpers import open_windows

both_databases = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

RULES = RetentionSpec(appointment_days=90, comment_days=365, holder_days=30)
ZHANG = holder_digest("secret", "11010519491231002X")
WANG = holder_digest("secret", "440306198506121233")


@pytest.fixture
def rated_hall(db):
    return make_hall(db, small_hall_spec(windows=1))


def visit(db, hall, clock, holder: str, name: str, comment: str) -> None:
    """An appointment booked with a name and ID hash; a ticket with the ID hash, served at
    window 1 (open for this visit only) and rated badly with a comment; its case verified
    with a note."""
    open_windows(db, hall, 1)
    with db.write() as uow:
        book(uow, hall, _item(uow), uow.now() + timedelta(hours=1), name=name, holder=holder)
        issue_ticket(uow, hall, queue_code="A", holder=holder)
    clock.advance(minutes=4)
    with db.write() as uow:
        call_next(uow, hall, 1, None)
    with db.write() as uow:
        start(uow, hall, 1, None)
    clock.advance(minutes=9)
    with db.write() as uow:
        finish(uow, hall, 1, None, Outcome.COMPLETED)
    with db.write() as uow:
        evaluations.rate_at_window(uow, hall, 1, "P1", 1, ["服务态度"], comment)
    with db.write() as uow:
        case = cases.find(uow, hall, stage="verify")[0]
        cases.act(uow, hall, case.id, "verify", staff_by_username(uow, "clerk1").id, f"{name}反映属实")
    with db.write() as uow:
        sign_out(uow, hall, 1, None)


def _item(uow) -> int:
    return uow.session.scalar(text("SELECT id FROM service_item LIMIT 1"))


def add_item(db, hall) -> None:
    from queue_core.setup import import_items
    from queue_core.spec import ItemSpec

    item = ItemSpec.model_validate(
        {"code": "HJ01", "name": "户口迁移", "department": "GA", "queue": "A", "kind": "instant",
         "basis": ["户口登记条例"], "materials": ["身份证"], "procedure": ["受理"]}
    )  # fmt: skip
    with db.write() as uow:
        import_items(uow, hall, [item])


def figures(db, hall, day: date) -> tuple:
    with db.read() as uow:
        tallies = statistics.summaries(uow, hall, day, day, [None, "window", "staff", "item"])
        rated = evaluation_figures.summary(uow, hall, day, day)
    return tallies, rated


def personal_fields(db) -> tuple:
    with db.read() as uow:
        return (
            list(uow.session.scalars(select(Ticket.holder_digest).order_by(Ticket.id))),
            list(
                uow.session.execute(
                    select(Appointment.name, Appointment.holder_digest).order_by(Appointment.id)
                )
            ),
            list(uow.session.scalars(select(Evaluation.comment).order_by(Evaluation.id))),
            list(
                uow.session.scalars(
                    select(CaseStep.note).where(CaseStep.action == "verify").order_by(CaseStep.id)
                )
            ),
        )


def sweep(db, hall) -> retention.Anonymised:
    with db.write() as uow:
        return retention.anonymise_due(uow, hall, RULES)


@both_databases
def test_due_data_is_anonymised_the_rest_kept_and_the_figures_stay(db, rated_hall, clock):
    hall = rated_hall
    add_item(db, hall)
    visit(db, hall, clock, ZHANG, "张三", "态度差")
    first_day = date(2026, 11, 23)
    before = figures(db, hall, first_day)
    assert before[0][None]["served"] == 1 and before[1]["bad_count"] == 1

    clock.advance(days=29)
    with db.read() as uow:
        assert not retention.anything_due(uow, hall, RULES)  # 29 days: nothing yet
    clock.advance(days=2)
    with db.read() as uow:
        assert retention.anything_due(uow, hall, RULES)
    assert sweep(db, hall) == retention.Anonymised(tickets=1)

    clock.advance(days=330)  # day 361: Wang's visit
    visit(db, hall, clock, WANG, "王五", "材料退回")
    clock.advance(days=5)  # day 366: Zhang's name (slot + 90 days) and comment (365 days) are due
    assert sweep(db, hall) == retention.Anonymised(appointments=1, comments=1, notes=1)
    assert personal_fields(db) == (
        [None, WANG],
        [("", None), ("王五", WANG)],
        ["", "材料退回"],
        ["", "王五反映属实"],
    )
    assert sweep(db, hall) == retention.Anonymised()
    with db.read() as uow:
        assert not retention.anything_due(uow, hall, RULES)
    assert figures(db, hall, first_day) == before  # from the anonymised rows
    with db.read() as uow:
        yesterday = uow.now().date() - timedelta(days=1)
    assert rollups.ensure(db, hall.id, first_day, yesterday) > 0
    assert figures(db, hall, first_day) == before  # and from the rollup built from them


@both_databases
def test_an_erasure_takes_the_persons_rows_only(db, rated_hall, clock):
    hall = rated_hall
    add_item(db, hall)
    visit(db, hall, clock, ZHANG, "张三", "态度差")
    visit(db, hall, clock, WANG, "王五", "材料退回")
    with db.read() as uow:
        held = retention.held_by(uow, hall, ZHANG)
        assert [a.name for a in held.appointments] == ["张三"]
        assert [e.comment for e in held.evaluations] == ["态度差"]
        assert retention.case_notes(uow, held.evaluations[0]) == ["张三反映属实"]
    with db.write() as uow:
        done = retention.erase(uow, retention.held_by(uow, hall, ZHANG))
    assert done == retention.Anonymised(tickets=1, appointments=1, comments=1, notes=1)
    assert personal_fields(db) == (
        [None, WANG],
        [("", None), ("王五", WANG)],
        ["", "材料退回"],
        ["", "王五反映属实"],
    )
    with db.read() as uow:
        assert retention.held_by(uow, hall, ZHANG) == retention.Held([], [], [])


def test_the_sweep_reads_the_rows_still_holding_personal_data_only(db, rated_hall):
    """Each UPDATE of a pass, as SQLite plans it: through the partial index of the rows that
    still hold personal data, never the table or the whole day index."""
    run: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.startswith("UPDATE"):
            run.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        sweep(db, rated_hall)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    plans = {}
    with db.engine.connect() as connection:
        for statement, parameters in run:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans[statement.split()[1]] = " ".join(str(row) for row in rows)
    assert "ix_ticket_holder_kept" in plans["ticket"]
    assert "ix_appointment_personal_kept" in plans["appointment"]
    assert "ix_evaluation_comment_kept" in plans["evaluation"]
