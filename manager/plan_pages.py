"""/manager/plan: what-if staffing (排班推演). A day type's demand and the plan now (the windows
× queues grid) are drawn on the page; the manager edits the proposed windows per queue and
hour, and plan.js plays both plans through /api/v1/plan/play in chunks of replications (the
progress bar counts them), then draws them side by side."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from evaluation.cases import require_manager
from hallq.state import current_hall, state
from queue_core import planner
from queue_core.numbering import service_day

from . import bp

DAY_TYPES = {
    "today": _l("Today so far"),
    "mon": _l("Mondays of the last 8 weeks"),
    "tue": _l("Tuesdays of the last 8 weeks"),
    "wed": _l("Wednesdays of the last 8 weeks"),
    "thu": _l("Thursdays of the last 8 weeks"),
    "fri": _l("Fridays of the last 8 weeks"),
    "sat": _l("Saturdays of the last 8 weeks"),
    "sun": _l("Sundays of the last 8 weeks"),
}


@bp.get("/plan")
@login_required
def plan() -> Any:
    require_manager()
    day_type = request.args.get("day_type", "today")
    if day_type not in DAY_TYPES:
        day_type = "today"
    with state().db.read() as uow:
        hall = current_hall(uow)
        demand = planner.demand(uow, hall, day_type, service_day(hall, uow.now()))
        current = planner.current_plan(uow, hall, demand.hours)
    return render_template(
        "manager/plan.html",
        hall_name=hall.name,
        day_type=day_type,
        day_types=DAY_TYPES,
        demand=demand,
        current=current,
        setup={
            "day_type": day_type,
            "current": current,
            "hours": list(demand.hours),
            "api": url_for("api.plan_play"),
            "names": {
                "current": _("The plan now"),
                "proposed": _("The proposed plan"),
                "failed": _("Not done: %(message)s"),
            },
        },
    )
