"""When what the server stands on is briefly away. A database that cannot be reached or stays
locked answers 503 with Retry-After (JSON under /api/, a short page elsewhere); the request's
transaction has rolled back, and the next request reconnects by itself (SQLAlchemy's
pool_pre_ping on PostgreSQL; SQLite opens its file anew)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, make_response, render_template, request
from sqlalchemy import exc as sa_exc

from queue_core.db import unavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def init_app(app: Flask) -> None:
    app.register_error_handler(sa_exc.DBAPIError, _database_error)
    app.register_error_handler(sa_exc.TimeoutError, _database_error)


def problem(exc: BaseException) -> str:
    """What went wrong in one line, for a log: the driver's own error when there is one."""
    original = getattr(exc, "orig", None) or exc
    first_line = next(iter(str(original).strip().splitlines()), "")
    return f"{original.__class__.__name__}: {first_line}"


def _database_error(exc: sa_exc.SQLAlchemyError) -> Any:
    if not unavailable(exc):
        raise exc  # a bug, not the database being away: Flask's 500 with its traceback in the log
    from .api import PREFIX, error

    log.warning("database unavailable for %s %s: %s", request.method, request.path, problem(exc))
    if request.path.startswith(PREFIX + "/"):
        message = "the database is briefly unavailable: nothing was changed, try again shortly"
        response = make_response(error(503, "database_unavailable", message))
    else:
        response = make_response(render_template("unavailable.html"), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
