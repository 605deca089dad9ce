"""The hall manager's desk: live dashboard, statistics, reports and administration.
For now its home, /manager/: the hall and the follow-up of bad ratings still to do; the full
dashboard arrives with the manager issue."""

from flask import Blueprint

bp = Blueprint(
    "manager", __name__, url_prefix="/manager", template_folder="templates", static_folder="static"
)

# The modules register their routes on bp.
from . import report_pages, views  # noqa: E402,F401
