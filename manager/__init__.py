"""The hall manager's desk: the live dashboard (/manager/), statistics and reports, the audit
trail, and the hall's administration (/manager/admin/…)."""

from flask import Blueprint

bp = Blueprint(
    "manager", __name__, url_prefix="/manager", template_folder="templates", static_folder="static"
)

# The modules register their routes on bp.
from . import admin, admin_rooms, plan_pages, report_pages, views  # noqa: E402,F401
