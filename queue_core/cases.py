"""The follow-up of every bad rating (差评核实整改): verify (核实), rectify (整改), call the
citizen back (回访), close; or, when the rating was mistaken or malicious, appeal (申诉) and
have it reviewed (复核): upheld closes the case, rejected sends it on to rectification.

Each stage has an owner and a deadline in working days on the hall's calendar, set when the
stage begins (the hall's ``[evaluation.deadlines]``). Every step is appended to the case's
trail with who took it, the owner it handed to and its note.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import Select, select

from .checked import update_if
from .errors import Invalid, InvalidState, NotFound
from .events import CaseChanged
from .hall_calendar import HallCalendar
from .models import CaseStage, CaseStep, Evaluation, EvaluationCase, Hall, Staff, Window
from .numbering import service_day
from .spec import EvaluationSpec

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

NOTE_LIMIT = 1000

# action: (the stages it may be taken in, the stage it leads to)
ACTIONS: dict[str, tuple[frozenset[CaseStage], CaseStage]] = {
    "verify": (frozenset({CaseStage.VERIFY}), CaseStage.RECTIFY),
    "appeal": (frozenset({CaseStage.VERIFY}), CaseStage.REVIEW),
    "uphold": (frozenset({CaseStage.REVIEW}), CaseStage.CLOSED),
    "reject": (frozenset({CaseStage.REVIEW}), CaseStage.RECTIFY),
    "rectify": (frozenset({CaseStage.RECTIFY}), CaseStage.CALLBACK),
    "callback": (frozenset({CaseStage.CALLBACK}), CaseStage.CLOSE),
    "close": (frozenset({CaseStage.CLOSE}), CaseStage.CLOSED),
}
REASSIGN = "assign"  # hands the current stage to another owner; stage and deadline stay
RECOUNTED = "deadline"  # the hall's calendar changed: the stage's deadline counted again


def open_case(uow: UnitOfWork, hall: Hall, evaluation: Evaluation, window: Window) -> EvaluationCase:
    """A bad rating came in: its case starts at verification, owned by nobody yet."""
    now = uow.now()
    deadline = _deadline(uow, hall, CaseStage.VERIFY)
    case = EvaluationCase(
        hall_id=hall.id, evaluation_id=evaluation.id, stage=CaseStage.VERIFY, deadline=deadline, opened_at=now
    )
    uow.session.add(case)
    uow.session.flush()
    uow.session.add(
        CaseStep(case_id=case.id, action="open", to_stage=CaseStage.VERIFY, deadline=deadline, at=now)
    )
    uow.record(_changed(case, evaluation, window.number))
    return case


def act(
    uow: UnitOfWork,
    hall: Hall,
    case_id: int,
    action: str,
    staff_id: int,
    note: str,
    owner_id: int | None = None,
) -> EvaluationCase:
    """Take `action` on the case; the next stage is owned by `owner_id` (the actor if none)."""
    case = case_by_id(uow, hall, case_id)
    note = note.strip()
    if not note:
        raise Invalid("every step of a case needs a note: what was found, done or said", why="note_needed")
    if len(note) > NOTE_LIMIT:
        raise Invalid(
            f"the note is {len(note)} characters long; at most {NOTE_LIMIT}",
            why="note_too_long",
            limit=NOTE_LIMIT,
        )
    owner = _staff(uow, hall, owner_id if owner_id is not None else staff_id)
    if action == REASSIGN:
        allowed, to_stage = frozenset(CaseStage) - {CaseStage.CLOSED}, CaseStage(case.stage)
    elif action in ACTIONS:
        allowed, to_stage = ACTIONS[action]
    else:
        raise Invalid(f'unknown action "{action}"; the actions are {", ".join([*ACTIONS, REASSIGN])}')
    from_stage = case.stage
    values: dict[str, object] = {"stage": to_stage, "owner_id": owner.id}
    if action != REASSIGN:
        values["deadline"] = case.deadline if to_stage == CaseStage.CLOSED else _deadline(uow, hall, to_stage)
    if action == "callback":
        values["called_back"] = True
    if to_stage == CaseStage.CLOSED:
        values |= {
            "closed_at": uow.now(),
            "resolution": "appeal_upheld" if action == "uphold" else "rectified",
        }
    if not update_if(uow, case, EvaluationCase.stage, allowed, **values):
        # The stage moved on (another manager was first), or the action does not fit it.
        raise InvalidState(
            f'case {case.id} is at stage "{case.stage}": "{action}" is not possible there', why="stage"
        )
    uow.session.expire(case, ["owner"])
    uow.session.add(
        CaseStep(
            case_id=case.id,
            action=action,
            from_stage=from_stage,
            to_stage=to_stage,
            staff_id=staff_id,
            owner_id=owner.id,
            note=note,
            deadline=case.deadline,
            at=uow.now(),
        )
    )
    uow.session.flush()
    uow.session.expire(case, ["steps"])
    window = uow.session.get(Window, case.evaluation.window_id)
    uow.record(_changed(case, case.evaluation, window.number if window else 0))
    return case


def recounted_deadlines(uow: UnitOfWork, hall: Hall) -> dict[EvaluationCase, date]:
    """The open cases whose deadline, counted again from the day their stage began on the
    hall's calendar as it is now, is another day: after the calendar changed (a dated day
    added, chinese-calendar upgraded)."""
    calendar = HallCalendar.of_hall(hall)
    rules = EvaluationSpec.of_hall(hall).deadlines
    found = {}
    open_cases = uow.session.scalars(
        select(EvaluationCase)
        .where(EvaluationCase.hall_id == hall.id, EvaluationCase.stage != CaseStage.CLOSED)
        .order_by(EvaluationCase.id)
    )
    for case in open_cases:
        began = max(
            (s.at for s in case.steps if s.to_stage == case.stage and s.action not in (REASSIGN, RECOUNTED)),
            default=case.opened_at,
        )
        deadline = calendar.add_working_days(
            service_day(hall, began), getattr(rules, CaseStage(case.stage).value)
        )
        if deadline != case.deadline:
            found[case] = deadline
    return found


def recount_deadlines(uow: UnitOfWork, hall: Hall) -> list[EvaluationCase]:
    """Move the deadlines recounted_deadlines finds; each move is a step of its case (and so
    in the audit trail, with its event). Returns the cases moved."""
    moved = recounted_deadlines(uow, hall)
    for case, deadline in moved.items():
        uow.session.add(
            CaseStep(
                case_id=case.id,
                action=RECOUNTED,
                from_stage=case.stage,
                to_stage=case.stage,
                owner_id=case.owner_id,
                note=f"{case.deadline.isoformat()} → {deadline.isoformat()}",
                deadline=deadline,
                at=uow.now(),
            )
        )
        case.deadline = deadline
        window = uow.session.get(Window, case.evaluation.window_id)
        uow.record(_changed(case, case.evaluation, window.number if window else 0))
    uow.session.flush()
    return list(moved)


def next_actions(case: EvaluationCase) -> list[str]:
    """What may be done at the case's stage, in the usual order."""
    if case.stage == CaseStage.CLOSED:
        return []
    return [action for action, (allowed, _) in ACTIONS.items() if case.stage in allowed] + [REASSIGN]


