"""Anchors of the audit trail: signed checkpoints of its head, kept outside the database.

The hash chain (queue_core.audit) shows an edited or deleted entry, but not a cut tail (what
remains is a whole chain, only shorter) nor a chain rewritten from some entry on (every hash
recomputed). So the server notes the head of the chain from time to time: a checkpoint is the
hall, how many entries the chain has, the id and hash of the newest, and when; it is signed
with HMAC-SHA256 under a key kept in a file, never in the database, and appended as one JSON
line to a file outside the database (the anchors file). Whoever can rewrite the database but
not read the key cannot make a checkpoint that agrees with a rewritten or shortened chain.

`check` compares the chain as a walk found it with the signed checkpoints: a checkpoint whose
head the chain no longer reaches means the tail was cut; one whose head the chain has with
another hash means the chain was rewritten up to there; a line whose signature fails is
named and trusted for nothing. Entries after the newest checkpoint are "not yet anchored".

Each checkpoint is copied into the database too (audit_checkpoint), for the city dashboard,
which reads every hall from there; nothing checks the chain against that copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .audit import Verdict
from .halls import hall_by_code
from .models import AuditCheckpoint, AuditEntry
from .numbering import service_day

if TYPE_CHECKING:
    from .db import Database
    from .models import Hall
    from .unit_of_work import UnitOfWork

KEY_BYTES = 32
TAIL_BYTES = 64 * 1024  # the newest checkpoint is in the file's last lines


@dataclass(frozen=True)
class Checkpoint:
    """The head of a hall's chain at a moment: `entries` entries, the newest `last_id` with
    hash `head`. `reason`: periodic, day-end, shutdown or command."""

    hall: str
    entries: int
    last_id: int
    head: str
    at: datetime
    reason: str

    def content(self) -> dict[str, object]:
        return asdict(self) | {"at": self.at.isoformat(timespec="seconds")}


@dataclass(frozen=True)
class Anchor:
    """One line of the anchors file: its checkpoint, and whether its signature holds."""

    line: int
    checkpoint: Checkpoint | None  # None: the line could not be read
    signed: bool
    problem: str = ""


def key_id(key: bytes) -> str:
    """A short name of the key (a hash of it), written with each checkpoint: a line signed
    with another key says so."""
    return hashlib.sha256(key).hexdigest()[:16]


def ensure_key(path: Path) -> bytes:
    """The signing key in `path`, created there first (random, readable by its owner only)
    where there is none. Written whole beside it, then linked in place: a process that starts
    at the same moment finds either no key or the whole one, never half of it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(KEY_BYTES) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:  # another process of the hall made one just now: theirs it is
            pass
        finally:
            draft.unlink()
    return load_key(path)


def load_key(path: Path) -> bytes:
    """The signing key in `path`; a ValueError that says why where there is none to use."""
    try:
        key = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError as exc:
        raise ValueError(f"there is no audit key at {path}") from exc
    except ValueError as exc:
        raise ValueError(f"{path} does not hold an audit key (64 hexadecimal digits)") from exc
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path} does not hold an audit key (64 hexadecimal digits)")
    return key


def _signature(key: bytes, content: dict[str, object]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def take(uow: UnitOfWork, hall: Hall, reason: str) -> Checkpoint:
    """The chain's head as the database has it now. The count and the newest id come from one
    statement (one snapshot, also under PostgreSQL's read committed); the newest entry's hash
    cannot change after."""
    count, last_id = uow.session.execute(
        select(func.count(), func.max(AuditEntry.id)).where(AuditEntry.hall_id == hall.id)
    ).one()
    head = uow.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == last_id)) if last_id else ""
    # to the second, as the anchors file writes it (and the signature covers)
    return Checkpoint(hall.code, count, last_id or 0, head or "", uow.now().replace(microsecond=0), reason)


