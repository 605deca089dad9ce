"""The audit trail (电子监察): every change a person or device makes, who, what, when and from
where, in an append-only log whose entries are chained by hash.

The server says who is acting (``acting_as``) for each request and for its own background
work; every write transaction done while someone is acting appends one entry, in that same
transaction, naming the action and what it did (its domain events). Each entry's hash covers
its content and the previous entry's hash, so an edited entry no longer matches its hash and a
deleted one breaks the link of the entry after it: ``verify`` names the first broken entry.
Deleting the newest entries leaves no gap behind, and a chain rewritten from some entry on
holds again: the signed checkpoints outside the database (queue_core.audit_anchors) show both.
``verify`` may start from a mark an earlier walk left (the audit page does, so that its cost
does not grow with the trail). On PostgreSQL the table refuses UPDATE, DELETE and TRUNCATE
(migration 0015).

Work without an actor (the CLI's set-up, the simulator's generated days) writes no entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, insert, select, text

from .events import QueueState, WindowState
from .models import AuditEntry

if TYPE_CHECKING:
    from .db import Database
    from .unit_of_work import UnitOfWork

GENESIS = "0" * 64
# What a walk finds wrong with an entry (Verdict.problem).
NOT_FOLLOWING = "does not follow the entry before it: an entry was deleted or reordered"
EDITED = "does not match its hash: it was edited"


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member (kind "staff", their username), a device ("kiosk", "keypad",
    "board", "caller" with its id), a citizen on a phone page ("citizen"), or the server itself
    ("system"). `action` names what they asked for (the API operation), `address` where from."""

    hall_id: int
    kind: str
    id: str
    name: str = ""
    address: str | None = None
    action: str = ""
    subject: str = ""


_acting: ContextVar[Actor | None] = ContextVar("hallq_actor", default=None)


@contextmanager
def acting_as(actor: Actor | None) -> Iterator[Actor | None]:
    token = _acting.set(actor)
    try:
        yield actor
    finally:
        _acting.reset(token)


def current_actor() -> Actor | None:
    return _acting.get()


def append_for(uow: UnitOfWork) -> None:
    """Called by Database.write() just before its commit."""
    actor = _acting.get()
    if actor is None:
        return
    events = [e for e in uow.events if not isinstance(e, (WindowState, QueueState))]
    detail: dict[str, Any] = {"events": [{"event": e.name, **e.audit_payload()} for e in events]}
    detail |= uow.audit_detail
    append(uow, actor, actor.action, actor.subject, detail)


def write_entry(db: Database, actor: Actor, detail: dict[str, Any]) -> None:
    """An entry of its own, for what changes nothing in the hall's tables (a login, a
    logout): one transaction that holds only the entry."""
    with acting_as(None), db.write() as uow:  # the transaction adds no entry of its own
        append(uow, actor, actor.action, actor.subject, detail)


_LAST_HASH = (
    select(AuditEntry.hash)
    .where(AuditEntry.hall_id == bindparam("hall_id"))
    .order_by(AuditEntry.id.desc())
    .limit(1)
)


# A table-level INSERT, as the ticket log's: the trail is append-only and never read back as
# objects in the transaction that writes it, so the ORM's unit of work would add only cost.
_INSERT_ENTRY = insert(AuditEntry.__table__)


def append(uow: UnitOfWork, actor: Actor, action: str, subject: str, detail: dict[str, Any]) -> None:
    if uow.is_postgres:  # one chain per hall: its appenders take turns (SQLite's writers already do)
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 72_000_000 + actor.hall_id})
    previous = uow.session.scalar(_LAST_HASH, {"hall_id": actor.hall_id})
    values = {
        "hall_id": actor.hall_id,
        "at": uow.now(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "address": actor.address,
        "action": action,
        "subject": subject,
        "detail": detail,
        "prev_hash": previous or GENESIS,
    }
    values["hash"] = entry_hash(AuditEntry(**values))  # transient: only its fields are read
    uow.session.execute(_INSERT_ENTRY, values)


def entry_hash(entry: AuditEntry) -> str:
    content = {
        "hall": entry.hall_id,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": [entry.actor_kind, entry.actor_id, entry.actor_name, entry.address],
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
        "prev": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Mark:
    """An entry of the chain as a walk found it: its id, how many entries the chain has up to
    and including it, and its hash."""

    id: int
    position: int
    hash: str


@dataclass(frozen=True)
class Verdict:
    """What a walk found. `entries` hold (up to the first broken one, if any); the walk goes on
    past a break to the end, so `total`, `head` and `seen` describe the chain as it now is."""

    entries: int
    last_hash: str
    broken: AuditEntry | None = None
    problem: str = ""
    total: int = 0  # entries in the chain, broken or not
    head: Mark | None = None  # the newest entry
    held: Mark | None = None  # the newest entry before the first break (where a next walk may start)
    seen: dict[int, Mark] = field(default_factory=dict)  # the watched ids that exist


def verify(uow: UnitOfWork, hall_id: int, since: Mark | None = None, watch: Collection[int] = ()) -> Verdict:
    """Walk the chain from the first entry, or from the entry after `since` (a mark an earlier
    walk found holding); name the first entry that does not hold. The entries whose ids are in
    `watch` are noted as they are found (the checkpoints' heads, queue_core.audit_anchors)."""
    previous, count = (since.hash, since.position) if since else (GENESIS, 0)
    held, head, broken, problem = since, since, None, ""
    seen: dict[int, Mark] = {}
    watched = set(watch)
    query = select(AuditEntry).where(AuditEntry.hall_id == hall_id)
    if since is not None:
        query = query.where(AuditEntry.id > since.id)
    rows = uow.session.scalars(query.order_by(AuditEntry.id).execution_options(yield_per=2000))
    for entry in rows:
        if broken is None:
            if entry.prev_hash != previous:
                broken, problem = entry, NOT_FOLLOWING
            elif entry_hash(entry) != entry.hash:
                broken, problem = entry, EDITED
        previous, count = entry.hash, count + 1
        head = Mark(entry.id, count, entry.hash)
        if broken is None:
            held = head
        if entry.id in watched:
            seen[entry.id] = head
    return Verdict(
        held.position if held else 0,
        held.hash if held else GENESIS,
        broken,
        problem,
        total=count,
        head=head,
        held=held,
        seen=seen,
    )


def still_holds(uow: UnitOfWork, hall_id: int, mark: Mark) -> bool:
    """Whether the entry a walk left off at is still there, unchanged: a walk may go on from it."""
    entry = uow.session.get(AuditEntry, mark.id)
    return entry is not None and entry.hall_id == hall_id and entry.hash == mark.hash == entry_hash(entry)
