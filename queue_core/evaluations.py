"""好差评: one rating per service (一次一评).

Finishing a ticket makes its Evaluation and wakes the window's keypad for the hall's
``keypad_seconds``. Within that time only that keypad may rate it; afterwards it counts as
not rated (未评价) and the citizen may still rate it from the ticket's phone page for
``phone_days``. A hall may give services never rated a default level after some days,
flagged as a default and never counted as an active rating. A bad rating (不满意, 非常不满意)
opens a follow-up case (queue_core.cases).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select, update

from . import alarms, cases
from .checked import rowcount, update_if
from .errors import Invalid, InvalidState, TooLate
from .events import EvaluationClosed, EvaluationRequested
from .halls import ticket_by_key, window_by_number
from .models import Evaluation, EvaluationChannel, EvaluationStatus, Hall, Ticket, Window
from .numbering import local_time
from .spec import LEVELS, EvaluationSpec

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

BAD_LEVELS = (2, 1)  # 不满意, 非常不满意: a bad rating (差评)
COMMENT_LIMIT = 500
OPEN = (EvaluationStatus.AWAITING, EvaluationStatus.UNRATED)  # may still be rated


def request(uow: UnitOfWork, hall: Hall, ticket: Ticket, window: Window) -> Evaluation:
    """The service of `ticket` at `window` just finished: ask its keypad for a rating.
    A question the keypad still shows for the window's previous service ends unrated."""
    now = uow.now()
    for earlier in _awaiting(uow, window.id):
        _close_unrated(uow, earlier, window, "superseded")
    evaluation = Evaluation(
        hall_id=hall.id,
        ticket_id=ticket.id,
        service_day=ticket.service_day,
        window_id=window.id,
        clerk_id=ticket.clerk_id or window.clerk_id,
        item_id=ticket.item_id,
        department_id=ticket.item.department_id if ticket.item_id and ticket.item else None,
        queue_id=ticket.origin_queue_id,
        status=EvaluationStatus.AWAITING,
        requested_at=now,
        keypad_until=now + timedelta(seconds=EvaluationSpec.of_hall(hall).keypad_seconds),
    )
    uow.session.add(evaluation)
    uow.session.flush()
    uow.record(requested_event(evaluation, window))
    return evaluation


def awaiting_at(uow: UnitOfWork, window: Window) -> Evaluation | None:
    """The service the window's keypad asks about now, if any."""
    now = uow.now()
    return next((e for e in _awaiting(uow, window.id) if e.keypad_until > now), None)


def rate_at_window(
    uow: UnitOfWork,
    hall: Hall,
    window_number: int,
    device_id: str,
    score: int,
    reasons: list[str],
    comment: str,
    *,
    reasons_required: bool = True,
) -> Evaluation:
    """The window's keypad rates the service it asks about."""
    window = window_by_number(uow, hall.id, window_number)
    evaluation = awaiting_at(uow, window)
    if evaluation is None:
        raise InvalidState(f"no service awaits a rating at window {window_number}")
    check(hall, score, reasons, comment, reasons_required=reasons_required)
    return _rate(uow, hall, evaluation, window, score, reasons, comment, EvaluationChannel.KEYPAD, device_id)


def rate_by_key(
    uow: UnitOfWork, hall: Hall, key: str, score: int, reasons: list[str], comment: str
) -> Evaluation:
    """The citizen rates from the ticket's phone page (its address carries the key)."""
    ticket = ticket_by_key(uow, hall.id, key)
    evaluation = uow.session.scalar(select(Evaluation).where(Evaluation.ticket_id == ticket.id))
    if evaluation is None:
        raise InvalidState(
            f"ticket {ticket.number} has not been served yet: rate it once it is finished", why="not_served"
        )
    _refuse_rated(evaluation, ticket)
    closes = phone_closes(hall, evaluation)
    if uow.now() > closes:
        raise TooLate(
            f"ticket {ticket.number} could be rated until {local_time(hall, closes):%Y-%m-%d %H:%M}",
            closed_at=closes.isoformat(),
        )
    check(hall, score, reasons, comment, reasons_required=True)
    window = uow.session.get(Window, evaluation.window_id)
    assert window is not None
    return _rate(uow, hall, evaluation, window, score, reasons, comment, EvaluationChannel.PHONE, None)


def phone_closes(hall: Hall, evaluation: Evaluation) -> datetime:
    """Until when the ticket's phone page may rate the service."""
    return evaluation.requested_at + timedelta(days=EvaluationSpec.of_hall(hall).phone_days)


def check(hall: Hall, score: int, reasons: list[str], comment: str, *, reasons_required: bool) -> None:
    """A rating the hall's rules accept, or Invalid naming what is wrong."""
    if score not in LEVELS:
        raise Invalid(f"a rating is 1 (非常不满意) to 5 (非常满意), not {score}")
    allowed = EvaluationSpec.of_hall(hall).reasons
    unknown = [r for r in reasons if r not in allowed]
    if unknown:
        raise Invalid(f"unknown reason {'、'.join(unknown)}; the reasons are {'、'.join(allowed)}")
    if reasons and score not in BAD_LEVELS:
        raise Invalid("reasons go with a bad rating (不满意 or 非常不满意) only")
    if len(comment) > COMMENT_LIMIT:
        raise Invalid(
            f"the comment is {len(comment)} characters long; at most {COMMENT_LIMIT}",
            why="comment_too_long",
            limit=COMMENT_LIMIT,
        )
    if reasons_required and score in BAD_LEVELS and not (reasons or comment.strip()):
        raise Invalid("a bad rating needs at least one reason or a comment", why="reason_needed")


