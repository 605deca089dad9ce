"""The hall's statistics as JSON, CSV and XLSX: the same summary in three forms."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response

from queue_core import statistics
from queue_core.models import OVERSIGHT

from ..present.reports import GROUP_NAMES, HALL, ReportHeading, as_csv, as_xlsx
from ..present.stats import StatsSummaryOut
from ..state import current_hall, state
from . import bp, doc
from .schemas import StatsQuery, period


def _summaries(
    query: StatsQuery, every_breakdown: bool = False
) -> tuple[ReportHeading, dict[str, dict[str, Any]]]:
    """The period's heading and its summaries: grouped as asked, or (for a workbook without a
    grouping) the hall and every breakdown. A read writes nothing: days not rolled up yet
    (the sweeper and `hallq rollups build` do that) are read from their rows, to the same
    figures."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        first, last = period(uow, hall, query)
        groupings = (
            [query.group_by] if query.group_by or not every_breakdown else [None, *statistics.GROUPINGS]
        )
        found = {
            GROUP_NAMES.get(g, HALL) if g else HALL: figures
            for g, figures in statistics.summaries(uow, hall, first, last, groupings).items()
        }
        generated = uow.now().astimezone(ZoneInfo(hall.timezone))
    return ReportHeading(hall.name, first, last, generated), found


def _attachment(heading: ReportHeading, suffix: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="hallq-stats-{heading.first}_{heading.last}.{suffix}"'
    }


@doc.operation(
    bp,
    "/stats/summary",
    "GET",
    summary="The hall's figures for a period, optionally per queue, item, department, window or clerk",
    tag="statistics",
    roles=OVERSIGHT,
    query=StatsQuery,
    responses={200: ("The figures", StatsSummaryOut), 422: ("A bad date or grouping", None)},
)
def stats_summary(query: StatsQuery) -> StatsSummaryOut:
    _heading, found = _summaries(query)
    return StatsSummaryOut.model_validate(next(iter(found.values())))


@doc.operation(
    bp,
    "/stats/export.csv",
    "GET",
    summary="The same figures as CSV (UTF-8, Chinese headers, durations in minutes)",
    tag="statistics",
    roles=OVERSIGHT,
    query=StatsQuery,
    responses={200: ("text/csv: one row per group, then the hall's (合计)", None)},
)
def stats_csv(query: StatsQuery) -> Response:
    heading, found = _summaries(query)
    return Response(
        as_csv(next(iter(found.values()))), mimetype="text/csv", headers=_attachment(heading, "csv")
    )


@doc.operation(
    bp,
    "/stats/export.xlsx",
    "GET",
    summary="The same figures as an Excel workbook: one sheet per breakdown with its title rows and totals, and a sheet of charts",
    tag="statistics",
    roles=OVERSIGHT,
    query=StatsQuery,
    responses={200: ("The workbook", None)},
)
def stats_xlsx(query: StatsQuery) -> Response:
    heading, found = _summaries(query, every_breakdown=True)
    return Response(
        as_xlsx(found, heading),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_attachment(heading, "xlsx"),
    )
