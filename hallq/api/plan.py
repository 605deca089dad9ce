"""What-if staffing (排班推演): a day type's demand from the hall's history, the current plan
from the windows × queues grid, and any plan played on that demand (queue_core.planner).
Read-only: nothing is written."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from cachetools import TTLCache
from flask import current_app

from queue_core import UnitOfWork, planner
from queue_core.models import OVERSIGHT, Hall
from queue_core.numbering import service_day

from ..state import current_hall, state
from . import bp, doc
from .schemas import PlanPlay, PlanQuery

_DEMAND_LOCK = threading.Lock()


def _demand(uow: UnitOfWork, hall: Hall, day_type: str) -> planner.Demand:
    """The page plays its two plans in ten requests on one day type's demand: this app reads
    it once a minute, not ten times (a weekday's is eight days of tickets)."""
    cache: TTLCache[tuple[int, str, date], planner.Demand] = current_app.extensions.setdefault(
        "hallq.plan_demand", TTLCache(maxsize=32, ttl=60)
    )
    key = (hall.id, day_type, service_day(hall, uow.now()))
    with _DEMAND_LOCK:
        found = cache.get(key)
    if found is None:
        found = planner.demand(uow, hall, day_type, key[2])
        with _DEMAND_LOCK:
            cache[key] = found
    return found


@doc.operation(
    bp,
    "/plan/demand",
    "GET",
    summary="A day type's demand per queue and hour, and the current plan",
    tag="statistics",
    roles=OVERSIGHT,
    query=PlanQuery,
    responses={
        200: ("The days it stands for, the hours, each queue's arrivals per hour and the plan now", None)
    },
)
def plan_demand(query: PlanQuery) -> dict[str, Any]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = _demand(uow, hall, query.day_type)
        return {
            "day_type": found.day_type,
            "days": [day.isoformat() for day in found.days],
            "hours": list(found.hours),
            "queues": [
                {
                    "code": q.code,
                    "name": q.name,
                    "target_minutes": q.target_minutes,
                    "arrivals": {hour: round(rate, 1) for hour, rate in q.arrivals.items()},
                    "handled": len(q.handling),
                }
                for q in found.queues
            ],
            "current": planner.current_plan(uow, hall, found.hours),
        }


@doc.operation(
    bp,
    "/plan/play",
    "POST",
    summary="Play a staffing plan on a day type's demand",
    tag="statistics",
    roles=OVERSIGHT,
    body=PlanPlay,
    responses={200: ("Per hour and for the day: waits, service level and utilisation", None)},
)
def plan_play(body: PlanPlay) -> dict[str, Any]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = _demand(uow, hall, body.day_type)
    return planner.play(found, body.windows(), body.replications, body.seed)
