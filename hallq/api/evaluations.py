"""好差评 over the API: the keypad's and the phone page's ratings, the figures, and the
follow-up cases of bad ratings.

Only citizens rate: a window's keypad with its own device token, or the ticket's phone page
with the key printed on the ticket. A staff member's session or token is refused, so a clerk
cannot rate their own service."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from queue_core import UnitOfWork, accounts, cases, evaluation_figures, evaluations
from queue_core.errors import NotFound, NotPermitted
from queue_core.halls import window_by_number
from queue_core.models import MANAGERS, OVERSIGHT, Evaluation, Hall, ServiceItem, Ticket, Window
from queue_core.spec import EvaluationSpec

from ..present.evaluations import (
    CaseOut,
    EvaluationOut,
    EvaluationSummaryOut,
    PhoneRatingOut,
    case_out,
    evaluation_out,
)
from ..state import current_hall, state
from . import bp, doc
from .openapi import PUBLIC
from .schemas import CaseQuery, CaseStepRequest, PeriodQuery, RatingListQuery, RatingRequest, period

NOT_STAFF = "staff cannot rate: ratings come from the window's keypad or the citizen's phone page"


def _refuse_staff() -> None:
    if current_user.is_authenticated and current_user.role != "device":
        raise NotPermitted(NOT_STAFF)


@doc.operation(
    bp,
    "/windows/<int:number>/evaluation",
    "POST",
    summary="Rate the service just finished at the window (the window's keypad)",
    tag="evaluations",
    roles=("device:keypad", "device:agent"),
    body=RatingRequest,
    responses={
        201: ("The rating, stored", EvaluationOut),
        409: ("Nothing awaits a rating at this window, or it was rated already", None),
        422: ("A reason not on the hall's list, or a bad rating without reason or comment", None),
    },
)
def rate_at_window(number: int, body: RatingRequest) -> tuple[EvaluationOut, int]:
    me = current_user.device_id
    if current_user.device_kind == "agent":  # a physical keypad on a hall PC, read by its agent
        keypad = next((k for k in state().spec.keypads if k.window == number and k.agent == me), None)
    else:
        keypad = next((k for k in state().spec.keypads if k.id == me), None)
    if keypad is None or keypad.window != number:
        raise NotPermitted(f"{me} is not the keypad of window {number}, nor the agent of its PC")
    with state().db.write() as uow:
        evaluation = evaluations.rate_at_window(
            uow,
            current_hall(uow),
            number,
            keypad.id,
            body.score,
            body.reasons,
            body.comment,
            # A physical five-key keypad cannot ask for reasons; its case's verification will.
            reasons_required=keypad.device is None,
        )
        return evaluation_out(uow, evaluation), 201


def _ticket_of_key(uow: UnitOfWork, hall: Hall, key: str) -> Ticket:
    ticket = uow.session.scalar(select(Ticket).where(Ticket.key == key, Ticket.hall_id == hall.id))
    if ticket is None:
        raise NotFound("no ticket with this key")
    return ticket


@doc.operation(
    bp,
    "/tickets/by-key/<key>/evaluation",
    "GET",
    summary="Whether the ticket's service may still be rated (the phone page)",
    tag="evaluations",
    responses={
        200: ("Its rating's state", PhoneRatingOut),
        404: ("No ticket with this key, or not served yet", None),
    },
)
def phone_rating(key: str) -> PhoneRatingOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        ticket = _ticket_of_key(uow, hall, key)
        evaluation = uow.session.scalar(select(Evaluation).where(Evaluation.ticket_id == ticket.id))
        if evaluation is None:
            raise NotFound(f"ticket {ticket.number} has not been served yet")
        rules = EvaluationSpec.of_hall(hall)
        until = evaluations.phone_closes(hall, evaluation)
        return PhoneRatingOut(
            status=evaluation.status,
            score=evaluation.score,
            can_rate=evaluation.status in evaluations.OPEN and uow.now() <= until,
            rate_until=until,
            reasons=rules.reasons,
        )


@doc.operation(
    bp,
    "/tickets/by-key/<key>/evaluation",
    "POST",
    summary="Rate the ticket's service from its phone page",
    tag="evaluations",
    roles=PUBLIC,
    body=RatingRequest,
    responses={
        201: ("The rating, stored", EvaluationOut),
        403: ("Staff cannot rate", None),
        404: ("No ticket with this key", None),
        409: ("Not served yet, rated already, or the time to rate is over", None),
    },
)
def rate_by_key(key: str, body: RatingRequest) -> tuple[EvaluationOut, int]:
    _refuse_staff()
    with state().db.write() as uow:
        evaluation = evaluations.rate_by_key(
            uow, current_hall(uow), key, body.score, body.reasons, body.comment
        )
        return evaluation_out(uow, evaluation), 201


@doc.operation(
    bp,
    "/evaluations/summary",
    "GET",
    summary="The 好差评 figures of a period, with breakdowns per window, clerk, item and department",
    tag="evaluations",
    roles=OVERSIGHT,
    query=PeriodQuery,
    responses={200: ("The figures", EvaluationSummaryOut), 404: ("No such window, clerk or item", None)},
)
def summary(query: PeriodQuery) -> EvaluationSummaryOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        first, last = period(uow, hall, query)
        figures = evaluation_figures.summary(
            uow, hall, first, last, window=query.window, staff=query.staff, item=query.item
        )
        return EvaluationSummaryOut.model_validate(figures)


@doc.operation(
    bp,
    "/evaluations",
    "GET",
    summary="The ratings of a period, newest first",
    tag="evaluations",
    roles=OVERSIGHT,
    query=RatingListQuery,
    responses={200: ("Each service with its rating", EvaluationOut)},
)
def list_ratings(query: RatingListQuery) -> list[EvaluationOut]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        first, last = period(uow, hall, query)
        stmt = (
            select(Evaluation)
            .where(Evaluation.hall_id == hall.id, Evaluation.service_day.between(first, last))
            .order_by(Evaluation.requested_at.desc(), Evaluation.id.desc())
            .limit(query.limit)
        )
        if query.window is not None:
            stmt = stmt.join(Window, Window.id == Evaluation.window_id).where(Window.number == query.window)
        if query.staff is not None:
            stmt = stmt.where(Evaluation.clerk_id == accounts.account(uow, hall, query.staff).id)
        if query.item is not None:
            stmt = stmt.join(ServiceItem, ServiceItem.id == Evaluation.item_id).where(
                ServiceItem.code == query.item
            )
        if query.status is not None:
            stmt = stmt.where(Evaluation.status == query.status)
        return [evaluation_out(uow, e) for e in uow.session.scalars(stmt)]


@doc.operation(
    bp,
    "/evaluations/cases",
    "GET",
    summary="The follow-up cases of bad ratings, newest first",
    tag="evaluations",
    roles=OVERSIGHT,
    query=CaseQuery,
    responses={200: ("Each case with its rating and trail", CaseOut)},
)
def list_cases(query: CaseQuery) -> list[CaseOut]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        window_id = window_by_number(uow, hall.id, query.window).id if query.window is not None else None
        found = cases.find(
            uow,
            hall,
            stage=query.stage,
            overdue=query.overdue,
            window_id=window_id,
            clerk_id=accounts.account(uow, hall, query.staff).id if query.staff else None,
        )
        return [case_out(uow, hall, c) for c in found]


@doc.operation(
    bp,
    "/evaluations/cases/<int:case_id>",
    "GET",
    summary="One follow-up case with its trail",
    tag="evaluations",
    roles=OVERSIGHT,
    responses={200: ("The case", CaseOut), 404: ("No such case", None)},
)
def get_case(case_id: int) -> CaseOut:
    with state().db.read() as uow:
        hall = current_hall(uow)
        return case_out(uow, hall, cases.case_by_id(uow, hall, case_id))


@doc.operation(
    bp,
    "/evaluations/cases/<int:case_id>/steps",
    "POST",
    summary="Take the next step of a case (核实, 申诉, 复核, 整改, 回访, 办结) or hand it on",
    tag="evaluations",
    roles=MANAGERS,
    body=CaseStepRequest,
    responses={
        200: ("The case after the step", CaseOut),
        404: ("No such case or owner", None),
        409: ("The step is not possible at the case's stage", None),
    },
)
def case_step(case_id: int, body: CaseStepRequest) -> CaseOut:
    with state().db.write() as uow:
        hall = current_hall(uow)
        owner = accounts.account(uow, hall, body.owner).id if body.owner else None
        case = cases.act(uow, hall, case_id, body.action, current_user.id, body.note, owner)
        return case_out(uow, hall, case)
