"""What a /hall client may subscribe to: one table, each kind with how its value is read, who
may join, its room and the state its screen shows at once.

Clients say what they show with `subscribe`, the only event they may send. Boards and phone
pages show public information and need no token; a keypad must connect with
auth={"token": ...}; a kiosk likewise, for its own printing; the dashboard with a manager's,
admin's or supervisor's token, or from a page where one is logged in (the session cookie); the
city dashboard ({"city": true}) likewise, as a city supervisor; a guide's page
({"alarms": "help_requested"}) as a guide, manager or admin.

Everything here is synchronous and runs in a worker thread inside the Flask app's context
(hallq.live.server), never on the event loop that holds the sockets: it reads the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hallq.acting import hall_id
from hallq.state import current_hall, state
from queue_core import UnitOfWork, alarms, audit, city, dashboard, evaluations, notices, printing
from queue_core.errors import NotFound
from queue_core.halls import window_by_number
from queue_core.models import GUIDES, OVERSIGHT, AlarmKind, Hall, Queue, Role, Ticket
from queue_core.snapshots import queue_state, queue_states, recent_calls, window_state, window_states

from .rooms import CITY_ROOM

USAGE = (
    'send one of {"window": 3}, {"board": "hall"}, {"queue": "A"}, {"queue_load": "A"}, {"ticket": "<key>"}, '
    '{"keypad": 3}, {"kiosk": "K1"}, {"agent": "kiosk-pc-1"}, {"dashboard": true}, {"alarms": "help_requested"}, {"city": true}'
)


class Refused(Exception):
    """A subscription the server will not make; its message is the reason the client gets."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and 8 <= len(value) <= 64


def _anyone(principal: Any, value: Any) -> None:
    return None


def _the_keypad(principal: Any, value: int) -> None:
    if principal is None or getattr(principal, "device_kind", None) != "keypad":
        raise Refused("a keypad must connect with its device token")
    declared = {k.id: k.window for k in state().spec.keypads}
    if declared.get(principal.device_id) != value:
        raise Refused(f"keypad {principal.device_id} is not the keypad of window {value}")


def _the_kiosk(principal: Any, value: str) -> None:
    if (
        principal is None
        or getattr(principal, "device_kind", None) != "kiosk"
        or principal.device_id != value
    ):
        raise Refused(f"only kiosk {value} itself, with its device token, hears its printing")


def _the_agent(principal: Any, value: str) -> None:
    if (
        principal is None
        or getattr(principal, "device_kind", None) != "agent"
        or principal.device_id != value
    ):
        raise Refused(f"only agent {value} itself, with its device token, takes its print jobs")


def _oversight(principal: Any, value: Any) -> None:
    if principal is None or not principal.has_role(*OVERSIGHT):
        raise Refused("the dashboard needs a manager's or admin's token")


def _guide(principal: Any, value: Any) -> None:
    if principal is None or not principal.has_role(*GUIDES):
        raise Refused("the guides' page needs a guide's, manager's or admin's login or token")


def _city_supervisor(principal: Any, value: Any) -> None:
    if principal is None or not principal.has_role(Role.CITY):
        raise Refused("the city dashboard needs a city supervisor's (市级监管) login or token")


def _window_exists(uow: UnitOfWork, hall: Hall, value: int) -> None:
    try:
        window_by_number(uow, hall.id, value)
    except NotFound:
        raise Refused(f"the hall has no window {value}") from None


def _ticket_by_key(uow: UnitOfWork, hall: Hall, key: str) -> int:
    """A ticket's room is joined with its unguessable key (on its paper and its phone page),
    never its number or id, which anyone can count through."""
    found = uow.session.scalar(select(Ticket.id).where(Ticket.hall_id == hall.id, Ticket.key == key))
    if found is None:
        raise Refused("no such ticket")
    return found


def _window_state(uow: UnitOfWork, hall: Hall, value: int) -> dict[str, Any]:
    return {"window": window_state(uow, window_by_number(uow, hall.id, value)).payload()}


def _keypad_state(uow: UnitOfWork, hall: Hall, value: int) -> dict[str, Any]:
    window = window_by_number(uow, hall.id, value)
    asking = evaluations.awaiting_at(uow, window)
    return {
        "window": window_state(uow, window).payload(),
        "evaluation": evaluations.requested_event(asking, window).payload() if asking else None,
    }


def _queue_state(uow: UnitOfWork, hall: Hall, value: str) -> dict[str, Any]:
    queue_id = uow.session.scalar(select(Queue.id).where(Queue.hall_id == hall.id, Queue.code == value))
    return {"queue": queue_state(uow, queue_id).payload() if queue_id is not None else None}


def _kiosk_state(uow: UnitOfWork, hall: Hall, value: str) -> dict[str, Any]:
    """Its printers as the hall knows them now; printer_state then tells each change."""
    printers = state().printing.views(uow, hall, value)[value]
    return {"printers": [{"printer": p.name, "status": p.status, "away": p.away} for p in printers]}


def _agent_state(uow: UnitOfWork, hall: Hall, value: str) -> dict[str, Any]:
    """The jobs waiting for it, and those it claimed and never reported (it restarted)."""
    return {"jobs": printing.pending(uow, hall, value, value)}


def _agent_joined(value: str, connection: str, address: str) -> None:
    actor = audit.Actor(hall_id=hall_id(), kind="agent", id=value, address=address, action="agents.connected")
    with audit.acting_as(actor), state().db.write() as uow:
        printing.agent_connected(uow, current_hall(uow), value, connection=connection, address=address)


