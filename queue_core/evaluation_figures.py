"""The 好差评 figures for a period, for the hall and per window, clerk, item and department
(and per queue, the queue the ticket was issued in, for the statistics).

Definitions (each rate is None when its denominator is 0):
- served: services finished (each one has its evaluation);
- rated: rated by the citizen (keypad or phone page); defaulted: given the hall's default level
  (flagged, never counted as rated); unrated: served − rated − defaulted (未评价);
- levels: the citizens' ratings per level, "5" (非常满意) to "1" (非常不满意); defaults excluded;
- good_rate (好评率): (非常满意 + 满意) / rated; bad_count: 不满意 + 非常不满意;
  bad_rate (差评率): bad_count / rated; active_rate (主动评价率): rated / served;
- rectified_rate (差评整改率): closed cases / bad_count; callback_rate (回访率): cases whose
  citizen was called back / bad_count; appeals_upheld: closed as mistaken or malicious.

One grouped query over the period's evaluations and cases; the breakdowns are sums of its rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from .errors import NotFound
from .models import (
    CaseStage,
    Department,
    Evaluation,
    EvaluationCase,
    EvaluationStatus,
    Hall,
    ServiceItem,
    Staff,
    Window,
)
from .spec import LEVELS

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork

GOOD_LEVELS = (5, 4)
BAD_LEVELS = (2, 1)
# breakdown: (model, its key in the answer, its names in the answer)
BREAKDOWNS: dict[str, tuple[Any, str, tuple[str, ...]]] = {
    "window": (Window, "number", ("name",)),
    "staff": (Staff, "username", ("name", "badge")),
    "item": (ServiceItem, "code", ("name",)),
    "department": (Department, "code", ("name",)),
}
# The column of each breakdown in the grouped query (queue: the ticket's queue of issue).
GROUP_KEYS = {
    "window": "window_id",
    "staff": "clerk_id",
    "item": "item_id",
    "department": "department_id",
    "queue": "queue_id",
}
COUNTS = ("served", "rated", "defaulted", *(f"level_{n}" for n in LEVELS), "closed", "called_back", "upheld")


@dataclass
class Figures:
    served: int = 0
    rated: int = 0
    defaulted: int = 0
    levels: dict[str, int] = field(default_factory=lambda: {str(n): 0 for n in LEVELS})
    closed: int = 0
    called_back: int = 0
    upheld: int = 0

    def add(self, row: dict[str, int]) -> None:
        self.served += row["served"]
        self.rated += row["rated"]
        self.defaulted += row["defaulted"]
        for n in LEVELS:
            self.levels[str(n)] += row[f"level_{n}"]
        self.closed += row["closed"]
        self.called_back += row["called_back"]
        self.upheld += row["upheld"]

    def as_dict(self) -> dict[str, Any]:
        bad = sum(self.levels[str(n)] for n in BAD_LEVELS)
        good = sum(self.levels[str(n)] for n in GOOD_LEVELS)
        return {
            "served": self.served,
            "rated": self.rated,
            "unrated": self.served - self.rated - self.defaulted,
            "defaulted": self.defaulted,
            "levels": dict(self.levels),
            "good_rate": _rate(good, self.rated),
            "bad_count": bad,
            "bad_rate": _rate(bad, self.rated),
            "active_rate": _rate(self.rated, self.served),
            "rectified_rate": _rate(self.closed, bad),
            "callback_rate": _rate(self.called_back, bad),
            "appeals_upheld": self.upheld,
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_rated = Evaluation.status == EvaluationStatus.RATED
_RATINGS = (
    func.count().label("served"),
    _count(_rated).label("rated"),
    _count(Evaluation.status == EvaluationStatus.DEFAULTED).label("defaulted"),
    *(_count(_rated & (Evaluation.score == n)).label(f"level_{n}") for n in LEVELS),
)
# The follow-up cases' counts, as statistics also reads them from the cases of rolled-up days.
CASE_FIGURES = (
    _count(EvaluationCase.stage == CaseStage.CLOSED).label("closed"),
    _count(EvaluationCase.called_back.is_(True)).label("called_back"),
    _count(EvaluationCase.resolution == "appeal_upheld").label("upheld"),
)


def tally(
    uow: UnitOfWork,
    hall: Hall,
    first: date,
    last: date,
    *conditions: Any,
    by: tuple[str, ...] = tuple(GROUP_KEYS),
) -> tuple[Figures, dict[str, dict[int | None, Figures]]]:
    """The period's figures for the hall and per breakdown in `by`, each keyed by the
    database id of its group. Two grouped queries, summed here: the ratings (read from their
    covering index) and the cases, which only bad ratings have."""
    keys = [getattr(Evaluation, GROUP_KEYS[name]) for name in by]
    where = (
        Evaluation.hall_id == hall.id,
        Evaluation.service_day.between(first, last),
        *conditions,
    )
    ratings = select(*keys, *_RATINGS).where(*where).group_by(*keys)
    cases = (
        select(*keys, *CASE_FIGURES)
        .select_from(Evaluation)
        .join(EvaluationCase, EvaluationCase.evaluation_id == Evaluation.id)
        .where(*where)
        .group_by(*keys)
    )
    total = Figures()
    groups: dict[str, dict[int | None, Figures]] = {name: defaultdict(Figures) for name in by}
    for query in (ratings, cases):
        for row in uow.session.execute(query).mappings():
            counts = {name: int(row.get(name, 0)) for name in COUNTS}
            total.add(counts)
            for name in by:
                groups[name][row[GROUP_KEYS[name]]].add(counts)
    return total, groups


def summary(
    uow: UnitOfWork,
    hall: Hall,
    first: date,
    last: date,
    *,
    window: int | None = None,
    staff: str | None = None,
    item: str | None = None,
) -> dict[str, Any]:
    """The figures of services on days first..last (inclusive), optionally of one window
    (number), one clerk (username) or one item (code), with the four breakdowns."""
    conditions = []
    if window is not None:
        conditions.append(Evaluation.window_id == _id_of(uow, hall, Window, Window.number, window, "window"))
    if staff is not None:
        conditions.append(Evaluation.clerk_id == _id_of(uow, hall, Staff, Staff.username, staff, "user"))
    if item is not None:
        conditions.append(
            Evaluation.item_id == _id_of(uow, hall, ServiceItem, ServiceItem.code, item, "item")
        )
    total, groups = tally(uow, hall, first, last, *conditions, by=tuple(BREAKDOWNS))
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        **total.as_dict(),
        **{f"by_{name}": _labelled(uow, name, groups[name]) for name in BREAKDOWNS},
    }


def _id_of(uow: UnitOfWork, hall: Hall, model: Any, column: Any, value: object, what: str) -> int:
    found = uow.session.scalar(select(model.id).where(model.hall_id == hall.id, column == value))
    if found is None:
        raise NotFound(f"no {what} {value}")
    return found


def _labelled(uow: UnitOfWork, name: str, by_id: dict[int | None, Figures]) -> list[dict[str, Any]]:
    """Each group's figures under its key and names, in key order; services without one (no
    item chosen, say) come last with null."""
    model, key, names = BREAKDOWNS[name]
    ids = [i for i in by_id if i is not None]
    rows = {row.id: row for row in uow.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}
    result = [
        {name: getattr(row, key), **{n: getattr(row, n) for n in names}, **by_id[row.id].as_dict()}
        for row in sorted(rows.values(), key=lambda row: getattr(row, key))
    ]
    if None in by_id:
        result.append({name: None, **dict.fromkeys(names), **by_id[None].as_dict()})
    return result
