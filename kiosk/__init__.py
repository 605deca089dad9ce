"""The touch-screen inquiry kiosk (触摸查询机 / 取号机): find a service item, read its public
information, take a ticket; and the citizen's phone page that follows the ticket. The pages
are thin clients of /api/v1."""

from flask import Blueprint

bp = Blueprint(
    "kiosk", __name__, template_folder="templates", static_folder="static", static_url_path="/kiosk/static"
)

from . import views, voice  # noqa: E402,F401 - the routes register themselves on bp
