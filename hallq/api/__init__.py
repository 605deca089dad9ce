"""The JSON API at /api/v1: the contract for kiosks, boards, panels and other systems. Here are
its views, its request models, its error handling and its OpenAPI document; what it answers
(the output models and the presenters) is hallq.present's, shared with the pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from queue_core.errors import DomainError, Invalid, InvalidState, NotFound, NotPermitted

from ..error_texts import error_response
from ..extensions import csrf
from ..present import API_PREFIX as PREFIX
from .openapi import ApiDoc, PayloadError, Unauthenticated

bp = Blueprint("api", __name__, url_prefix=PREFIX)
doc = ApiDoc(title="Hallq API", version="1.0")
csrf.exempt(bp)  # bearer clients need no CSRF token; session clients are checked below


class TooManyAttempts(DomainError):
    """A device sent too many wrong secrets (guide PINs) in a short time (HTTP 429)."""

    code = "too_many_attempts"


STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    NotPermitted: 403,
    InvalidState: 409,
    Invalid: 422,
    TooManyAttempts: 429,
}


error = error_response  # the API's error answers: code, message and text


@bp.before_request
def _csrf_for_session_writes() -> Any:
    """A browser page calling the API with its login cookie must send its CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if current_user.is_authenticated and not current_user.via_token:
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as exc:
            return error(400, "csrf", f"session requests need the X-CSRFToken header: {exc}")
    return None


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Any:
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 409)
    return error(status, exc.code, exc.message, **exc.details)


@bp.errorhandler(PayloadError)
def _payload_error(exc: PayloadError) -> Any:
    return error(422, "invalid_payload", str(exc), fields=exc.fields)


@bp.errorhandler(Unauthenticated)
def _unauthenticated(_exc: Unauthenticated) -> Any:
    return error(401, "unauthenticated", "log in or send Authorization: Bearer <token>")


def json_http_error(exc: HTTPException) -> Any:
    """Registered app-wide for paths under /api/: even a 404 or 405 answers in JSON, with the
    error's own headers (a 405's Allow: the methods that would do)."""
    body, status = error(
        exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or ""
    )
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return body, status, headers


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(doc.document(PREFIX))


# The views register themselves on bp, and the OpenAPI document lists their paths in this
# order (the kiosks' catalogue and printing before the appointments that print).
# isort: off
from . import administration, alarms, catalog, printing, appointments, audit  # noqa: E402,F401
from . import catalogue_admin, evaluations, hall_map, notices, tokens_admin, staff_admin  # noqa: E402,F401
from . import stats, tickets, windows, agents, pairing, personal_data, calendar, booking  # noqa: E402,F401
from . import waiting_lists, written_notices, plan  # noqa: E402,F401
# isort: on
