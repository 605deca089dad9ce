"""/manager/: the manager's live dashboard. Per queue the waiting count, longest and expected
wait; per window its state, clerk and services today; the hall's day; the alarms (超时预警)
with their 确认 button; the charts; and the follow-up of bad ratings still to do.

The page renders its frame and the follow-up counts; everything live comes over /hall: the
page subscribes {"dashboard": true} with its login session, draws the acknowledged state
(queue_core.dashboard) and then applies each event as it comes. It never polls."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evaluation.cases import LEVEL_NAMES, case_counts, require_manager
from hallq.pages import WINDOW_STATE_NAMES
from hallq.present import API_PREFIX
from hallq.state import current_hall, state
from queue_core import alarms
from queue_core.hall_calendar import HallCalendar
from queue_core.models import MANAGERS, AlarmKind, TicketStatus
from queue_core.numbering import service_day

from . import bp

ALARM_NAMES = {
    AlarmKind.WAIT_OVER_TARGET: _l("Waiting over target"),
    AlarmKind.QUEUE_OVERLOADED: _l("Queue overloaded"),
    AlarmKind.PAUSE_TOO_LONG: _l("Paused too long"),
    AlarmKind.SERVICE_TOO_LONG: _l("Service too long"),
    AlarmKind.PRINTER_FAULT: _l("Printer fault"),
    AlarmKind.BAD_RATING: _l("Bad rating"),
    AlarmKind.INVARIANT_BROKEN: _l("Window stuck"),
    AlarmKind.STORAGE_FULL: _l("Disk full"),
    AlarmKind.HELP_REQUESTED: _l("Help requested"),
}
TICKET_STATUS_NAMES = {
    TicketStatus.WAITING: _l("waiting"),
    TicketStatus.CALLED: _l("called"),
    TicketStatus.SERVING: _l("being served"),
    TicketStatus.FINISHED: _l("finished"),
    TicketStatus.NO_SHOW: _l("absent"),
    TicketStatus.CANCELLED: _l("cancelled"),
    TicketStatus.REMOTE: _l("taken remotely, not here yet"),
}


@bp.get("/")
@login_required
def home() -> Any:
    require_manager()
    with state().db.read() as uow:
        hall = current_hall(uow)
        open_count, overdue_count = case_counts(uow, hall)
        unknown_year = HallCalendar.of_hall(hall).unknown_year(service_day(hall, uow.now()))
    setup = {
        "api": API_PREFIX,
        "canAcknowledge": current_user.has_role(*MANAGERS),
        "escalateCount": alarms.ESCALATE_COUNT,
        "escalateMinutes": alarms.ESCALATE_MINUTES,
        "english": get_locale().language == "en",  # queue names in English too
        "language": "en" if get_locale().language == "en" else "zh-CN",
        "timezone": state().spec.hall.timezone,
        "stateNames": {name: str(label) for name, label in WINDOW_STATE_NAMES.items()},
        "alarmNames": {kind.value: str(label) for kind, label in ALARM_NAMES.items()},
        "levelNames": {str(score): str(label) for score, label in LEVEL_NAMES.items()},
        "ticketStatusNames": {status.value: str(label) for status, label in TICKET_STATUS_NAMES.items()},
        "strings": _strings(),
    }
    return render_template(
        "manager/dashboard.html",
        hall_name=hall.name,
        open_count=open_count,
        overdue_count=overdue_count,
        unknown_year=unknown_year,
        setup=setup,
    )


def _strings() -> dict[str, str]:
    """The texts the dashboard's script shows, in the manager's language."""
    return {
        "minutes": _("%(n)s min"),
        "hours_minutes": _("%(h)s h %(m)s min"),
        "none": _("—"),
        "since": _("since %(time)s"),
        "serving_whom": _("%(number)s since %(time)s"),
        "paused_reason": _("%(reason)s since %(time)s"),
        "acknowledge": _("Acknowledge (确认)"),
        "acknowledged": _("Acknowledged by %(name)s at %(time)s"),
        "cleared": _("Cleared at %(time)s"),
        "raised": _("Raised at %(time)s"),
        "incident_since": _("%(n)s alarms since %(time)s"),
        "acknowledge_all": _("Acknowledge all: %(kind)s (%(n)s)"),
        "escalated": _("Escalated: growing or lasting"),
        "advice_move": _(
            "%(window)s could serve %(queue)s %(queue_name)s too: expected wait %(before)s → %(after)s min (%(low)s–%(high)s)"
        ),
        "advice_no_window": _("no window open"),
        "advice_apply": _("Apply"),
        "advice_done": _("%(window)s now serves %(queue)s too."),
        "advice_undone": _("Undone: the window serves what it served before."),
        "undo": _("Undo"),
        "no_alarms": _("No alarms today."),
        "failed": _("Not done: %(message)s"),
        "arrivals": _("Arrivals today"),
        "calls": _("Calls today"),
        "usual_arrivals": _("Arrivals, usual for this weekday"),
        "usual_calls": _("Calls, usual for this weekday"),
        # The alarms, from their figures (queue_core.alarms writes them in Chinese too).
        "wait_over_target": _(
            "%(number)s has waited %(minutes)s min, over the %(target)s min target of %(queue_name)s"
        ),
        "queue_overloaded": _("%(queue_name)s (%(queue)s): %(waiting)s waiting for %(windows)s open windows"),
        "queue_no_window": _("%(queue_name)s (%(queue)s): %(waiting)s waiting and no window open"),
        "pause_too_long": _("%(window_name)s paused (%(reason)s) for %(minutes)s min"),
        "service_too_long": _(
            "%(window_name)s: %(number)s in service for %(minutes)s min, over %(factor)s× the usual %(usual_minutes)s min"
        ),
        "printer_fault": _("Printer %(printer)s of kiosk %(kiosk)s: %(status)s"),
        "bad_rating": _("%(number)s at %(window_name)s (%(clerk)s) rated %(level)s: %(reasons)s"),
        "invariant_broken": _(
            "Window %(window)s still shows %(ticket)s, which is %(status)s: it cannot call again until reset"
        ),
        "invariant_ticket": _("%(ticket)s is %(status)s but at no window or at several: %(windows)s"),
        "storage_full": _("The server's disk is full: every write fails until the IT office makes room"),
        "reset": _("Reset window"),
        "reset_reason": _("Why reset this window? (kept in the audit log)"),
        "reset_done": _("Window %(window)s reset"),
    }
