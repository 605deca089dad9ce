"""Pairing (配对): a manager makes a one-time code for a device; the device sends it and keeps
its token. No terminal, no token typed by hand (queue_core.pairing)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import limits
from flask import request, url_for
from flask_login import current_user
from pydantic import BaseModel, Field

from queue_core import pairing
from queue_core.errors import Invalid
from queue_core.models import MANAGERS

from ..present.devices import device_page
from ..present.qr import qr_data_url
from ..state import current_hall, state
from . import TooManyAttempts, bp, doc
from .schemas import Payload
from .tokens_admin import declared_device, forget_cached_tokens, issue_token

# A guesser gets 5 tries a minute from one address and the hall 30 in all: a million codes
# live for 10 minutes, so a guess succeeds about once in 3,000 code lifetimes.
PER_ADDRESS = limits.parse("5/minute")
PER_HALL = limits.parse("30/minute")
BROWSER_KINDS = ("kiosk", "keypad", "board")  # the devices that are a page in a browser


class PairingOut(BaseModel):
    id: int
    device: str
    kind: str
    code: str = Field(description="Six digits, shown this once")
    expires_at: datetime
    pair_url: str = Field(description="The /pair page with the code filled in")
    qr: str = Field(description="pair_url as a QR code (an SVG data: URL)")


class PairRequest(Payload):
    code: str = Field(pattern=r"^\d{6}$", max_length=6, description="The six digits")
    sent_by: Literal["browser", "agent"] | None = Field(
        None,
        description="The /pair page pairs only a screen, `hallq agent pair` only an agent: another code stays unused",
    )


class PairedOut(BaseModel):
    device: str
    kind: str
    token: str = Field(description="The device's new token: keep it")
    page: str | None = Field(
        description="The device's page with its token, to open now (kiosks, keypads, boards)"
    )


@doc.operation(
    bp,
    "/devices/<device_id>/pairing",
    "POST",
    summary="Make a pairing code for a device",
    tag="administration",
    roles=MANAGERS,
    responses={
        201: (
            "The code, valid 10 minutes and once; an earlier live code of the device is revoked",
            PairingOut,
        ),
        404: ("hall.toml declares no such device", None),
    },
)
def make_pairing(device_id: str) -> tuple[PairingOut, int]:
    kind, _device = declared_device(device_id)
    with state().db.write() as uow:
        code, row = pairing.make_code(
            uow,
            current_hall(uow),
            device_id=device_id,
            device_kind=kind,
            secret=state().settings.secret_key(),
            staff_id=getattr(current_user, "id", None),
        )
        uow.audit_detail |= {"device": device_id, "pairing": row.id}  # never the code
    pair_url = url_for("pages.pair", code=code, _external=True)
    answer = PairingOut(
        id=row.id, device=device_id, kind=kind, code=code, expires_at=row.expires_at, pair_url=pair_url,
        qr=qr_data_url(pair_url),
    )  # fmt: skip
    return answer, 201


@doc.operation(
    bp,
    "/pairings/<int:pairing_id>",
    "DELETE",
    summary="Revoke a pairing code",
    tag="administration",
    roles=MANAGERS,
    responses={204: ("Revoked (a used or expired code stays as it was)", None), 404: ("No such code", None)},
)
def revoke_pairing(pairing_id: int) -> tuple[None, int]:
    with state().db.write() as uow:
        pairing.revoke(uow, current_hall(uow), pairing_id)
    return None, 204


@doc.operation(
    bp,
    "/pair",
    "POST",
    summary="Pair a device with its code",
    tag="administration",
    body=PairRequest,
    responses={
        201: ("The device's token", PairedOut),
        404: ("The code is wrong, used, revoked or more than 10 minutes old", None),
        422: ("A code for a hall PC's agent or a caller, sent from a browser", None),
        429: ("Too many tries: wait a minute", None),
    },
)
def pair(body: PairRequest) -> tuple[PairedOut, int]:
    """No login: the code is the proof. Every try is counted against guessing."""
    limiter, hall_code = state().rate_limiter, state().hall_code
    if not limiter.hit(PER_ADDRESS, "pairing", hall_code, request.remote_addr or "") or not limiter.hit(
        PER_HALL, "pairing", hall_code
    ):
        raise TooManyAttempts("too many pairing tries: wait a minute")
    with state().db.write() as uow:
        hall = current_hall(uow)
        row = pairing.redeem(uow, hall, body.code, state().settings.secret_key())
        if body.sent_by == "browser" and row.device_kind not in BROWSER_KINDS:
            raise Invalid(
                f"this code is for {row.device_id}, which is not a screen: run `hallq agent pair` on that PC"
            )
        if body.sent_by == "agent" and row.device_kind != "agent":
            raise Invalid(f"this code is for {row.device_kind} {row.device_id}, not for a hall PC's agent")
        kind, device = declared_device(row.device_id)
        row.token_id, token = issue_token(uow, hall.id, device=(kind, row.device_id))
        uow.audit_detail |= {"device": row.device_id, "pairing": row.id}
    forget_cached_tokens()
    return PairedOut(
        device=row.device_id, kind=kind, token=token, page=device_page(kind, device, token=token)
    ), 201
