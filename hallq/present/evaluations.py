"""好差评 as the API answers it and the follow-up pages show it: a rating, what a phone page may
still do about it, the figures of a period, and a bad rating's follow-up case with its trail."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from queue_core import UnitOfWork, cases
from queue_core.models import Department, Evaluation, EvaluationCase, Hall, ServiceItem, Staff, Window
from queue_core.numbering import service_day

from .windows import ClerkOut


class EvaluationOut(BaseModel):
    id: int
    ticket: str = Field(description="The ticket's number")
    ticket_id: int
    window: int
    clerk: ClerkOut | None
    item: str | None
    department: str | None
    service_day: str
    status: Literal["awaiting", "unrated", "rated", "defaulted"]
    score: int | None
    reasons: list[str]
    comment: str
    channel: Literal["keypad", "phone", "default"] | None
    requested_at: datetime
    rated_at: datetime | None
    case_id: int | None = Field(description="The follow-up case of a bad rating")


class PhoneRatingOut(BaseModel):
    """What a ticket's phone page may do about rating its service."""

    status: Literal["awaiting", "unrated", "rated", "defaulted"]
    score: int | None
    can_rate: bool
    rate_until: datetime
    reasons: list[str] = Field(description="The hall's reasons for a bad rating")


class EvaluationFigures(BaseModel):
    served: int
    rated: int
    unrated: int
    defaulted: int = Field(description="Given the hall's default level; not counted as rated")
    levels: dict[str, int] = Field(description='Ratings per level, "5" 非常满意 .. "1" 非常不满意')
    good_rate: float | None = Field(description="好评率: (非常满意 + 满意) / rated")
    bad_count: int
    bad_rate: float | None = Field(description="差评率: bad ratings / rated")
    active_rate: float | None = Field(description="主动评价率: rated / served")
    rectified_rate: float | None = Field(description="差评整改率: closed cases / bad ratings")
    callback_rate: float | None = Field(description="回访率: called back / bad ratings")
    appeals_upheld: int


class WindowFigures(EvaluationFigures):
    window: int | None
    name: str | None


class StaffFigures(EvaluationFigures):
    staff: str | None
    name: str | None
    badge: str | None


class ItemFigures(EvaluationFigures):
    item: str | None
    name: str | None


class DepartmentFigures(EvaluationFigures):
    department: str | None
    name: str | None


class EvaluationSummaryOut(EvaluationFigures):
    from_: str = Field(alias="from")
    to: str
    by_window: list[WindowFigures]
    by_staff: list[StaffFigures]
    by_item: list[ItemFigures]
    by_department: list[DepartmentFigures]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class CaseStepOut(BaseModel):
    action: str
    from_stage: str | None
    to_stage: str
    by: str | None
    owner: str | None
    note: str
    deadline: str | None
    at: datetime


class CaseOut(BaseModel):
    id: int
    stage: str
    owner: str | None = Field(description="The current stage's owner (username)")
    owner_name: str | None
    deadline: str = Field(description="The current stage's last working day")
    overdue: bool
    opened_at: datetime
    closed_at: datetime | None
    resolution: str | None
    called_back: bool
    next_actions: list[str]
    evaluation: EvaluationOut
    steps: list[CaseStepOut]


def evaluation_out(uow: UnitOfWork, evaluation: Evaluation) -> EvaluationOut:
    session = uow.session
    window = session.get(Window, evaluation.window_id)
    clerk = session.get(Staff, evaluation.clerk_id) if evaluation.clerk_id else None
    item = session.get(ServiceItem, evaluation.item_id) if evaluation.item_id else None
    department = session.get(Department, evaluation.department_id) if evaluation.department_id else None
    case_id = session.scalar(select(EvaluationCase.id).where(EvaluationCase.evaluation_id == evaluation.id))
    return EvaluationOut(
        id=evaluation.id,
        ticket=evaluation.ticket.number,
        ticket_id=evaluation.ticket_id,
        window=window.number if window else 0,
        clerk=ClerkOut(name=clerk.name, badge=clerk.badge) if clerk else None,
        item=item.name if item else None,
        department=department.name if department else None,
        service_day=evaluation.service_day.isoformat(),
        status=evaluation.status,
        score=evaluation.score,
        reasons=evaluation.reasons,
        comment=evaluation.comment,
        channel=evaluation.channel,
        requested_at=evaluation.requested_at,
        rated_at=evaluation.rated_at,
        case_id=case_id,
    )


def case_out(uow: UnitOfWork, hall: Hall, case: EvaluationCase) -> CaseOut:
    today = service_day(hall, uow.now())
    return CaseOut(
        id=case.id,
        stage=case.stage,
        owner=case.owner.username if case.owner else None,
        owner_name=case.owner.name if case.owner else None,
        deadline=case.deadline.isoformat(),
        overdue=cases.is_overdue(case, today),
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        resolution=case.resolution,
        called_back=case.called_back,
        next_actions=cases.next_actions(case),
        evaluation=evaluation_out(uow, case.evaluation),
        steps=[
            CaseStepOut(
                action=step.action,
                from_stage=step.from_stage,
                to_stage=step.to_stage,
                by=step.staff.name if step.staff else None,
                owner=step.owner.name if step.owner else None,
                note=step.note,
                deadline=step.deadline.isoformat() if step.deadline else None,
                at=step.at,
            )
            for step in case.steps
        ],
    )
