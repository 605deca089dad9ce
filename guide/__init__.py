"""The guides' page (导服台) on a tablet: the kiosks' 求助 calls, live; a ticket issued for
someone, priority included; any ticket looked up. A thin client of /api/v1 and /hall."""

from flask import Blueprint

bp = Blueprint("guide", __name__, url_prefix="/guide", static_folder="static", template_folder="templates")

from . import views  # noqa: E402,F401 - registers the page
