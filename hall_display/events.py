"""From committed domain events to Socket.IO messages on /hall.

Rooms: window:<n> (that window's board), board:hall (hall boards), queue:<code> (a queue's
board: its calls and its load), queue_load:<code> (its load alone: the clerks' panels of the
windows serving it, which show no other window's calls), ticket:<id> (a citizen following a
ticket), kiosk:<id> (its print jobs and printers), keypad:<n> (the window's evaluation
keypad), dashboard (managers). Each message carries everything its screen needs, so no client
re-fetches after an event, and goes only where it is shown: every message costs the server a
write to each socket in its rooms.

Several halls may share one database and one Redis message queue (a city's centres): each
room is its hall's, named "<hall id>/window:3", so that hall A's boards never hear hall B's
calls. Clients still subscribe to {"window": 3}: the server adds its hall."""

from __future__ import annotations

from collections.abc import Sequence

from hallq.extensions import socketio
from queue_core.events import (
    AlarmChanged,
    CaseChanged,
    DomainEvent,
    EvaluationClosed,
    EvaluationRequested,
    NoticeChanged,
    PrintDone,
    PrinterState,
    QueueState,
    TicketCalled,
    TicketChanged,
    TicketIssued,
    WindowState,
)

NAMESPACE = "/hall"
# The city dashboard's room: the one room not of one hall (city.live sends it every hall's figures).
CITY_ROOM = "city"


def hall_room(hall_id: int, room: str) -> str:
    return f"{hall_id}/{room}"


def rooms_for(event: DomainEvent) -> list[str]:
    return [hall_room(event.hall_id, room) for room in _rooms(event)]


def _rooms(event: DomainEvent) -> list[str]:
    match event:
        case TicketCalled(window=window, queue=queue, ticket_id=ticket_id):
            return [f"window:{window}", "board:hall", f"queue:{queue}", f"ticket:{ticket_id}", "dashboard"]
        case WindowState(window=window):
            return [f"window:{window}", "board:hall", "dashboard"]
        case QueueState(queue=queue):
            return [f"queue:{queue}", f"queue_load:{queue}", "board:hall", "dashboard"]
        case TicketChanged(ticket_id=ticket_id) | TicketIssued(ticket_id=ticket_id):
            return [f"ticket:{ticket_id}", "dashboard"]
        case PrintDone(kiosk=kiosk, ticket_id=ticket_id):
            return [f"kiosk:{kiosk}", "dashboard"] + ([f"ticket:{ticket_id}"] if ticket_id else [])
        case PrinterState(kiosk=kiosk):
            return [f"kiosk:{kiosk}", "dashboard"]
        case NoticeChanged():
            return ["board:hall", "dashboard"]
        case EvaluationRequested(window=window):
            return [f"keypad:{window}"]  # the keypad alone: no board shows who is rating
        case EvaluationClosed(window=window, ticket_id=ticket_id):
            # The ticket's phone page hears it too: rated on the keypad, it stops offering to rate.
            return [f"keypad:{window}", f"ticket:{ticket_id}", "dashboard"]
        case CaseChanged() | AlarmChanged():
            return ["dashboard"]
    return ["dashboard"]


def publish(events: Sequence[DomainEvent]) -> None:
    """Called by the core's Database after each commit, never for a rollback."""
    for event in events:
        socketio.emit(event.name, event.payload(), to=rooms_for(event), namespace=NAMESPACE)
