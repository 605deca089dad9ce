"""/manager/reports: the statistics of any period as a page with charts and its CSV and XLSX;
/manager/audit: the audit trail (电子监察) with its filters and whether its hash chain holds.

Managers, admins and supervisors may open both (supervisors read everything and change
nothing; neither page changes anything). The report's table is hallq.present.reports.rows() of the
same summary the API answers, so the page, the CSV, the XLSX and the JSON cannot disagree."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from evaluation.cases import require_manager
from hallq.anchoring import newest_anchor
from hallq.present.audit import VerifiedHeads, anchor_state, find_entries
from hallq.present.reports import COLUMNS, rows
from hallq.state import current_hall, state
from queue_core import statistics
from queue_core.audit import EDITED, NOT_FOLLOWING
from queue_core.errors import DomainError, Invalid
from queue_core.numbering import service_day

from . import bp

GROUPINGS = {
    "": _l("Whole hall"),
    "queue": _l("Queue"),
    "item": _l("Service item"),
    "department": _l("Department"),
    "window": _l("Window"),
    "staff": _l("Clerk"),
}
AUDIT_LIMIT = 200  # entries on the page; the filters narrow it down
# What the chain's check (queue_core.audit.verify) found wrong with an entry, as the page says it.
CHAIN_PROBLEMS = {
    NOT_FOLLOWING: _l("it does not follow the entry before it: an entry was deleted or reordered"),
    EDITED: _l("it does not match its hash: it was edited"),
}
RATE_COLUMNS = frozenset(header for header, _read in COLUMNS if header.endswith("率"))


def cell(header: str, value: Any) -> str:
    """How the page shows a value of the table: rates as percentages, nothing as a dash."""
    if value is None or value == "":
        return "—" if value is None else ""
    if header in RATE_COLUMNS:
        return f"{value * 100:.1f}%"
    return str(value)


def raw(value: Any) -> str:
    """A value as the CSV writes it (and the tests compare with the JSON)."""
    return "" if value is None else str(value)


def _dates(today: date) -> tuple[str, str]:
    """The asked period; by default this month so far."""
    first = request.args.get("from", "").strip() or today.replace(day=1).isoformat()
    last = request.args.get("to", "").strip() or today.isoformat()
    return first, last


def _parse(first: str, last: str) -> tuple[date, date]:
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError as exc:
        raise Invalid(_("Not a date: %(error)s", error=exc)) from exc
    if end < start:
        raise Invalid(_("The period ends (%(last)s) before it begins (%(first)s).", last=end, first=start))
    return start, end


def chart_data(summary: dict[str, Any]) -> dict[str, Any]:
    """What reports.js draws: the hall's ratings per level and, when grouped, per group its
    served tickets, mean wait (minutes), service level and good-rating rate."""
    group_by = summary.get("group_by")
    groups = summary.get("groups") or []

    def label(group: dict[str, Any]) -> str:
        key = group[group_by]
        if key is None:
            return _("(none)")
        name = group.get("name")
        return f"{key} {name}" if name and str(key) not in name else (name or str(key))

    def percent(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 1)

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60, 1)

    return {
        "labels": [label(g) for g in groups],
        "served": [g["served"] for g in groups],
        "wait_mean": [minutes(g["wait"]["mean"]) for g in groups],
        "service_level": [percent(g["service_level"]) for g in groups],
        "good_rate": [percent(g["evaluation"]["good_rate"]) for g in groups],
        "levels": [summary["evaluation"]["levels"][str(n)] for n in (5, 4, 3, 2, 1)],
        "names": {
            "served": _("Served"),
            "wait_mean": _("Mean wait (minutes)"),
            "service_level": _("Service level (%)"),
            "good_rate": _("Good-rating rate (%)"),
            "levels": [
                _("Very satisfied"),
                _("Satisfied"),
                _("Fair"),
                _("Dissatisfied"),
                _("Very dissatisfied"),
            ],
        },
    }


@bp.get("/reports")
@login_required
def reports() -> Any:
    require_manager()
    group_by = request.args.get("group_by", "")
    with state().db.read() as uow:
        hall = current_hall(uow)
        first, last = _dates(service_day(hall, uow.now()))
        error, summary = None, None
        try:
            if group_by not in GROUPINGS:
                raise Invalid(_("Unknown grouping: %(name)s", name=group_by))
            start, end = _parse(first, last)
            summary = statistics.summary(uow, hall, start, end, group_by or None)
        except DomainError as exc:
            error = exc.message
        query = {"from": first, "to": last}
        return render_template(
            "manager/reports.html",
            hall_name=hall.name,
            first=first,
            last=last,
            group_by=group_by,
            groupings=GROUPINGS,
            error=error,
            table=list(rows(summary)) if summary else [],
            rate_columns=RATE_COLUMNS,
            cell=cell,
            raw=raw,
            charts=chart_data(summary) if summary else None,
            summary=summary,
            csv_url=url_for("api.stats_csv", **query, **({"group_by": group_by} if group_by else {})),
            xlsx_url=url_for("api.stats_xlsx", **query),
            json_url=url_for("api.stats_summary", **query, **({"group_by": group_by} if group_by else {})),
        )


@bp.get("/audit")
@login_required
def audit() -> Any:
    require_manager()
    filters = {name: request.args.get(name, "").strip() for name in ("from", "to", "actor", "action")}
    with state().db.read() as uow:
        hall = current_hall(uow)
        zone = ZoneInfo(hall.timezone)
        heads = current_app.extensions.setdefault("hallq.audit_heads", VerifiedHeads())
        verdict = heads.verify(uow, hall.id)
        anchor = anchor_state(uow, hall.id, verdict, newest_anchor(state().settings, hall.code))
        error, entries = None, []
        try:
            entries = find_entries(
                uow,
                hall,
                first=filters["from"] or None,
                last=filters["to"] or None,
                actor=filters["actor"] or None,
                action=filters["action"] or None,
                limit=AUDIT_LIMIT,
            )
        except DomainError as exc:
            error = exc.message
        return render_template(
            "manager/audit.html",
            hall_name=hall.name,
            verdict=verdict,
            problem=CHAIN_PROBLEMS.get(verdict.problem, verdict.problem),
            anchor=anchor,
            broken_at=verdict.broken.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
            if verdict.broken
            else "",
            entries=entries,
            limit=AUDIT_LIMIT,
            filters=filters,
            error=error,
            local=lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            events=lambda entry: ", ".join(e.get("event", "") for e in entry.detail.get("events", [])),
            as_json=lambda detail: json.dumps(detail, ensure_ascii=False, indent=1, sort_keys=True),
        )
