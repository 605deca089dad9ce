"""Which rooms of /hall hear each committed domain event.

Rooms: window:<n> (that window's board, panel and keypad), board:hall (hall boards and the LED
bridge), queue:<code> (a citizen's phone page: its queue's calls and load), queue_load:<code>
(its load alone: the clerks' panels of the windows serving it, which show no other window's
calls), ticket:<id> (a citizen following a ticket, joined with its key), kiosk:<id> (its print
jobs and printers), keypad:<n> (the window's evaluation keypad), agent:<id> (a hall PC's
`hallq agent`: the print jobs for its printers), dashboard (managers), alarms:<kind> (the guides' pages: help_requested). Each message carries
everything its screen needs, so no client re-fetches after an event, and goes only where it
is shown: every message costs the server a write to each socket in its rooms.

Several halls may share one database and one Redis message queue (a city's centres): each
room is its hall's, named "<hall id>/window:3", so that hall A's boards never hear hall B's
calls. Clients still subscribe to {"window": 3}: the server adds its hall."""

from __future__ import annotations

from queue_core.events import (
    AdviceChanged,
    AlarmChanged,
    CaseChanged,
    DomainEvent,
    EvaluationClosed,
    EvaluationRequested,
    NoticeChanged,
    PrintDone,
    PrinterState,
    PrintQueued,
    QueueState,
    QueueWaits,
    TicketCalled,
    TicketChanged,
    TicketIssued,
    WindowState,
    WrittenNoticeGiven,
)

NAMESPACE = "/hall"
# The city dashboard's room: the one room not of one hall (hallq.live.city sends it every hall's figures).
CITY_ROOM = "city"


def hall_room(hall_id: int, room: str) -> str:
    return f"{hall_id}/{room}"


# Which rooms hear each event, filled from the event's fields. A room hears only what the
# pages that join it handle (tests/test_live_contract.py reads the pages to keep it so): the
# dashboard draws printer faults and bad ratings from their alarms, and the cases page is read
# when opened.
ROUTES: dict[type[DomainEvent], tuple[str, ...]] = {
    TicketCalled: ("window:{window}", "board:hall", "queue:{queue}", "ticket:{ticket_id}", "dashboard"),
    WindowState: ("window:{number}", "board:hall", "dashboard"),
    QueueState: ("queue:{queue}", "queue_load:{queue}", "board:hall", "dashboard"),
    QueueWaits: ("board:hall",),
    AdviceChanged: ("dashboard",),
    TicketChanged: ("ticket:{ticket_id}", "dashboard"),
    TicketIssued: ("dashboard",),
    PrintDone: ("kiosk:{kiosk}",),
    PrinterState: ("kiosk:{kiosk}",),
    # The agent (hall PC) that drives the job's printer; the server's own jobs ("" agent)
    # go to its stations instead (hallq.printing), not over a socket.
    PrintQueued: ("agent:{agent}",),
    NoticeChanged: ("board:hall",),
    EvaluationRequested: ("keypad:{window}",),  # the keypad alone: no board shows who is rating
    # The ticket's phone page hears it too: rated on the keypad, it stops offering to rate.
    EvaluationClosed: ("keypad:{window}", "ticket:{ticket_id}"),
    CaseChanged: (),
    WrittenNoticeGiven: (),
    # alarms:<kind>: the guides' pages hear the kiosks' 求助 calls (alarms:help_requested).
    AlarmChanged: ("dashboard", "alarms:{kind}"),
}


def rooms_for(event: DomainEvent) -> list[str]:
    """The event's rooms; a room whose field is empty ("agent:" for the server) is nobody's."""
    fields = vars(event)
    rooms = [room.format(**fields) for room in ROUTES[type(event)]]
    return [hall_room(event.hall_id, room) for room in rooms if not room.endswith(":")]
