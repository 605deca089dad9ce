"""Staff accounts (人员管理): who may log in, under which name, badge and role. The rules on who
may change whom are queue_core.accounts'."""

from __future__ import annotations

import re

from flask_login import current_user
from pydantic import Field

from queue_core import UnitOfWork, accounts, passwords
from queue_core.errors import Invalid
from queue_core.models import MANAGERS, OVERSIGHT, Role, Staff

from ..auth import hash_password
from ..present.administration import StaffOut, staff_out
from ..revocation import CLOSES_ALL, CLOSES_SESSIONS
from ..state import current_hall, state
from . import bp, doc
from .schemas import Payload

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")
RULES = (
    "Refused: only an admin creates or changes an admin or city account, and nobody deactivates "
    "their own account or changes their own role"
)


# The rule a password must meet is queue_core.passwords' (422 weak_password naming each part
# missing); the models only bound the size.
class Password(Payload):
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class StaffSettings(Payload):
    name: str = Field(min_length=1, max_length=60, description="Shown on the window board")
    badge: str = Field("", max_length=30, description="工号")
    role: Role
    active: bool = Field(True, description="false: the person can no longer log in")
    password: str | None = Field(
        None,
        min_length=1,
        max_length=passwords.MAX_LENGTH,
        description="Required for a new account; else unchanged. The owner must change it at their next login",
    )


def acting_staff(uow: UnitOfWork) -> Staff:
    return uow.session.get_one(Staff, current_user.id)


@doc.operation(
    bp,
    "/staff",
    "GET",
    summary="List staff accounts",
    tag="administration",
    roles=OVERSIGHT,
    responses={200: ("Every account of the hall, by username", StaffOut)},
)
def list_staff() -> list[StaffOut]:
    with state().db.read() as uow:
        return [staff_out(s) for s in accounts.staff_of(uow, current_hall(uow))]


@doc.operation(
    bp,
    "/staff/<username>",
    "PUT",
    summary="Create or change a staff account",
    tag="administration",
    body=StaffSettings,
    roles=MANAGERS,
    responses={
        200: ("The account as it is now", StaffOut),
        403: (RULES, None),
        422: ("Not valid: the message names the field; weak_password names what the password lacks", None),
    },
)
def put_staff(username: str, body: StaffSettings) -> StaffOut:
    """A new account needs a password (8 characters or more, of three kinds of lower case,
    upper case, digits and symbols, without the username); an existing one keeps its own
    unless one is given. A password given here is its owner's to change at their next login."""
    if not USERNAME.match(username):
        raise Invalid(f'"{username}" is not a valid username: letters, digits, "_", "." and "-", at most 60')
    password_hash = None
    if body.password is not None:
        passwords.require_strong(body.password, username)
        password_hash = hash_password(body.password)
    with state().db.write() as uow:
        staff = accounts.save_account(
            uow,
            current_hall(uow),
            acting_staff(uow),
            username,
            name=body.name,
            badge=body.badge,
            role=body.role,
            active=body.active,
            password_hash=password_hash,
        )
        answer, staff_id = staff_out(staff), staff.id
    # A token of a deactivated or changed account stops at once, in every process.
    closes = CLOSES_ALL if not body.active else CLOSES_SESSIONS if password_hash else None
    state().revocations.staff_changed(staff_id, closes)
    return answer


@doc.operation(
    bp,
    "/staff/<username>/password",
    "PUT",
    summary="Reset a staff member's password",
    tag="administration",
    body=Password,
    roles=MANAGERS,
    responses={
        200: ("The account", StaffOut),
        403: (RULES, None),
        404: ("No such account", None),
        422: ("weak_password: `weaknesses` names what the password lacks", None),
    },
)
def put_staff_password(username: str, body: Password) -> StaffOut:
    """Another person's, by an admin: its owner must change it at their next login. One's own:
    it ends one's other sessions."""
    passwords.require_strong(body.password, username)
    password_hash = hash_password(body.password)
    with state().db.write() as uow:
        staff = accounts.set_password(uow, current_hall(uow), acting_staff(uow), username, password_hash)
        answer, staff_id = staff_out(staff), staff.id
    state().revocations.staff_changed(staff_id, CLOSES_SESSIONS)
    return answer
