"""What an error says to the person in front of the screen: a catalogue of the API's error
codes with translated texts. Every error answer carries its stable `code` (`error`), the
English `message` for integrators and logs, and `text`, the catalogue's text in the request's
language, which is what a page shows. A code with reasons (`why`) has a text per reason where
the person can act on it; an unknown code falls back to its HTTP status's text.

The pages' own error pages (a phone page's unknown ticket, an unknown kiosk, a wrong method)
use the same status texts (`page_error`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import jsonify
from flask_babel import gettext

from queue_core.errors import DomainError

from .i18n import _n

# By code, or "code.why" (the error's `why`, or what it `needs`). Placeholders are filled from the error's details (`_facts`); a text
# whose facts an error lacks is skipped for the next one down.
TEXTS: dict[str, str] = {
    "unauthenticated": _n(
        "This screen is not logged in, or its access was withdrawn. Please ask the hall's staff."
    ),
    "csrf": _n("The page has expired. Please reload it and try again."),
    "password_change_required": _n("Please change your password first."),
    "forbidden": _n("This account or device may not do this."),
    "forbidden.no_remote": _n(
        "This service does not take tickets from the phone: please take one at the hall."
    ),
    "forbidden.guide_pin": _n("A priority ticket needs a guide's PIN."),
    "forbidden.postpone_off": _n("This hall does not move tickets back."),
    "forbidden.own_account": _n(
        "You cannot deactivate your own account or change your own role. Ask another manager or admin."
    ),
    "forbidden.door": _n("Please scan the QR code at the hall's door to say you have arrived."),
    "forbidden.metrics": _n("The metrics are open only to the hall's monitoring server."),
    "not_found": _n("Not found: it may have been removed, or the number is wrong."),
    "method_not_allowed": _n("This action is not possible here."),
    "invalid_state": _n("It has changed meanwhile. Please refresh and try again."),
    "invalid_state.not_waiting": _n("Only a ticket still waiting can be moved back."),
    "invalid_state.last_in_line": _n("Nobody waits behind you: there is no need to move back."),
    "invalid_state.stage": _n("The case has moved to another stage meanwhile. Please refresh the page."),
    "invalid_state.nobody_at_window": _n("Nobody is at the window: call a number first."),
    "invalid_state.no_item": _n("This ticket names no service item: no notice can be given for it."),
    "invalid_state.not_served": _n("This service is not finished yet: rate it once it is done."),
    "invalid_state.already_rated": _n("This service has already been rated: one rating per service."),
    "conflict": _n("Someone changed this at the same moment. Please try again."),
    "queue_closed": _n("This service is not taking tickets now."),
    "queue_closed.break": _n("Lunch break: tickets again from %(time)s."),
    "queue_closed.day_off": _n("The hall is closed today (%(reason)s): no tickets."),
    "queue_closed.not_yet": _n("Not open yet: tickets from %(time)s."),
    "queue_closed.over": _n("This service has closed for today."),
    "queue_closed.outside_sessions": _n("This time is outside the service hours."),
    "queue_closed.no_slot": _n("This time cannot be booked. Please choose another."),
    "quota_reached": _n("This service has given all its tickets for today."),
    "quota_reached.session_quota": _n("This service has given all its tickets for this session."),
    "quota_reached.slot_full": _n("This time has just been fully booked. Please choose another."),
    "limit_reached": _n("This ID number has already taken the tickets allowed for this service today."),
    "limit_reached.already_booked": _n("This ID number already has a booking for this service on that day."),
    "limit_reached.no_show_block": _n(
        "Bookings were not kept several times: booking is possible again from %(day)s."
    ),
    "limit_reached.postponed_once": _n("This ticket has been moved back once already: once only."),
    "limit_reached.remote_limit": _n("This ID number has taken its tickets from the phone for today."),
    "too_early": _n("Check-in opens at %(time)s, 15 minutes before the booked time."),
    "too_late": _n("The booked time is over. Please take a ticket or book again."),
    "invalid_payload": _n("Something entered is not valid. Please check it and try again."),
    "invalid_payload.fields": _n("Please check what was entered in: %(fields)s."),
    "invalid_payload.not_imported": _n("%(file)s: nothing was imported, %(count)s problem(s)."),
    "invalid_payload.note_needed": _n("Every step of a case needs a note: what was found, done or said."),
    "invalid_payload.note_too_long": _n("The note is too long: at most %(limit)s characters."),
    "invalid_payload.comment_too_long": _n("The comment is too long: at most %(limit)s characters."),
    "invalid_payload.unknown_material": _n("A ticked material is not one of this item's materials."),
    "invalid_payload.no_material": _n("Tick at least one missing material."),
    "invalid_payload.refusal_reason": _n("Give the reason for not accepting."),
    "invalid_payload.reason_needed": _n("A bad rating needs at least one reason or a comment."),
    "weak_password": _n("This password is too easy to guess. Please choose a longer one."),
    "too_many_attempts": _n("Too many attempts in a short time. Please wait a moment and try again."),
    "database_unavailable": _n("The system is briefly unavailable. Please try again in a moment."),
    "storage_full": _n("The server's storage is full. Please tell the hall's IT staff."),
}

STATUS_TEXTS: dict[int, str] = {
    400: _n("The request could not be understood. Please reload the page and try again."),
    401: TEXTS["unauthenticated"],
    403: TEXTS["forbidden"],
    404: TEXTS["not_found"],
    405: TEXTS["method_not_allowed"],
    409: TEXTS["invalid_state"],
    413: _n("What was sent is too large."),
    415: _n("What was sent is in a form this server does not read."),
    422: TEXTS["invalid_payload"],
    429: _n("Too many requests. Please wait a moment and try again."),
    500: _n("Something went wrong on the server. Please try again, or ask the hall's staff."),
    503: TEXTS["database_unavailable"],
}

STATUS_TITLES: dict[int, str] = {
    400: _n("Bad request"),
    401: _n("Not logged in"),
    403: _n("Not allowed"),
    404: _n("Not found"),
    405: _n("Not possible here"),
    429: _n("Too many requests"),
    500: _n("Server error"),
    503: _n("Briefly unavailable"),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def error_response(status: int, code: str, message: str, **extra: Any) -> Any:
    """An error answer: its stable code, the English message for integrators and logs, and
    the text a page shows, in the request's language."""
    text = error_text(status, code, extra)
    return jsonify({"error": code, "message": message, "text": text, **extra}), status


