"""Who is acting in this request, for the audit trail (queue_core.audit): set before every
request that may write, from the logged-in person or device and the client's address."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_login import current_user

from queue_core import audit

from .state import current_hall, state

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def hall_id() -> int:
    app_state = state()
    if app_state.hall_id is None:
        with app_state.db.read() as uow:
            current_hall(uow)
    assert app_state.hall_id is not None
    return app_state.hall_id


def actor_for(user: Any, action: str = "", subject: str = "") -> audit.Actor:
    """The person or device `user` (Flask-Login's), or a citizen when nobody is logged in."""
    if user is None or not user.is_authenticated:
        kind, ident, name = "citizen", "", ""
    elif user.role == "device":
        kind, ident, name = user.device_kind, user.device_id, ""
    else:
        kind, ident, name = "staff", user.username, user.name
    return audit.Actor(
        hall_id=hall_id(),
        kind=kind,
        id=ident,
        name=name,
        address=request.remote_addr,
        action=action or (request.endpoint or ""),
        subject=subject or request.path,
    )


def begin_request() -> None:
    if request.method in WRITES:
        g.acting = audit.acting_as(actor_for(current_user))
        g.acting.__enter__()


def end_request(_exc: BaseException | None) -> None:
    acting = g.pop("acting", None)
    if acting is not None:
        acting.__exit__(None, None, None)
