"""Citizens' personal data (PIPL): kept for the days hall.toml's [retention] gives, then
anonymised by the sweeper; and one person's data found by their ID number's keyed hash, to be
shown to them (export) or anonymised at their request (erasure). docs/personal-data.md lists
every field.

Anonymising blanks the personal fields and keeps the rows: a ticket keeps its times, queue,
window and outcome, a rating its score and reasons, an appointment its slot and status, so
every count, wait and score of the statistics (queue_core.statistics, queue_core.rollups)
stays as it was. A row whose personal fields are empty is what anonymised means: a second pass
finds nothing to do, and the partial indexes (ix_*_kept) hold only the rows still to do, so a
pass reads no history. The audit trail is never touched: it is append-only and holds no
personal values (queue_core.events.AlarmChanged.audit_payload).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    String,
    cast,
    exists,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from .checked import rowcount
from .models import Alarm, AlarmKind, Appointment, CaseStep, Evaluation, EvaluationCase, Hall, Ticket
from .numbering import service_day
from .spec import RetentionSpec

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

# Written as the partial indexes' conditions are (a literal, not a bound parameter), so that
# SQLite's planner matches them and reads those indexes.
NO_TEXT: ColumnClause[str] = literal_column("''")


@dataclass(frozen=True)
class Anonymised:
    """How many rows gave up personal data in one pass or one erasure."""

    tickets: int = 0  # holder hashes dropped
    appointments: int = 0  # names and ID hashes blanked
    comments: int = 0  # rating comments blanked
    notes: int = 0  # follow-up case notes blanked

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Due:
    """What the rules make due at an instant: rows of days before these (and appointments
    whose slot ended before `appointments_ended`)."""

    holders_before: date
    comments_before: date
    appointments_ended: datetime

    @classmethod
    def at(cls, hall: Hall, rules: RetentionSpec, now: datetime) -> Due:
        today = service_day(hall, now)
        return cls(
            holders_before=today - timedelta(days=rules.holder_days),
            comments_before=today - timedelta(days=rules.comment_days),
            appointments_ended=now - timedelta(days=rules.appointment_days),
        )

    def tickets(self, hall: Hall) -> ColumnElement[bool]:
        return (Ticket.hall_id == hall.id) & (Ticket.service_day < self.holders_before)

    def appointments(self, hall: Hall) -> ColumnElement[bool]:
        return (Appointment.hall_id == hall.id) & (Appointment.slot_end < self.appointments_ended)

    def evaluations(self, hall: Hall) -> ColumnElement[bool]:
        return (Evaluation.hall_id == hall.id) & (Evaluation.service_day < self.comments_before)


# -- the sweeper's pass -------------------------------------------------------------------


def anything_due(uow: UnitOfWork, hall: Hall, rules: RetentionSpec) -> bool:
    """Whether a pass would change anything (a read, before taking the write lock)."""
    due = Due.at(hall, rules, uow.now())
    checks = (
        select(Ticket.id).where(due.tickets(hall), _holds_holder()),
        select(Appointment.id).where(due.appointments(hall), _holds_appointment()),
        select(Evaluation.id).where(due.evaluations(hall), _holds_comment()),
        _notes_of(due.evaluations(hall)),
    )
    return any(uow.session.scalar(check.limit(1)) is not None for check in checks)


def anonymise_due(uow: UnitOfWork, hall: Hall, rules: RetentionSpec) -> Anonymised:
    """Anonymise what the rules make due now; the counts also go to the pass's audit entry."""
    due = Due.at(hall, rules, uow.now())
    done = _anonymise(uow, due.tickets(hall), due.appointments(hall), due.evaluations(hall))
    uow.audit_detail["anonymised"] = done.as_dict()
    return done


# -- one person's data, by their ID number's keyed hash ----------------------------------


@dataclass(frozen=True)
class Held:
    """What the hall holds about one person: the tickets taken with their ID number or for
    their appointments, those appointments, and the ratings of those tickets."""

    tickets: list[Ticket]
    appointments: list[Appointment]
    evaluations: list[Evaluation]

    def reference(self) -> dict[str, list[int]]:
        """The rows' ids, for an audit entry: which rows, never what they hold."""
        return {
            "tickets": [t.id for t in self.tickets],
            "appointments": [a.id for a in self.appointments],
            "evaluations": [e.id for e in self.evaluations],
        }


