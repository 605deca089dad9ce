"""The boards: the /hall Socket.IO namespace and (with the calling issue) the window and
hall board pages."""

from flask import Blueprint

bp = Blueprint("hall_display", __name__, url_prefix="/board")

from . import namespace  # noqa: E402,F401 - registers the /hall handlers
