"""The audit trail (电子监察) as the API answers it and its page lists it: the entries that match
a filter, newest first, with who acted, from where, what, and the hash chain. Reading only: the
trail is appended by the server as people and devices act."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from queue_core import UnitOfWork
from queue_core.errors import Invalid
from queue_core.models import AuditEntry, Hall


class AuditActorOut(BaseModel):
    kind: str = Field(description="staff, kiosk, keypad, board, caller, citizen or system")
    id: str = Field(description="The username or device id; empty for a citizen")
    name: str


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: AuditActorOut
    address: str | None = Field(description="Where the request came from (IP address)")
    action: str
    subject: str = Field(description="What it acted on, usually the request's path")
    detail: dict[str, Any] = Field(description="What it did: its events, and the result of a login")
    hash: str
    prev_hash: str


def day_bounds(hall: Hall, first: date, last: date) -> tuple[datetime, datetime]:
    """From the hall's local midnight starting `first` to the one ending `last`."""
    zone = ZoneInfo(hall.timezone)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    after = last + timedelta(days=1)
    return start, datetime(after.year, after.month, after.day, tzinfo=zone)


def find_entries(
    uow: UnitOfWork,
    hall: Hall,
    *,
    first: str | None = None,
    last: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The entries that match, newest first. Days are the hall's local days; `last` defaults to
    `first` and `first` to the beginning; an actor matches its id, its name or its kind."""
    query = select(AuditEntry).where(AuditEntry.hall_id == hall.id)
    try:
        start = date.fromisoformat(first) if first else None
        end = date.fromisoformat(last) if last else start
    except ValueError as exc:
        raise Invalid(f"not a date: {exc}") from exc
    if start and end and end < start:
        raise Invalid(f"the period ends ({end}) before it begins ({start})")
    if start is not None:
        query = query.where(AuditEntry.at >= day_bounds(hall, start, start)[0])
    if end is not None:
        query = query.where(AuditEntry.at < day_bounds(hall, end, end)[1])
    if actor:
        query = query.where(
            or_(AuditEntry.actor_id == actor, AuditEntry.actor_name == actor, AuditEntry.actor_kind == actor)
        )
    if action:
        query = query.where(AuditEntry.action == action)
    return list(uow.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        actor=AuditActorOut(kind=entry.actor_kind, id=entry.actor_id, name=entry.actor_name),
        address=entry.address,
        action=entry.action,
        subject=entry.subject,
        detail=entry.detail,
        hash=entry.hash,
        prev_hash=entry.prev_hash,
    )
