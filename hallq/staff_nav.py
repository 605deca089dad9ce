"""One navigation bar for every staff page: the places a person's role works in, in the
order of their day, in the bar of base.html. A place is listed only to the roles its page
lets in, so the bar never offers a 403."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from queue_core.models import OVERSIGHT, Role

bp = Blueprint("staff_nav", __name__)

# (endpoint, label, the roles it is for, the endpoints that are part of it: their prefix)
PLACES: list[tuple[str, Any, tuple[Role, ...], str]] = [
    ("window_panel.choose_window", _l("My window"), (Role.CLERK,), "window_panel."),
    ("guide.desk", _l("Guide's desk"), (Role.GUIDE, Role.MANAGER, Role.ADMIN), "guide."),
    ("manager.home", _l("Live dashboard"), OVERSIGHT, "manager.home"),
    ("manager.reports", _l("Statistics"), OVERSIGHT, "manager.reports"),
    ("manager.plan", _l("What-if staffing"), OVERSIGHT, "manager.plan"),
    ("evaluation.case_list", _l("Follow-up of bad ratings"), OVERSIGHT, "evaluation.case"),
    ("manager.admin_home", _l("Administration"), OVERSIGHT, "manager.admin_"),
    ("manager.audit", _l("Audit trail"), OVERSIGHT, "manager.audit"),
    ("city.dashboard", _l("City overview"), (Role.CITY,), "city."),
]


def places_for(role: str) -> list[tuple[str, str, bool]]:
    """The bar of someone in this role: (address, label, whether the page shown is part of it)."""
    here = request.endpoint or ""
    return [
        (url_for(endpoint), str(label), here.startswith(part))
        for endpoint, label, roles, part in PLACES
        if role in roles
    ]


@bp.app_context_processor
def _staff_places() -> dict[str, Any]:
    user = current_user
    role = getattr(user, "role", None) if user and user.is_authenticated else None
    return {"staff_places": places_for(role) if role and role != "device" else []}
