"""Pairing (配对): setting a device up without a terminal. A manager makes a six-digit code for
one device of hall.toml; the device (a kiosk's or keypad's browser at /pair, an agent with
`hallq agent pair`) sends it once within PAIRING_MINUTES and gets the device's token. A code
is single-use, replaced by a newer one for the same device, and revocable; only its keyed
digest is kept. Guessing is bounded by the API's rate limit (hallq.api.pairing): a million
codes against a few tries a minute."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from .errors import NotFound
from .models import Hall, PairingCode
from .unit_of_work import UnitOfWork

PAIRING_MINUTES = 10
CODE_DIGITS = 6


def code_digest(secret: str, code: str) -> str:
    return hmac.new(secret.encode(), f"pairing:{code}".encode(), hashlib.sha256).hexdigest()


def make_code(
    uow: UnitOfWork, hall: Hall, *, device_id: str, device_kind: str, secret: str, staff_id: int | None
) -> tuple[str, PairingCode]:
    """A new code for the device (its earlier live codes are revoked), and its row."""
    now = uow.now()
    for earlier in uow.session.scalars(_live(hall, now).where(PairingCode.device_id == device_id)):
        earlier.revoked_at = now
    while True:  # a code live for two devices at once would pair the wrong one
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        digest = code_digest(secret, code)
        if uow.session.scalar(_live(hall, now).where(PairingCode.code_digest == digest)) is None:
            break
    row = PairingCode(
        hall_id=hall.id,
        device_id=device_id,
        device_kind=device_kind,
        code_digest=digest,
        created_at=now,
        created_by=staff_id,
        expires_at=now + timedelta(minutes=PAIRING_MINUTES),
    )
    uow.session.add(row)
    uow.session.flush()
    return code, row


def redeem(uow: UnitOfWork, hall: Hall, code: str, secret: str) -> PairingCode:
    """The live code's row, now used; NotFound for a wrong, used, expired or revoked code
    (which of them is not said: that would help a guesser)."""
    now = uow.now()
    digest = code_digest(secret, code.strip())
    row = uow.session.scalar(_live(hall, now).where(PairingCode.code_digest == digest).with_for_update())
    if row is None:
        raise NotFound("no such pairing code: it is wrong, used or more than 10 minutes old")
    row.used_at = now
    return row


def revoke(uow: UnitOfWork, hall: Hall, pairing_id: int) -> PairingCode:
    row = uow.session.get(PairingCode, pairing_id)
    if row is None or row.hall_id != hall.id:
        raise NotFound(f"no pairing code {pairing_id}")
    if row.used_at is None and row.revoked_at is None:
        row.revoked_at = uow.now()
    return row


def _live(hall: Hall, now: datetime) -> Select[PairingCode]:
    return select(PairingCode).where(
        PairingCode.hall_id == hall.id,
        PairingCode.used_at.is_(None),
        PairingCode.revoked_at.is_(None),
        PairingCode.expires_at > now,
    )
