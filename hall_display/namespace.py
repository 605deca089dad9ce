"""/hall: clients say what they show with `subscribe`, the only event they may send. Boards
show public information and need no token; a keypad must connect with auth={"token": ...}; the
dashboard with a manager's, admin's or supervisor's token, or from a page where one is logged
in (the session cookie); the city dashboard ({"city": true}) likewise, as a city supervisor."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import join_room

from hallq.acting import hall_id
from hallq.auth import user_for_token
from hallq.extensions import socketio
from hallq.state import current_hall, state
from queue_core import city, dashboard, evaluations, notices
from queue_core.errors import NotFound
from queue_core.halls import window_by_number
from queue_core.models import OVERSIGHT, Role
from queue_core.snapshots import queue_states, recent_calls, window_state, window_states

from .events import CITY_ROOM, NAMESPACE, hall_room

_principals: dict[str, Any] = {}


@socketio.on("connect", namespace=NAMESPACE)
def _connect(auth: dict[str, Any] | None = None) -> None:
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    if token:
        principal = user_for_token(token)
    else:  # a staff page: the person logged in, from the session cookie sent with the handshake
        principal = current_user._get_current_object() if current_user.is_authenticated else None
    _principals[request.sid] = principal  # type: ignore[attr-defined]


@socketio.on("disconnect", namespace=NAMESPACE)
def _disconnect(*_args: Any) -> None:
    _principals.pop(request.sid, None)  # type: ignore[attr-defined]


@socketio.on("subscribe", namespace=NAMESPACE)
def _subscribe(what: Any) -> dict[str, Any]:
    """Returns an acknowledgement: {"ok": true, "room": ...} or {"ok": false, "error": ...}."""
    if not isinstance(what, dict) or len(what) != 1:
        return {"ok": False, "error": 'send one of {"window": 3}, {"board": "hall"}, {"queue": "A"}, '
                '{"queue_load": "A"}, {"ticket": 12}, {"keypad": 3}, {"kiosk": "K1"}, {"dashboard": true}, '
                '{"city": true}'}  # fmt: skip
    ((kind, value),) = what.items()
    principal = _principals.get(request.sid)  # type: ignore[attr-defined]
    if kind == "window" and isinstance(value, int):
        with state().db.read() as uow:
            try:
                window_by_number(uow, current_hall(uow).id, value)
            except NotFound:
                return {"ok": False, "error": f"the hall has no window {value}"}
        room = f"window:{value}"
    elif kind == "board" and value == "hall":
        room = "board:hall"
    elif kind in ("queue", "queue_load") and isinstance(value, str):
        room = f"{kind}:{value}"
    elif kind == "ticket" and isinstance(value, int):
        room = f"ticket:{value}"
    elif kind == "keypad" and isinstance(value, int):
        if principal is None or getattr(principal, "device_kind", None) != "keypad":
            return {"ok": False, "error": "a keypad must connect with its device token"}
        declared = {k.id: k.window for k in state().spec.keypads}
        if declared.get(principal.device_id) != value:
            return {"ok": False, "error": f"keypad {principal.device_id} is not the keypad of window {value}"}
        room = f"keypad:{value}"
    elif kind == "kiosk" and isinstance(value, str):
        if (
            principal is None
            or getattr(principal, "device_kind", None) != "kiosk"
            or principal.device_id != value
        ):
            return {
                "ok": False,
                "error": f"only kiosk {value} itself, with its device token, hears its printing",
            }
        room = f"kiosk:{value}"
    elif kind == "dashboard" and value is True:
        if principal is None or not principal.has_role(*OVERSIGHT):
            return {"ok": False, "error": "the dashboard needs a manager's or admin's token"}
        room = "dashboard"
    elif kind == "city" and value is True:
        if principal is None or not principal.has_role(Role.CITY):
            return {
                "ok": False,
                "error": "the city dashboard needs a city supervisor's (市级监管) login or token",
            }
        join_room(CITY_ROOM)  # not the hall's: it hears every hall's figures
        with state().db.read() as uow:
            return {"ok": True, "room": CITY_ROOM, "state": city.state(uow)}
    else:
        return {"ok": False, "error": f"cannot subscribe to {kind!r}: {value!r}"}
    join_room(hall_room(hall_id(), room))
    return {"ok": True, "room": room, "state": current_state(kind, value)}


@socketio.on("*", namespace=NAMESPACE)
def _refuse(event: str, *_args: Any) -> dict[str, Any]:
    """Screens only listen: every change goes through the JSON API, where roles are checked
    and the audit trail is written. Any other event is answered with a refusal, not acted on."""
    return {"ok": False, "error": f"{event!r} is not an event of /hall: clients only subscribe"}


def current_state(kind: str, value: Any) -> dict[str, Any] | None:
    """What the subscriber shows right now, so that a board that (re)connects after a restart
    or a network cut shows the truth at once, without a reload."""
    if kind in ("ticket", "kiosk"):
        return None  # their pages fetch their ticket or printer over the API
    with state().db.read() as uow:
        hall = current_hall(uow)
        if kind == "window":
            return {"window": window_state(uow, window_by_number(uow, hall.id, value)).payload()}
        if kind == "keypad":
            window = window_by_number(uow, hall.id, value)
            asking = evaluations.awaiting_at(uow, window)
            return {
                "window": window_state(uow, window).payload(),
                "evaluation": evaluations.requested_event(asking, window).payload() if asking else None,
            }
        if kind == "dashboard":
            return dashboard.state(uow, hall)
        if kind in ("queue", "queue_load"):
            found = [q for q in queue_states(uow, hall) if q.queue == value]
            return {"queue": found[0].payload() if found else None}
        return {
            "windows": [w.payload() for w in window_states(uow, hall)],
            "queues": [q.payload() for q in queue_states(uow, hall)],
            "calls": [c.payload() for c in recent_calls(uow, hall)],
            # Posted notices (newest first), then the hall's standing ones (no id: not withdrawable).
            "notices": [notices.as_event(n).payload() for n in notices.active(uow, hall)]
            + [
                {"id": None, **n.model_dump(), "until": None, "withdrawn": False}
                for n in state().spec.notices
            ],
        }
