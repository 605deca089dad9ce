"""好差评: the window's evaluation keypad (/keypad/<n>, a tablet facing the citizen), the rating
widget it shares with the ticket's phone page, the bridge for physical five-key keypads, and
the managers' follow-up of every bad rating.

The blueprint has no URL prefix: its pages name their own paths (/keypad/<n>, …)."""

from flask import Blueprint

bp = Blueprint(
    "evaluation",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/evaluation/static",
)

# The modules register their routes on bp.
from . import cases, views  # noqa: E402,F401
