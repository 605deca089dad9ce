"""The audit trail (电子监察) as the API answers it and its page lists it: the entries that match
a filter, newest first, with who acted, from where, what, and the hash chain. Reading only: the
trail is appended by the server as people and devices act.

The page checks the chain on every view, from where this process last found it holding
(VerifiedHeads), so a view costs what was appended since, not the whole trail; and it compares
the newest signed checkpoint (queue_core.audit_anchors) with the chain by one look-up."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from queue_core import UnitOfWork
from queue_core.audit import Mark, Verdict, still_holds, verify
from queue_core.audit_anchors import Anchor, Checkpoint
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
    leave_out: frozenset[str] = frozenset(),
    limit: int = 200,
) -> list[AuditEntry]:
    """The entries that match, newest first. Days are the hall's local days; `last` defaults to
    `first` and `first` to the beginning; an actor matches its id, its name or its kind; the
    actions in `leave_out` are left out."""
    query = _matching(hall, first, last, actor, action)
    if leave_out:
        query = query.where(AuditEntry.action.not_in(leave_out))
    return list(uow.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def count_entries(
    uow: UnitOfWork, hall: Hall, *, first: str | None, last: str | None, actions: frozenset[str]
) -> int:
    """How many entries of these actions the period holds."""
    query = _matching(hall, first, last, None, None).where(AuditEntry.action.in_(actions))
    return uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def _matching(hall: Hall, first: str | None, last: str | None, actor: str | None, action: str | None) -> Any:
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
    return query


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


class VerifiedHeads:
    """Per hall, the newest entry this process found holding: the next check walks on from it
    (after making sure it is still there, unchanged), or from the first entry when it is not.
    An edit to an entry before it is left to `hallq audit verify`, which walks the whole trail."""

    def __init__(self) -> None:
        self._marks: dict[int, Mark] = {}
        self._lock = threading.Lock()

    def verify(self, uow: UnitOfWork, hall_id: int) -> Verdict:
        with self._lock:
            mark = self._marks.get(hall_id)
        if mark is not None and not still_holds(uow, hall_id, mark):
            mark = None
        verdict = verify(uow, hall_id, since=mark)
        if verdict.held is not None:
            with self._lock:
                self._marks[hall_id] = verdict.held
        return verdict


@dataclass(frozen=True)
class AnchorState:
    """The newest checkpoint against the chain. `kind`: none (no checkpoint yet), forged (its
    signature fails), cut (the chain no longer reaches its last entry), rewritten (that entry
    is gone or has another hash) or holds; `unanchored`: the entries after it."""

    kind: str
    checkpoint: Checkpoint | None = None
    unanchored: int = 0


def anchor_state(uow: UnitOfWork, hall_id: int, verdict: Verdict, anchor: Anchor | None) -> AnchorState:
    if anchor is None or anchor.checkpoint is None:
        return AnchorState("none" if anchor is None else "forged", unanchored=verdict.total)
    checkpoint, head = anchor.checkpoint, verdict.head
    if not anchor.signed:
        return AnchorState("forged", checkpoint)
    if checkpoint.entries == 0:
        return AnchorState("holds", checkpoint, verdict.total)
    if head is None or head.id < checkpoint.last_id:
        return AnchorState("cut", checkpoint)
    entry = uow.session.get(AuditEntry, checkpoint.last_id)
    if entry is None or entry.hall_id != hall_id or entry.hash != checkpoint.head:
        return AnchorState("rewritten", checkpoint)
    # Its hash vouches for everything up to it: the chain has as many entries there as it saw.
    return AnchorState("holds", checkpoint, verdict.total - checkpoint.entries)
