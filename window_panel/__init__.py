"""The clerk's window panel (叫号终端): a thin client of the window actions in /api/v1.
Its page arrives with the calling issue."""

from flask import Blueprint

bp = Blueprint("window_panel", __name__, url_prefix="/panel")
