"""/manager/admin/…: the hall's administration in the browser. Managers and admins change the
set-up; supervisors (电子监察) see the same pages read-only. Every page is a thin client of the
JSON API (hallq.api.administration and its neighbours) and shows what the API answers, made by
the same presenters (hallq.present): admin.js sends a form as the API's payload, shows the API's
message when it refuses, and offers to undo what it just changed by sending back what the page
showed before."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evaluation.cases import require_manager
from hallq.auth import WEAKNESS_TEXT
from hallq.config_files import PLAN_REMOVAL_REASONS
from hallq.present import API_PREFIX
from hallq.present.administration import department_specs, queue_specs, window_spec
from hallq.present.hall_map import map_out
from hallq.present.windows import windows_out
from hallq.state import current_hall, state
from queue_core.halls import windows_of
from queue_core.models import MANAGERS

from . import bp

# The administration's sections, in the order of its navigation; more register themselves.
SECTIONS: list[tuple[str, Any]] = [
    ("manager.admin_windows", _l("Windows and queues")),
    ("manager.admin_queues", _l("Queues")),
    ("manager.admin_departments", _l("Departments")),
    ("manager.admin_map", _l("Floor plan")),
]


def admin_page(template: str, **context: Any) -> Any:
    """Renders an administration page for a manager, admin or supervisor (403 for others)."""
    require_manager()
    with state().db.read() as uow:
        hall_name = current_hall(uow).name
    setup = {"api": API_PREFIX, "strings": _strings(), **context.pop("setup", {})}
    return render_template(
        template,
        hall_name=hall_name,
        sections=SECTIONS,
        can_change=current_user.has_role(*MANAGERS),
        setup=setup,
        **context,
    )


def _strings() -> dict[str, Any]:
    """The texts admin.js shows, in the manager's language."""
    return {
        "saved": _("Saved."),
        "undo": _("Undo"),
        "undone": _("Undone."),
        "failed": _("Not saved: %(message)s"),
        "offline": _("The server cannot be reached: nothing was changed."),
        "window_queues": _("Window %(window)s now serves %(queues)s."),
        "imported": _("Imported: %(added)s items added, %(updated)s updated."),
        "withdrawn": _("Withdrawn: the kiosks no longer show %(name)s."),
        "published": _("Published: the kiosks show %(name)s again."),
        "token_issued": _("Token issued: copy it now, it is shown only once."),
        "paired": _("Pairing code made: valid for 10 minutes, once."),
        "password_reset": _("Password of %(username)s set."),
        "weak_password": _("Not saved: the password is too weak. It needs:"),
        "weaknesses": {weakness.value: str(text) for weakness, text in WEAKNESS_TEXT.items()},
    }


@bp.get("/admin/")
@login_required
def admin_home() -> Any:
    return redirect(url_for(".admin_windows"))


@bp.get("/admin/windows")
@login_required
def admin_windows() -> Any:
    """Which window serves which queue, as a grid: ticking a box opens the window for that queue
    at once (the two clicks a manager needs for a long queue: this page, then the box)."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        rows = windows_of(uow, hall.id)
        windows, queues = [window_spec(w) for w in rows], queue_specs(uow, hall)
        states = {w.number: w for w in windows_out(uow, rows)}
    return admin_page(
        "manager/admin/windows.html",
        windows=windows,
        queues=queues,
        states=states,
        setup={"windows": {w.number: [ref.model_dump() for ref in w.queues] for w in windows}},
    )


@bp.get("/admin/queues")
@login_required
def admin_queues() -> Any:
    with state().db.read() as uow:
        queues = queue_specs(uow, current_hall(uow))
    return admin_page("manager/admin/queues.html", queues=queues)


@bp.get("/admin/departments")
@login_required
def admin_departments() -> Any:
    with state().db.read() as uow:
        departments = department_specs(uow, current_hall(uow))
    return admin_page("manager/admin/departments.html", departments=departments)


@bp.get("/admin/map")
@login_required
def admin_map() -> Any:
    """The floor plan the kiosks show, which windows it draws, and a new one to upload."""
    with state().db.read() as uow:
        plan = map_out(uow, current_hall(uow), state().map_file, PLAN_REMOVAL_REASONS)
    return admin_page("manager/admin/map.html", plan=plan)
