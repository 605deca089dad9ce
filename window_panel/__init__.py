"""The clerk's window panel (叫号终端): a thin client of the window actions in /api/v1."""

from flask import Blueprint

bp = Blueprint(
    "window_panel", __name__, url_prefix="/panel", static_folder="static", template_folder="templates"
)

from . import views  # noqa: E402,F401 - registers the pages
