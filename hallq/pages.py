"""The hall's front page: what is open and who waits, with links to each room."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from queue_core.db import Database, unavailable
from queue_core.hall_calendar import HallCalendar
from queue_core.halls import hall_by_code
from queue_core.models import Window
from queue_core.numbering import service_day

from . import faults
from .present import API_PREFIX
from .present.catalog import queues_out
from .present.windows import windows_out
from .state import current_hall, state

bp = Blueprint("pages", __name__)


WINDOW_STATE_NAMES = {
    "closed": _l("Closed"),
    "idle": _l("Open"),
    "called": _l("Calling"),
    "serving": _l("Serving"),
    "paused": _l("Paused"),
}


@bp.app_context_processor
def _window_state_names() -> dict[str, Any]:
    return {"state_names": WINDOW_STATE_NAMES}


@bp.get("/")
def index() -> Any:
    with state().db.read() as uow:
        hall = current_hall(uow)
        rows = list(
            uow.session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number))
        )
        return render_template(
            "index.html", hall_name=hall.name, queues=queues_out(uow, hall), windows=windows_out(uow, rows)
        )


@bp.get("/pair")
def pair() -> Any:
    """A kiosk's, keypad's or board's browser pairs here with the code a manager made."""
    strings = {
        "six_digits": _("The code has six digits."),
        "wrong": _("This code is wrong, used, or more than 10 minutes old: ask for a new one."),
        "too_many": _("Too many tries: wait a minute, then try again."),
        "not_a_screen": _("This code is for a hall PC: run hallq agent pair on that PC."),
        "unreachable": _("The server cannot be reached: check the network and try again."),
    }
    code = request.args.get("code", "")
    return render_template(
        "pair.html", code=code if code.isdigit() else "", api=API_PREFIX, strings=strings, hall_name=None
    )


@bp.get("/healthz")
def healthz() -> Any:
    """For load balancers and systemd: 200 while the process answers and reaches its database,
    503 (with what went wrong) while it cannot. Without its Redis a process still serves its
    own clients: 200, status "degraded", and why."""
    problem, calendar = _database_problem(state().db, state().hall_code)
    if problem:
        answer = jsonify({"status": "unavailable", "database": f"unavailable: {problem}"})
        return answer, 503, {"Retry-After": str(faults.RETRY_AFTER_SECONDS)}
    full = state().storage.problem
    if full:  # it answers reads, and refuses every write
        answer = jsonify({"status": "unavailable", "database": "ok", "storage": full})
        return answer, 503, {"Retry-After": str(faults.RETRY_AFTER_SECONDS)}
    queue = state().message_queue
    away = queue.check() if queue else None
    if away:
        degraded = {"status": "degraded", "database": "ok", "message_queue": f"unreachable: {away}"}
        return jsonify(degraded | {"calendar": calendar})
    return jsonify(
        {"status": "ok", "database": "ok", "calendar": calendar} | ({"message_queue": "ok"} if queue else {})
    )


# /healthz answers within HEALTH_WAIT_S whatever the database does: its check runs on a thread
# of its own, and a check still waiting (a silent database, until the statement watchdog cuts
# the line) makes the next ones wait their turn behind it and give up in time.
HEALTH_WAIT_S = 1.5
_health_checks = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")


def _database_problem(db: Database, hall_code: str) -> tuple[str | None, str]:
    """(None when the database answers in time, else what went wrong, in one line; what the
    hall's calendar says: "ok", or that a year's holidays are not known). The calendar is
    the statement that proves the database answers."""
    calendar = ["unknown"]

    def ask() -> None:
        with db.read() as uow:  # on the check's own thread: no app context here
            hall = hall_by_code(uow, hall_code)
            year = HallCalendar.of_hall(hall).unknown_year(service_day(hall, uow.now()))
        calendar[0] = f"the official holidays of {year} are not known: see docs/calendar.md" if year else "ok"

    try:
        _health_checks.submit(ask).result(timeout=HEALTH_WAIT_S)
    except FutureTimeout:
        return f"no answer within {HEALTH_WAIT_S} s", calendar[0]
    except (DBAPIError, SQLAlchemyTimeout) as exc:
        if not unavailable(exc):
            raise
        return faults.problem(exc), calendar[0]
    return None, calendar[0]
