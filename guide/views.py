"""/guide/: the guide's desk. The page renders its frame and what its script needs to draw
(the kiosks that can print, the names of priorities, statuses and steps, its texts in the
guide's language); the help calls come over /hall ({"alarms": "help_requested"}), tickets
from the API."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hallq.present import API_PREFIX
from hallq.present.hall_map import clean_floor_plan, drawn_kiosks
from hallq.state import current_hall, state
from manager.views import TICKET_STATUS_NAMES
from queue_core.models import GUIDES, Priority, TicketEventKind

from . import bp

# What a guide may issue: the green channel's four reasons (appointments come from check-in).
PRIORITY_NAMES = {
    Priority.SENIOR: _l("Senior citizen"),
    Priority.DISABLED: _l("Person with a disability"),
    Priority.MILITARY: _l("Serviceman or veteran"),
    Priority.GREEN_CHANNEL: _l("Urgent case (green channel)"),
}
STEP_NAMES = {
    TicketEventKind.ISSUED: _l("Issued"),
    TicketEventKind.CALLED: _l("Called"),
    TicketEventKind.RECALLED: _l("Called again"),
    TicketEventKind.STARTED: _l("Service started"),
    TicketEventKind.FINISHED: _l("Finished"),
    TicketEventKind.NO_SHOW: _l("Absent"),
    TicketEventKind.REQUEUED: _l("Back in the queue"),
    TicketEventKind.TRANSFERRED: _l("Transferred"),
    TicketEventKind.CANCELLED: _l("Cancelled"),
    TicketEventKind.ARRIVED: _l("Arrived"),
    TicketEventKind.POSTPONED: _l("Moved back a few places"),
}


@bp.get("/")
@login_required
def desk() -> Any:
    if not current_user.has_role(*GUIDES):
        abort(403)
    kiosks = [
        {"id": k.id, "name": k.name or k.id}
        for k in state().spec.kiosks
        if k.id in state().printing.kiosk_printers
    ]
    with state().db.read() as uow:
        hall = current_hall(uow)
        plan = clean_floor_plan(hall, state().map_file)
    setup = {
        "api": API_PREFIX,
        "me": current_user.id,
        "language": "en" if get_locale().language == "en" else "zh-CN",
        "timezone": state().spec.hall.timezone,
        "kiosks": kiosks,
        "guidePrinter": state().spec.hall.guide_printer,
        "phoneQr": url_for("kiosk.phone_qr", key="KEY"),
        # The kiosks the floor plan draws (id="kiosk-K1"): a call from one shows where it is.
        "kioskPlan": url_for("kiosk.hall_map", kiosk="KIOSK"),
        "kiosksOnPlan": sorted(drawn_kiosks(plan)) if plan else [],
        "priorityNames": {p.value: str(name) for p, name in PRIORITY_NAMES.items()},
        "statusNames": {status.value: str(name) for status, name in TICKET_STATUS_NAMES.items()},
        "stepNames": {kind.value: str(name) for kind, name in STEP_NAMES.items()},
        "strings": _strings(),
    }
    return render_template("guide/desk.html", setup=setup, hall_name=hall.name)


def _strings() -> dict[str, str]:
    """The texts the page's script shows, in the guide's language."""
    return {
        "waited": _("waiting for %(n)s min"),
        "just_now": _("just now"),
        "answer": _("I'll go (我去处理)"),
        "where": _("Where %(kiosk)s stands in the hall"),
        "no_calls": _("No kiosk is calling for help."),
        "answered": _("You answered the call at %(kiosk)s."),
        "no_items": _("No service matches."),
        "normal": _("Normal"),
        "issued": _("Ticket %(number)s issued: %(n)s ahead."),
        "printing": _("Printing at %(kiosk)s."),
        "no_print": _("Not printed: show the QR code to the citizen's phone."),
        "ahead": _("%(n)s ahead"),
        "windows": _("Windows: %(windows)s"),
        "by": _("%(name)s (badge %(badge)s)"),
        "at_window": _("at %(window)s"),
        "cancelled": _("Ticket %(number)s cancelled."),
        "requeued": _("Ticket %(number)s is back in its queue."),
        "confirm_cancel": _("Cancel ticket %(number)s?"),
        "status_label": _("Status"),
        "queue_label": _("Queue"),
        "item_label": _("Service"),
        "priority_label": _("Priority"),
        "ahead_label": _("Ahead of it"),
        "window_label": _("Windows"),
        "failed": _("Not done: %(message)s"),
        "offline": _("The server cannot be reached: the help calls may be out of date."),
    }