def publish(path: Path, key: bytes, checkpoint: Checkpoint) -> None:
    """Append the signed checkpoint to the anchors file as one line, on disk before returning."""
    content = checkpoint.content() | {"key": key_id(key)}
    line = json.dumps(content | {"signature": _signature(key, content)}, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # the sweeper and a command may write at once
        file.write(line)
        file.flush()
        os.fsync(file.fileno())


def _anchor(number: int, line: str, key: bytes, hall_code: str) -> Anchor | None:
    """The line's anchor; None for another hall's line (another hall, another key: a line
    moved to another hall under this hall's key fails its signature instead)."""
    try:
        content = json.loads(line)
        signature = content.pop("signature")
        checkpoint = Checkpoint(
            hall=content["hall"],
            entries=int(content["entries"]),
            last_id=int(content["last_id"]),
            head=content["head"],
            at=datetime.fromisoformat(content["at"]),
            reason=content["reason"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return Anchor(number, None, False, f"line {number} is not a checkpoint ({exc.__class__.__name__})")
    if checkpoint.hall != hall_code and content.get("key") != key_id(key):
        return None
    if hmac.compare_digest(str(signature), _signature(key, content)):
        return Anchor(number, checkpoint, True)
    why = (
        "its content was changed after it was signed"
        if content.get("key") == key_id(key)
        else f"it was signed with another key ({content.get('key')}, this hall's is {key_id(key)})"
    )
    return Anchor(
        number, checkpoint, False, f"the signature of the checkpoint of {when(checkpoint)} fails: {why}"
    )


def read(path: Path, key: bytes, hall_code: str) -> list[Anchor]:
    """Every line of the hall's checkpoints, oldest first."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as file:
        found = (_anchor(number, line, key, hall_code) for number, line in enumerate(file, start=1))
        return [anchor for anchor in found if anchor is not None]


def newest(path: Path, key: bytes, hall_code: str) -> Anchor | None:
    """The hall's newest checkpoint, from the end of the file (which grows all year)."""
    if not path.exists():
        return None
    with path.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - TAIL_BYTES))
        tail = file.read().decode("utf-8", errors="replace").splitlines()
    if size > TAIL_BYTES:
        tail = tail[1:]  # the first may be a line's end only
    for line in reversed(tail):
        anchor = _anchor(0, line, key, hall_code) if line.strip() else None
        if anchor is not None:
            return anchor
    return None


class Anchoring:
    """A hall's checkpoints as its server writes them. `periodic` (the sweeper's, every few
    minutes) writes one when the chain has grown since the last, and the first after the
    hall's day ended (a "day-end" checkpoint) even when it has not."""

    def __init__(self, db: Database, hall_code: str, key: bytes, anchors_file: Path) -> None:
        self.db, self.hall_code, self.key, self.anchors_file = db, hall_code, key, anchors_file
        self._last: Checkpoint | None = None  # the last this process wrote

    def write(self, reason: str) -> Checkpoint:
        with self.db.read() as uow:
            checkpoint = take(uow, hall_by_code(uow, self.hall_code), reason)
        return self._publish(checkpoint)

    def periodic(self) -> Checkpoint | None:
        with self.db.read() as uow:
            hall = hall_by_code(uow, self.hall_code)
            checkpoint = take(uow, hall, "periodic")
            last = self._last
            if last is not None and service_day(hall, last.at) != service_day(hall, checkpoint.at):
                checkpoint = replace(checkpoint, reason="day-end")
            elif last is not None and (last.last_id, last.head) == (checkpoint.last_id, checkpoint.head):
                return None
        return self._publish(checkpoint)

    def _publish(self, checkpoint: Checkpoint) -> Checkpoint:
        publish(self.anchors_file, self.key, checkpoint)  # first the one verify trusts
        self._last = checkpoint
        with self.db.write() as uow:  # then the copy the city reads
            content = asdict(checkpoint)
            del content["hall"]
            uow.session.add(AuditCheckpoint(hall_id=hall_by_code(uow, self.hall_code).id, **content))
        return checkpoint


def when(checkpoint: Checkpoint) -> str:
    return f"{checkpoint.at:%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True)
class Finding:
    """What the checkpoints say of the chain: the problems (none: every checkpoint agrees), the
    newest checkpoint the chain agrees with, the newest signed one (agreeing or not), and how
    many entries came after that one: those no checkpoint has seen, not yet anchored."""

    problems: list[str] = field(default_factory=list)
    anchored: Checkpoint | None = None
    newest: Checkpoint | None = None
    unanchored: int = 0
    checkpoints: int = 0  # the signed checkpoints compared


def check(verdict: Verdict, anchors: Iterable[Anchor]) -> Finding:
    """Compare a whole walk of the chain (verify(..., watch=the checkpoints' last ids)) with
    the checkpoints."""
    problems: list[str] = []
    cut: Checkpoint | None = None  # the checkpoint that saw the most of what is gone
    rewritten: list[Checkpoint] = []
    agreed: list[Checkpoint] = []
    compared = 0
    head = verdict.head
    for anchor in anchors:
        if not anchor.signed or anchor.checkpoint is None:
            problems.append(anchor.problem + ": it is not trusted")
            continue
        compared += 1
        checkpoint = anchor.checkpoint
        mark = verdict.seen.get(checkpoint.last_id)
        if checkpoint.entries == 0:
            continue  # it saw an empty trail: nothing to compare
        if head is None or checkpoint.last_id > head.id:
            if cut is None or checkpoint.last_id > cut.last_id:
                cut = checkpoint
        elif mark is None or mark.hash != checkpoint.head or mark.position != checkpoint.entries:
            rewritten.append(checkpoint)
        else:
            agreed.append(checkpoint)
    if cut is not None:
        after = f"#{head.id}" if head else "#0 (the trail is empty)"
        problems.append(
            f"entries after {after} missing: the checkpoint of {when(cut)} saw {cut.entries} entries "
            f"up to #{cut.last_id}"
        )
    if rewritten:
        problems.append(_rewritten(verdict, rewritten, agreed))
    anchored = max(agreed, key=lambda c: c.last_id, default=None)
    newest = max([*agreed, *rewritten, *([cut] if cut else [])], key=lambda c: c.last_id, default=None)
    return Finding(problems, anchored, newest, _unanchored(verdict, newest), compared)


def _unanchored(verdict: Verdict, newest: Checkpoint | None) -> int:
    """How many entries come after the newest checkpoint, agreeing with the chain or not: the
    ones no checkpoint has seen."""
    if newest is None:
        return verdict.total
    if verdict.head is None or newest.last_id >= verdict.head.id:
        return 0
    mark = verdict.seen.get(newest.last_id)
    return verdict.total - (mark.position if mark else newest.entries)


def _rewritten(verdict: Verdict, rewritten: list[Checkpoint], agreed: list[Checkpoint]) -> str:
    """The first checkpoint the chain disagrees with, and the last before it that agrees:
    the rewrite lies between them."""
    first = min(rewritten, key=lambda c: c.last_id)
    mark = verdict.seen.get(first.last_id)
    now = f"has hash {mark.hash} there (entry {mark.position})" if mark else "no longer has that entry"
    before = max((c for c in agreed if c.last_id < first.last_id), key=lambda c: c.last_id, default=None)
    since = (
        f"; the checkpoint of {when(before)} at #{before.last_id} still agrees, so the rewrite lies in "
        f"#{before.last_id + 1}..#{first.last_id}"
        if before
        else ""
    )
    later = f" ({len(rewritten) - 1} later checkpoints disagree too)" if len(rewritten) > 1 else ""
    return (
        f"entries up to #{first.last_id} were rewritten: the checkpoint of {when(first)} saw entry "
        f"{first.entries}, #{first.last_id}, with hash {first.head}; the chain {now}{since}{later}"
    )
