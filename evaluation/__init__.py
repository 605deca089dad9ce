"""The evaluation keypad and the national five-level 好差评 scale, with follow-up of every
bad rating. Arrives with the evaluation issue."""

from flask import Blueprint

bp = Blueprint("evaluation", __name__, url_prefix="/keypad")
