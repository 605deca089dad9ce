"""The touch-screen inquiry kiosk: find a service item, read its public information, take a
ticket. Its pages arrive with the kiosk issue; it speaks to the hall through /api/v1."""

from flask import Blueprint

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")