def domain_text(exc: DomainError) -> str:
    """What a page shows for a refusal of the hall's rules, in the request's language."""
    return error_text(409, exc.code, exc.details)


def error_text(status: int, code: str, details: Mapping[str, object]) -> str:
    """The text for an error answer, in the request's language."""
    facts = _facts(details)
    why = details.get("why") or details.get("needs") or ("fields" if "fields" in facts else None)
    keys = [f"{code}.{why}"] if why else []
    candidates = [TEXTS.get(key) for key in (*keys, code)] + [STATUS_TEXTS.get(status), STATUS_TEXTS[500]]
    for template in candidates:
        if template is not None and all(name in facts for name in _PLACEHOLDER.findall(template)):
            return gettext(template, **facts) if facts else gettext(template)
    raise AssertionError("STATUS_TEXTS[500] needs no facts")


def page_error(status: int) -> tuple[str, str]:
    """(title, text) of an error page, in the request's language."""
    title = STATUS_TITLES.get(status) or STATUS_TITLES[500 if status >= 500 else 400]
    text = STATUS_TEXTS.get(status) or STATUS_TEXTS[500 if status >= 500 else 400]
    return gettext(title), gettext(text)


def _facts(details: Mapping[str, object]) -> dict[str, str]:
    """The details a text may name: each plain one by its name, and a time of day, a day's
    reason, a date, the fields of a payload that were refused (by their API names)."""
    facts = {
        name: str(value)
        for name, value in details.items()
        if isinstance(value, str | int) and not isinstance(value, bool) and value != ""
    }
    moment = details.get("reopens_at") or details.get("opens_at")
    if isinstance(moment, str) and len(moment) >= 16:
        facts["time"] = moment[11:16]
    if details.get("day_off"):
        facts["reason"] = str(details["day_off"])
    if details.get("blocked_until"):
        facts["day"] = str(details["blocked_until"])
    fields = details.get("fields")
    if isinstance(fields, list) and fields:
        names = [str(f.get("field")) for f in fields if isinstance(f, dict) and f.get("field")]
        if names:
            facts["fields"] = ", ".join(dict.fromkeys(names))
    return facts
