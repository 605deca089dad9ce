"""The push contract against the pages that receive it: every room hears only events that a
page (or bridge) joining it handles, so nothing is sent that no screen uses. Read from the
scripts' own text, so that a handler dropped from a page, or an event routed to a new room,
fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hallq.live.rooms import ROUTES
from hallq.live.subscriptions import KINDS

ROOT = Path(__file__).resolve().parent.parent
EVENTS = {event.name for event in ROUTES}

# Each page script (or bridge) and the kinds of room it subscribes to.
SUBSCRIBERS = {
    "manager/static/dashboard.js": {"dashboard"},
    "hall_display/static/hall_board.js": {"board"},
    "hall_display/static/window_board.js": {"window"},
    "hall_display/led_bridge.py": {"board"},
    "hall_agent/agent.py": {"agent"},
    "evaluation/static/keypad.js": {"window", "keypad"},
    "window_panel/static/panel.js": {"window", "queue_load"},
    "kiosk/static/kiosk.js": {"kiosk"},
    "kiosk/static/phone.js": {"queue", "ticket"},
    "city/static/city.js": {"city"},
    "guide/static/guide.js": {"alarms"},
}


def handled(path: str) -> set[str]:
    """Event names the script handles: handler keys (`ticket_called(p) {`, `alarm: fn`) and
    names given to socket.on / client.on, alone or in a list."""
    text = (ROOT / path).read_text(encoding="utf-8")
    names = "|".join(sorted(EVENTS))
    keys = re.findall(rf"^\s*({names})\s*[(:]", text, re.MULTILINE)
    on = re.findall(rf"\.on\(\s*[\"']({names})[\"']", text)
    listed = [
        name
        for names_listed in re.findall(r"of \[([^\]]*)\]\)\s*socket\.on", text)
        for name in re.findall(r"[\"'](\w+)[\"']", names_listed)
    ]
    return set(keys) | set(on) | set(listed)


def routed(kind: str) -> set[str]:
    """The events the server sends to rooms of this kind."""
    pattern = KINDS[kind].room("{}")  # e.g. "window:{}"
    prefix = pattern.split("{")[0]
    return {
        event.name
        for event, rooms in ROUTES.items()
        if any(room == pattern or (prefix.endswith(":") and room.startswith(prefix)) for room in rooms)
    }


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"city"}))
def test_a_room_hears_only_what_its_pages_handle(kind):
    pages = [path for path, kinds in SUBSCRIBERS.items() if kind in kinds]
    handled_there = set().union(*(handled(path) for path in pages))
    assert routed(kind) <= handled_there, f"{kind}: sent but handled by no page of {pages}"


def test_every_page_handler_is_for_an_event_its_rooms_hear():
    for path, kinds in SUBSCRIBERS.items():
        heard = set().union(*(routed(kind) for kind in kinds))
        assert handled(path) <= heard | {"hall_figures"}, path


def test_the_dashboard_is_sent_exactly_what_it_draws():
    assert routed("dashboard") == handled("manager/static/dashboard.js") == {
        "ticket_issued", "ticket_called", "ticket_changed", "queue_state", "window_state", "alarm", "advice",
    }  # fmt: skip
