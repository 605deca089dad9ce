"""The boards: the /hall Socket.IO namespace, the window and hall board pages, the voice
that announces calls, and the bridge to serial LED modules."""

from flask import Blueprint

bp = Blueprint(
    "hall_display", __name__, url_prefix="/board", static_folder="static", template_folder="templates"
)

from . import namespace  # noqa: E402,F401 - registers the /hall handlers
from . import voice  # noqa: E402,F401 - the voice clips route and voice_setup() for templates
from .pages import hall_board, window_board  # noqa: E402,F401 - the board pages register their routes
