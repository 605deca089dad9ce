"""/city/: the city dashboard. The page renders its frame; the halls and their figures come
over /hall: it subscribes {"city": true} with its login session, draws every hall from the
acknowledged state (queue_core.city) and replaces a hall's row at each `hall_figures`. It
never polls."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from queue_core.models import Role

from . import bp


@bp.get("/")
@login_required
def dashboard() -> Any:
    if not current_user.has_role(Role.CITY):
        abort(403, _("The city dashboard is for the city's supervisors (市级监管)."))
    setup = {
        "language": "en" if get_locale().language == "en" else "zh-CN",
        "strings": {
            "minutes": _("%(n)s min"),
            "none": _("—"),
            "failed": _("Not live: %(message)s"),
        },
    }
    return render_template("city/dashboard.html", setup=setup, hall_name=_("City service halls"))