def close_expired(uow: UnitOfWork, hall: Hall) -> int:
    """Keypad questions whose time is up end as not rated (未评价). Returns how many."""
    due = list(
        uow.session.scalars(
            select(Evaluation)
            .where(Evaluation.hall_id == hall.id, Evaluation.status == EvaluationStatus.AWAITING)
            .where(Evaluation.keypad_until <= uow.now())
        )
    )
    for evaluation in due:
        window = uow.session.get(Window, evaluation.window_id)
        assert window is not None
        _close_unrated(uow, evaluation, window, "expired")
    return len(due)


def apply_defaults(uow: UnitOfWork, hall: Hall) -> int:
    """Where the hall gives one, the default level for services still not rated after its
    days; flagged as defaults (status and channel). Returns how many."""
    hall_rules = EvaluationSpec.of_hall(hall)
    if hall_rules.default_after_days is None:
        return 0
    now = uow.now()
    result = uow.session.execute(
        update(Evaluation)
        .where(Evaluation.hall_id == hall.id, Evaluation.status.in_(OPEN))
        .where(Evaluation.requested_at <= now - timedelta(days=hall_rules.default_after_days))
        .values(
            status=EvaluationStatus.DEFAULTED,
            score=hall_rules.default_level,
            channel=EvaluationChannel.DEFAULT,
            rated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def anything_due(uow: UnitOfWork, hall: Hall) -> bool:
    """Whether close_expired or apply_defaults has work (a cheap read, checked every second)."""
    now = uow.now()
    due = (Evaluation.status == EvaluationStatus.AWAITING) & (Evaluation.keypad_until <= now)
    default_after = EvaluationSpec.of_hall(hall).default_after_days
    if default_after is not None:
        stale = Evaluation.status.in_(OPEN) & (Evaluation.requested_at <= now - timedelta(days=default_after))
        due = due | stale
    found = uow.session.scalar(select(Evaluation.id).where(Evaluation.hall_id == hall.id, due).limit(1))
    return found is not None


def requested_event(evaluation: Evaluation, window: Window) -> EvaluationRequested:
    """The keypad's question (also what a keypad gets when it (re)connects)."""
    ticket, clerk = evaluation.ticket, evaluation.clerk
    return EvaluationRequested(
        hall_id=evaluation.hall_id,
        evaluation_id=evaluation.id,
        window=window.number,
        ticket_id=ticket.id,
        number=ticket.number,
        item=ticket.item.name if ticket.item_id and ticket.item else None,
        queue_name=ticket.queue.name,
        clerk_name=clerk.name if clerk else None,
        clerk_badge=clerk.badge if clerk else None,
        expires_at=evaluation.keypad_until,
    )


_AWAITING_AT_WINDOW = (
    select(Evaluation)
    .where(Evaluation.window_id == bindparam("window_id"), Evaluation.status == EvaluationStatus.AWAITING)
    .order_by(Evaluation.requested_at.desc(), Evaluation.id.desc())
)


def _awaiting(uow: UnitOfWork, window_id: int) -> list[Evaluation]:
    return list(uow.session.scalars(_AWAITING_AT_WINDOW, {"window_id": window_id}))


def _refuse_rated(evaluation: Evaluation, ticket: Ticket) -> None:
    if evaluation.status not in OPEN:
        raise InvalidState(
            f"ticket {ticket.number} was already rated: one rating per service", why="already_rated"
        )


def _close_unrated(uow: UnitOfWork, evaluation: Evaluation, window: Window, reason: str) -> None:
    _transition(uow, evaluation, status=EvaluationStatus.UNRATED)
    uow.record(_closed_event(evaluation, window, reason))


def _rate(
    uow: UnitOfWork,
    hall: Hall,
    evaluation: Evaluation,
    window: Window,
    score: int,
    reasons: list[str],
    comment: str,
    channel: EvaluationChannel,
    device_id: str | None,
) -> Evaluation:
    was_awaiting = evaluation.status == EvaluationStatus.AWAITING
    _transition(
        uow,
        evaluation,
        status=EvaluationStatus.RATED,
        score=score,
        reasons=reasons,
        comment=comment.strip(),
        channel=channel,
        device_id=device_id,
        rated_at=uow.now(),
    )
    if was_awaiting:
        uow.record(_closed_event(evaluation, window, "rated"))
    if score in BAD_LEVELS:
        cases.open_case(uow, hall, evaluation, window)
        alarms.bad_rating(uow, hall, evaluation, window)
    return evaluation


def _transition(uow: UnitOfWork, evaluation: Evaluation, **values: object) -> None:
    """Update only while it may still be rated: of two ratings at the same moment, the
    second finds it rated and is refused instead of overwriting the first."""
    if not update_if(uow, evaluation, Evaluation.status, OPEN, **values):
        _refuse_rated(evaluation, evaluation.ticket)
        raise InvalidState(f"ticket {evaluation.ticket.number} is {evaluation.status}")


def _closed_event(evaluation: Evaluation, window: Window, reason: str) -> EvaluationClosed:
    return EvaluationClosed(
        hall_id=evaluation.hall_id,
        evaluation_id=evaluation.id,
        window=window.number,
        ticket_id=evaluation.ticket_id,
        number=evaluation.ticket.number,
        reason=reason,
    )
