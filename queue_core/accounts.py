"""Staff accounts, as the administration changes them, and who may change which. The rules:

- managers and admins manage accounts; only an admin creates an admin or a city supervisor
  (who reads every hall of the database), gives those roles, or changes such an account or
  its password (a manager cannot raise anyone, themselves included, above the manager they
  are, nor take over such an account by resetting it);
- nobody deactivates their own account or changes their own role: the hall would risk having
  nobody left who can undo it;
- a password set by someone other than its owner (a new account, a reset) is the owner's to
  replace: their next login leads only to the change-password page (等保: an initial password
  is changed at first use). Whoever set it knows it, and could otherwise act in their name.

Passwords are checked against queue_core.passwords and arrive already hashed: hashing belongs to the web layer (hallq.auth)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from .errors import NotFound, NotPermitted
from .models import Hall, Role, Staff

# The roles only an admin gives or changes: they reach beyond what a manager may do.
ADMIN_ONLY = (Role.ADMIN, Role.CITY)
# Beyond a manager's reach: the accounts that watch the managers (a supervisor, 电子监察) or
# run the system.
BEYOND_MANAGERS = (*ADMIN_ONLY, Role.SUPERVISOR)
# Standing, for password resets: nobody resets an account of equal or higher standing, since
# whoever sets a password can log in as its owner. The supervisor who audits the admins
# stands with them (separation of duties, 三员分立).
STANDING = {
    Role.CLERK: 1, Role.GUIDE: 1, Role.MANAGER: 2, Role.SUPERVISOR: 3, Role.ADMIN: 3, Role.CITY: 4,
}  # fmt: skip

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def staff_of(uow: UnitOfWork, hall: Hall) -> list[Staff]:
    """The hall's people in their usernames' natural order: clerk2 before clerk10."""
    people = uow.session.scalars(select(Staff).where(Staff.hall_id == hall.id))
    return sorted(people, key=lambda person: natural_key(person.username))


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders the digits in a text as numbers (clerk2 < clerk10)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def save_account(
    uow: UnitOfWork,
    hall: Hall,
    acting: Staff,
    username: str,
    *,
    name: str,
    badge: str,
    role: Role,
    active: bool,
    password_hash: str | None,
) -> Staff:
    """Create an account (a password is then required) or change one."""
    staff = uow.session.scalar(select(Staff).where(Staff.username == username))
    created = staff is None
    if staff is None:
        if password_hash is None:
            raise NotPermitted(f'"{username}" is a new account: give it a password')
        staff = Staff(hall_id=hall.id, username=username)
        uow.session.add(staff)
    elif staff.hall_id != hall.id:
        raise NotPermitted(f'the username "{username}" is taken in another hall')
    _may_change(acting, staff if not created else None, role)
    if staff.id == acting.id and (role != acting.role or not active):
        raise NotPermitted(
            "you cannot deactivate your own account or change your own role: you would lock "
            "yourself out. Ask another manager or admin.",
            why="own_account",
        )
    if not created and ((staff.active and not active) or password_hash is not None):
        end_sessions(staff)  # deactivated, or given a new password: no old login goes on
    staff.name, staff.badge, staff.role, staff.active = name, badge, role, active
    if password_hash is not None:
        give_password(staff, password_hash, to_be_changed=staff.id != acting.id)
    uow.session.flush()
    return staff


def end_sessions(staff: Staff) -> None:
    """Every login session of the account ends (each carries the version it began with)."""
    staff.session_version = (staff.session_version or 0) + 1


def set_password(uow: UnitOfWork, hall: Hall, acting: Staff, username: str, password_hash: str) -> Staff:
    """One's own password, or an admin resetting that of an account of lower standing (an
    admin's, a supervisor's or a city account's is reset on the server: `hallq user passwd`)."""
    staff = account(uow, hall, username)
    if staff.id != acting.id:
        if acting.role != Role.ADMIN:
            raise NotPermitted(f"only an admin may reset another person's password ({staff.username}'s)")
        if STANDING[Role(staff.role)] >= STANDING[Role.ADMIN]:
            raise NotPermitted(
                f"nobody resets the password of an account of equal or higher standing ({staff.username}, "
                f"{staff.role}): its owner changes it, or it is reset on the server"
            )
    give_password(staff, password_hash, to_be_changed=staff.id != acting.id)
    end_sessions(staff)
    uow.session.flush()
    return staff


def give_password(staff: Staff, password_hash: str, *, to_be_changed: bool) -> None:
    """The new password; one chosen by anyone but its owner is to be changed at the owner's
    next login."""
    staff.password_hash = password_hash
    staff.must_change_password = to_be_changed


def account(uow: UnitOfWork, hall: Hall, username: str) -> Staff:
    staff = uow.session.scalar(select(Staff).where(Staff.hall_id == hall.id, Staff.username == username))
    if staff is None:
        raise NotFound(f'no user "{username}"')
    return staff


def may_act_for(acting: Staff, staff: Staff) -> None:
    """Whether `acting` may act in `staff`'s name (issue or revoke their API tokens): for
    themselves, or an admin for anyone; a manager holding a clerk's token would sign the
    audit trail with the clerk's name."""
    if acting.id != staff.id and acting.role != Role.ADMIN:
        raise NotPermitted(f"only an admin may issue or revoke another person's tokens ({staff.username}'s)")


def _may_change(acting: Staff, staff: Staff | None, role: Role) -> None:
    if acting.role not in (Role.MANAGER, Role.ADMIN):
        raise NotPermitted(f"a {acting.role} cannot change staff accounts")
    touched = {role, staff.role if staff else role}
    if acting.role != Role.ADMIN and touched & set(ADMIN_ONLY):
        raise NotPermitted(f"only an admin may create or change an {' or '.join(ADMIN_ONLY)} account")
    if acting.role != Role.ADMIN and touched & set(BEYOND_MANAGERS):
        raise NotPermitted("only an admin may create or change a supervisor's account")
