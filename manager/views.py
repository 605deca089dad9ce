"""/manager/: the manager's home. The hall, and how many bad ratings wait for their
follow-up and how many of them are overdue, linking to the case list."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required

from hallq.state import current_hall, state

from . import bp


@bp.get("/")
@login_required
def home() -> Any:
    # Imported here: hallq.api imports manager.reports, so manager's modules are loaded while
    # hallq.api is, and evaluation.cases needs hallq.api complete.
    from evaluation.cases import case_counts, require_manager

    require_manager()
    with state().db.read() as uow:
        hall = current_hall(uow)
        open_count, overdue_count = case_counts(uow, hall)
        return render_template(
            "manager/home.html", hall_name=hall.name, open_count=open_count, overdue_count=overdue_count
        )
