"""The hall manager's desk: live dashboard, statistics, reports and administration.
Arrives with the manager issue."""

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")