def _agent_left(value: str, connection: str, address: str) -> None:
    """Its printers become unknown, each with its alarm, unless it is connected again."""
    actor = audit.Actor(
        hall_id=hall_id(), kind="agent", id=value, address=address, action="agents.disconnected"
    )
    printers = state().printing.described(value)
    with audit.acting_as(actor), state().db.write() as uow:
        printing.agent_disconnected(uow, current_hall(uow), value, connection=connection, printers=printers)


def _dashboard_state(uow: UnitOfWork, hall: Hall, value: Any) -> dict[str, Any]:
    """The hall now, with the alarm of a full disk, which no row can hold, while it lasts."""
    found = dashboard.state(uow, hall)
    storage = state().storage.alarm()
    return found | {"alarms": [storage, *found["alarms"]]} if storage else found


def _help_calls_state(uow: UnitOfWork, hall: Hall, value: Any) -> dict[str, Any]:
    """The kiosks' 求助 calls open now, newest first."""
    return {"alarms": [alarms.as_event(a).payload() for a in alarms.help_calls(uow, hall)]}


def _hall_state(uow: UnitOfWork, hall: Hall, value: Any) -> dict[str, Any]:
    return {
        "windows": [w.payload() for w in window_states(uow, hall)],
        "queues": [q.payload() for q in queue_states(uow, hall)],
        "calls": [c.payload() for c in recent_calls(uow, hall)],
        # Posted notices (newest first), then the hall's standing ones (no id: not withdrawable).
        "notices": [notices.as_event(n).payload() for n in notices.active(uow, hall)]
        + [{"id": None, **n.model_dump(), "until": None, "withdrawn": False} for n in state().spec.notices],
    }


@dataclass(frozen=True)
class Kind:
    accepts: Callable[[Any], bool]  # the value's type
    room: Callable[[Any], str]
    may_join: Callable[[Any, Any], None] = _anyone  # raises Refused
    exists: Callable[[UnitOfWork, Hall, Any], None] | None = None  # raises Refused
    # What the screen shows now, read after joining, so that nothing between is missed. None:
    # a phone page reads its ticket over the API once, then follows the events.
    state: Callable[[UnitOfWork, Hall, Any], dict[str, Any]] | None = None
    hall_wide: bool = False  # False: the hall's own room; True: heard across halls (the city)
    # Presence, for a kind whose comings and goings matter (an agent: its printers): called in
    # a worker thread with (value, connection, client address) after joining, and after its
    # socket ended.
    joined: Callable[[Any, str, str], None] | None = None
    left: Callable[[Any, str, str], None] | None = None
    # The room's value from the one the client sent (a ticket's key → its id), read in a
    # worker thread; Refused when there is none.
    resolve: Callable[[UnitOfWork, Hall, Any], Any] | None = None

    @property
    def checked(self) -> bool:
        """Whether joining needs admit() (in a worker thread): boards and phones do not."""
        return self.may_join is not _anyone or self.exists is not None or self.resolve is not None


KINDS: dict[str, Kind] = {
    "window": Kind(_is_int, lambda n: f"window:{n}", exists=_window_exists, state=_window_state),
    "board": Kind(lambda v: v == "hall", lambda _: "board:hall", state=_hall_state),
    "queue": Kind(lambda v: isinstance(v, str), lambda q: f"queue:{q}", state=_queue_state),
    "queue_load": Kind(lambda v: isinstance(v, str), lambda q: f"queue_load:{q}", state=_queue_state),
    "ticket": Kind(_is_key, lambda t: f"ticket:{t}", resolve=_ticket_by_key),
    "keypad": Kind(_is_int, lambda n: f"keypad:{n}", _the_keypad, _window_exists, _keypad_state),
    "kiosk": Kind(lambda v: isinstance(v, str), lambda k: f"kiosk:{k}", _the_kiosk, state=_kiosk_state),
    "agent": Kind(
        lambda v: isinstance(v, str), lambda a: f"agent:{a}", _the_agent, state=_agent_state,
        joined=_agent_joined, left=_agent_left,
    ),
    "dashboard": Kind(lambda v: v is True, lambda _: "dashboard", _oversight, state=_dashboard_state),
    # Of the alarms, the guides hear the kiosks' 求助 calls (the managers' dashboard hears all).
    "alarms": Kind(
        lambda v: v == AlarmKind.HELP_REQUESTED, lambda k: f"alarms:{k}", _guide, state=_help_calls_state
    ),
    "city": Kind(
        lambda v: v is True, lambda _: CITY_ROOM, _city_supervisor, state=lambda uow, hall, _: city.state(uow), hall_wide=True
    ),
}  # fmt: skip


def parse(what: Any) -> tuple[str, Any, Kind]:
    """The kind and value of a `subscribe` message; Refused when it is not one."""
    if not isinstance(what, dict) or len(what) != 1:
        raise Refused(USAGE)
    ((name, value),) = what.items()
    kind = KINDS.get(name)
    if kind is None or not kind.accepts(value):
        raise Refused(f"cannot subscribe to {name!r}: {value!r}")
    return name, value, kind


def admit(kind: Kind, principal: Any, value: Any) -> Any:
    """The room's value; raises Refused unless `principal` may join and the thing exists
    (reads the database)."""
    kind.may_join(principal, value)
    if kind.exists is None and kind.resolve is None:
        return value
    with state().db.read() as uow:
        hall = current_hall(uow)
        if kind.exists is not None:
            kind.exists(uow, hall, value)
        return kind.resolve(uow, hall, value) if kind.resolve is not None else value


def current_state(kind: Kind, value: Any) -> dict[str, Any] | None:
    """What the subscriber shows right now, so that a board that (re)connects after a restart
    or a network cut shows the truth at once, without a reload."""
    if kind.state is None:
        return None
    with state().db.read() as uow:
        return kind.state(uow, current_hall(uow), value)