def is_overdue(case: EvaluationCase, today: date) -> bool:
    """Still open after the last working day of its stage."""
    return case.stage != CaseStage.CLOSED and case.deadline < today


def case_by_id(uow: UnitOfWork, hall: Hall, case_id: int) -> EvaluationCase:
    case = uow.session.get(EvaluationCase, case_id)
    if case is None or case.hall_id != hall.id:
        raise NotFound(f"no case {case_id}")
    return case


def find(
    uow: UnitOfWork,
    hall: Hall,
    *,
    stage: str | None = None,
    overdue: bool | None = None,
    window_id: int | None = None,
    clerk_id: int | None = None,
    owner_id: int | None = None,
) -> list[EvaluationCase]:
    """Cases of the hall, newest first, filtered; `stage="open"` means every stage but closed."""
    query: Select[EvaluationCase] = (
        select(EvaluationCase)
        .join(Evaluation)
        .where(EvaluationCase.hall_id == hall.id)
        .order_by(EvaluationCase.opened_at.desc(), EvaluationCase.id.desc())
    )
    if stage == "open":
        query = query.where(EvaluationCase.stage != CaseStage.CLOSED)
    elif stage:
        if stage not in set(CaseStage):
            raise Invalid(f'unknown stage "{stage}"; the stages are open, {", ".join(CaseStage)}')
        query = query.where(EvaluationCase.stage == stage)
    today = service_day(hall, uow.now())
    if overdue is not None:
        late = (EvaluationCase.stage != CaseStage.CLOSED) & (EvaluationCase.deadline < today)
        query = query.where(late if overdue else ~late)
    if window_id is not None:
        query = query.where(Evaluation.window_id == window_id)
    if clerk_id is not None:
        query = query.where(Evaluation.clerk_id == clerk_id)
    if owner_id is not None:
        query = query.where(EvaluationCase.owner_id == owner_id)
    return list(uow.session.scalars(query))


def _deadline(uow: UnitOfWork, hall: Hall, stage: CaseStage) -> date:
    days = getattr(EvaluationSpec.of_hall(hall).deadlines, stage.value)
    return HallCalendar.of_hall(hall).add_working_days(service_day(hall, uow.now()), days)


def _staff(uow: UnitOfWork, hall: Hall, staff_id: int) -> Staff:
    staff = uow.session.get(Staff, staff_id)
    if staff is None or staff.hall_id != hall.id or not staff.active:
        raise NotFound(f"no active staff member {staff_id} to own the case")
    return staff


def _changed(case: EvaluationCase, evaluation: Evaluation, window: int) -> CaseChanged:
    return CaseChanged(
        hall_id=case.hall_id,
        case_id=case.id,
        number=evaluation.ticket.number,
        window=window,
        score=evaluation.score or 0,
        stage=case.stage,
        owner=case.owner.name if case.owner else None,
        deadline=case.deadline.isoformat(),
    )