def held_by(uow: UnitOfWork, hall: Hall, holder: str) -> Held:
    """Everything still linked to the holder hash (queue_core.identity.holder_digest)."""
    appointments = list(
        uow.session.scalars(
            select(Appointment)
            .where(Appointment.hall_id == hall.id, Appointment.holder_digest == holder)
            .order_by(Appointment.slot_start)
        )
    )
    booked = [a.ticket_id for a in appointments if a.ticket_id is not None]
    tickets = list(
        uow.session.scalars(
            select(Ticket)
            .where(Ticket.hall_id == hall.id, or_(Ticket.holder_digest == holder, Ticket.id.in_(booked)))
            .order_by(Ticket.issued_at)
        )
    )
    evaluations = list(
        uow.session.scalars(
            select(Evaluation)
            .where(Evaluation.ticket_id.in_([t.id for t in tickets]))
            .order_by(Evaluation.requested_at)
        )
    )
    return Held(tickets, appointments, evaluations)


def case_notes(uow: UnitOfWork, evaluation: Evaluation) -> list[str]:
    """The notes the follow-up of a bad rating took (they may quote the citizen)."""
    return list(
        uow.session.scalars(
            select(CaseStep.note)
            .join(EvaluationCase, EvaluationCase.id == CaseStep.case_id)
            .where(EvaluationCase.evaluation_id == evaluation.id, CaseStep.note != NO_TEXT)
            .order_by(CaseStep.id)
        )
    )


def erase(uow: UnitOfWork, held: Held) -> Anonymised:
    """Anonymise what held_by found; the audit entry names the rows, not what they held."""
    done = _anonymise(
        uow,
        Ticket.id.in_([t.id for t in held.tickets]),
        Appointment.id.in_([a.id for a in held.appointments]),
        Evaluation.id.in_([e.id for e in held.evaluations]),
    )
    uow.audit_detail |= {"anonymised": done.as_dict(), "rows": held.reference()}
    return done


# -- anonymising --------------------------------------------------------------------------


def _anonymise(
    uow: UnitOfWork,
    tickets: ColumnElement[bool],
    appointments: ColumnElement[bool],
    evaluations: ColumnElement[bool],
) -> Anonymised:
    session = uow.session
    holders = session.execute(
        update(Ticket).where(tickets, _holds_holder()).values(holder_digest=None),
        execution_options={"synchronize_session": False},
    )
    booked = session.execute(
        update(Appointment).where(appointments, _holds_appointment()).values(name="", holder_digest=None),
        execution_options={"synchronize_session": False},
    )
    _blank_alarm_comments(uow, evaluations)
    notes = session.execute(
        update(CaseStep).where(CaseStep.id.in_(_notes_of(evaluations).scalar_subquery())).values(note=""),
        execution_options={"synchronize_session": False},
    )
    comments = session.execute(
        update(Evaluation).where(evaluations, _holds_comment()).values(comment=""),
        execution_options={"synchronize_session": False},
    )
    session.expire_all()  # the caller's loaded rows read their anonymised fields afresh
    return Anonymised(rowcount(holders), rowcount(booked), rowcount(comments), rowcount(notes))


def _blank_alarm_comments(uow: UnitOfWork, evaluations: ColumnElement[bool]) -> None:
    """A bad rating's alarm copied its comment (the dashboard shows it): it goes with the
    rating's. Only ratings still holding a comment are looked at, and few of them are bad."""
    subjects = select(literal("evaluation:") + cast(Evaluation.id, String)).where(
        evaluations, _holds_comment()
    )
    alarms = uow.session.scalars(
        select(Alarm).where(Alarm.kind == AlarmKind.BAD_RATING, Alarm.subject.in_(subjects.scalar_subquery()))
    )
    for alarm in alarms:
        if alarm.detail.get("comment"):
            alarm.detail = {**alarm.detail, "comment": ""}
    uow.session.flush()


def _notes_of(evaluations: ColumnElement[bool]) -> Select[int]:
    """The ids of the case steps with a note, of those ratings' follow-ups."""
    return (
        select(CaseStep.id)
        .join(EvaluationCase, EvaluationCase.id == CaseStep.case_id)
        .where(
            CaseStep.note != NO_TEXT,
            exists().where(Evaluation.id == EvaluationCase.evaluation_id, evaluations),
        )
    )


def _holds_holder() -> ColumnElement[bool]:
    return Ticket.holder_digest.is_not(None)


def _holds_appointment() -> ColumnElement[bool]:
    return or_(Appointment.name != NO_TEXT, Appointment.holder_digest.is_not(None))


def _holds_comment() -> ColumnElement[bool]:
    return Evaluation.comment != NO_TEXT
