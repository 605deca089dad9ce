"""The boards: the window and hall board pages, the voice that announces calls, and the
bridge to serial LED modules (their live messages come from hallq.live)."""

from flask import Blueprint

bp = Blueprint(
    "hall_display", __name__, url_prefix="/board", static_folder="static", template_folder="templates"
)

# The modules register their routes and handlers on bp.
from . import pages, photos, voice  # noqa: E402,F401
