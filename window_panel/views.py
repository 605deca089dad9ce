"""/panel: a clerk picks their window; /panel/<n>: the panel of that window."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from hallq.pages import WINDOW_STATE_NAMES
from hallq.present import API_PREFIX
from hallq.present.windows import windows_out
from hallq.printing import PRIORITY_LABELS
from hallq.state import current_hall, state
from queue_core.desk import WAITING_LIST_LIMIT
from queue_core.errors import NotFound
from queue_core.halls import queues_of, window_by_number, windows_of
from queue_core.models import Outcome
from queue_core.written_notices import TITLES

from . import bp


@bp.get("/")
@login_required
def choose_window() -> Any:
    """The clerk's own window if they are signed in to one, else every window to pick from."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        rows = windows_of(uow, hall.id)
        own = [w.number for w in rows if w.clerk_id == current_user.id]
        if own:
            return redirect(url_for(".panel", number=own[0]))
        return render_template(
            "window_panel/choose.html", hall_name=hall.name, windows=windows_out(uow, rows)
        )


@bp.get("/<int:number>")
@login_required
def panel(number: int) -> Any:
    spec = state().spec
    with state().db.read() as uow:
        hall = current_hall(uow)
        try:
            window = window_by_number(uow, hall.id, number)
        except NotFound as exc:
            abort(404, exc.message)
        queues, windows = queues_of(uow, hall.id), windows_of(uow, hall.id)
    setup = {
        "window": number,
        "api": API_PREFIX,
        "me": current_user.id,
        "requeueNoShow": spec.hall.requeue_no_show,
        "queues": [{"code": q.code, "name": q.name} for q in queues],
        "windows": [{"number": w.number, "name": w.name} for w in windows if w.number != number],
        "pauseReasons": [{"value": value, "label": str(label)} for value, label in PAUSE_REASONS.items()],
        "outcomes": [{"value": o.value, "label": str(OUTCOME_LABELS[o])} for o in Outcome],
        "windowQueues": [link.queue.code for link in window.queue_links],
        "stateNames": {state: str(name) for state, name in WINDOW_STATE_NAMES.items()},
        "priorityNames": PRIORITY_LABELS,
        "waitingLimit": WAITING_LIST_LIMIT,
        "noticeTitles": {kind.value: title for kind, title in TITLES.items()},
        "strings": _strings(),
    }
    return render_template("window_panel/panel.html", setup=setup, window=window, hall_name=hall.name)


OUTCOME_LABELS = {
    Outcome.COMPLETED: _l("Completed"),
    Outcome.SUPPLEMENT: _l("Materials to supplement"),
    Outcome.REJECTED: _l("Not accepted"),
    Outcome.CONSULTATION: _l("Consultation only"),
}
# Stored and shown on the window's board as the hall says them.
PAUSE_REASONS = {
    "休息": _l("Break"),
    "会议": _l("Meeting"),
    "外出": _l("Out"),
    "系统故障": _l("System failure"),
}


def _strings() -> dict[str, str]:
    """The texts the panel's script shows, in the clerk's language."""
    return {
        "idle": _("Nobody called. Press 叫号 (N) to call the next citizen."),
        "nobody": _("Nobody is waiting for this window."),
        "finish_first": _(
            "%(number)s is still at the window: finish it (F), mark it absent (X) or transfer it (T) first."
        ),
        "closed": _("You are not signed in to this window."),
        "taken_by": _("Signed in here: %(name)s (%(badge)s)."),
        "paused": _("Paused: %(reason)s. Press 恢复 (P) to resume."),
        "waited": _("waited %(n)d min"),
        "serving_for": _("serving for %(n)d min"),
        "minutes": _("%(n)d min"),
        "nobody_waits": _("none"),
        "sent_here": _("Sent to this window"),
        "failed": _("Not done: %(message)s"),
        "offline": _("The server cannot be reached: your last action may not have been saved."),
        "seconds_avg": _("%(n)d min %(s)02d s"),
        "not_now": _("Not possible now."),
        "call_this": _("Call %(number)s"),
        "notice_printing": _("%(title)s %(number)s is printing. It is kept with the ticket."),
        "notice_kept": _(
            "%(title)s %(number)s is kept with the ticket; no printer is set for this window's notices."
        ),
        "notice_not_printed": _(
            "%(title)s %(number)s is kept with the ticket, but its printer is out of order: please tell the hall manager."
        ),
    }
