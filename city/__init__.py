"""The city dashboard (/city/, 市级监管): every hall sharing the database, live, for the city's
supervisors. It reads and changes nothing of any hall."""

from flask import Blueprint

bp = Blueprint("city", __name__, url_prefix="/city", static_folder="static", template_folder="templates")

from . import views  # noqa: E402,F401 - registers the page
