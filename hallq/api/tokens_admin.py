"""The hall's devices (设备) and the bearer tokens of devices and people. The devices themselves
are hall.toml's (their wiring, serial ports and printer URLs, is the host's configuration);
here a manager sees them with their printers' state and issues or revokes their tokens."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from queue_core import UnitOfWork, accounts
from queue_core.errors import InvalidState, NotFound
from queue_core.models import MANAGERS, OVERSIGHT, ApiToken, Staff
from queue_core.spec import DeviceSpec

from ..auth import new_token
from ..present.devices import DeviceOut, IssuedToken, TokenOut, device_page, devices
from ..state import current_hall, state
from . import bp, doc


def forget_cached_tokens() -> None:
    """Tokens are cached for 30 s (hallq.state): a token just issued is read afresh, not as
    the unknown one it was a moment ago."""
    app_state = state()
    with app_state.cache_lock:
        app_state.token_cache.clear()


@doc.operation(
    bp,
    "/devices",
    "GET",
    summary="List the hall's devices",
    tag="administration",
    roles=OVERSIGHT,
    responses={200: ("hall.toml's kiosks, boards, keypads and callers, with printers and tokens", DeviceOut)},
)
def list_devices() -> list[DeviceOut]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        return devices(uow, hall, state().spec, state().printing.views(uow, hall))


@doc.operation(
    bp,
    "/devices/<device_id>/tokens",
    "POST",
    summary="Issue a device token",
    tag="administration",
    roles=MANAGERS,
    responses={
        201: ("The new token, shown once", IssuedToken),
        404: ("hall.toml declares no such device", None),
    },
)
def issue_device_token(device_id: str) -> tuple[IssuedToken, int]:
    """The device's older tokens keep working until revoked: revoke them once the new one is
    in place."""
    kind, device = declared_device(device_id)
    with state().db.write() as uow:
        token_id, token = issue_token(uow, current_hall(uow).id, device=(kind, device_id))
    return IssuedToken(id=token_id, token=token, url=device_page(kind, device, token=token)), 201


@doc.operation(
    bp,
    "/staff/<username>/tokens",
    "POST",
    summary="Issue a person's API token",
    tag="administration",
    roles=MANAGERS,
    responses={
        201: ("The new token, shown once", IssuedToken),
        403: ("Only for oneself, or by an admin", None),
        404: ("No such account", None),
    },
)
def issue_staff_token(username: str) -> tuple[IssuedToken, int]:
    """For another system acting as this person; it acts with their role while their
    account is active."""
    with state().db.write() as uow:
        hall = current_hall(uow)
        staff = accounts.account(uow, hall, username)
        accounts.may_act_for(uow.session.get_one(Staff, current_user.id), staff)
        token_id, token = issue_token(uow, hall.id, staff=staff)
        return IssuedToken(id=token_id, token=token, url=None), 201


def declared_device(device_id: str) -> tuple[str, Any]:
    """The device's kind and its hall.toml entry; NotFound when hall.toml has none."""
    spec = state().spec
    kind = spec.device_kind(device_id)
    if kind is None:
        raise NotFound(f'hall.toml declares no agent, kiosk, board, keypad or caller "{device_id}"')
    declared: list[DeviceSpec] = [*spec.agents, *spec.kiosks, *spec.boards, *spec.keypads, *spec.callers]
    return kind, next(d for d in declared if d.id == device_id)


def issue_token(
    uow: UnitOfWork, hall_id: int, *, staff: Staff | None = None, device: tuple[str, str] | None = None
) -> tuple[int, str]:
    """A new token and its row's id (new_token only adds the row)."""
    token = new_token(uow, hall_id, staff=staff, device=device)
    [row] = [added for added in uow.session.new if isinstance(added, ApiToken)]
    uow.session.flush()
    return row.id, token


@doc.operation(
    bp,
    "/tokens/<int:token_id>",
    "DELETE",
    summary="Revoke a token",
    tag="administration",
    roles=MANAGERS,
    responses={
        200: ("The token, refused from now on", TokenOut),
        403: ("A person's token: only theirs, or by an admin", None),
        404: ("No such token", None),
        409: ("Already revoked", None),
    },
)
def revoke_token(token_id: int) -> TokenOut:
    with state().db.write() as uow:
        row = uow.session.get(ApiToken, token_id)
        if row is None or row.hall_id != current_hall(uow).id:
            raise NotFound(f"no token {token_id}")
        if row.staff is not None:
            accounts.may_act_for(uow.session.get_one(Staff, current_user.id), row.staff)
        if row.revoked_at is not None:
            raise InvalidState(f"token {token_id} was already revoked")
        row.revoked_at = uow.now()
        answer = TokenOut(id=row.id, created_at=row.created_at, revoked_at=row.revoked_at)
        digest = row.token_hash
    state().revocations.token_revoked(digest)  # refused by every process from now on
    return answer
