"""/manager/reports: the statistics of any period as a page with charts and its CSV and XLSX;
/manager/reports/print: the day's or the month's report (日报, 月报) to print on A4;
/manager/audit: the audit trail (电子监察) with its filters and whether its hash chain holds.

Managers, admins and supervisors may open both (supervisors read everything and change
nothing; neither page changes anything). The report's table is hallq.present.reports.rows() of the
same summary the API answers, so the page, the CSV, the XLSX and the JSON cannot disagree."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from evaluation.cases import require_manager
from hallq.anchoring import newest_anchor
from hallq.present.audit import VerifiedHeads, anchor_state, count_entries, find_entries
from hallq.present.reports import COLUMNS, COUNTS, EFFICIENCY, HANDLING, RATINGS, WAITING, Column, rows
from hallq.state import current_hall, state
from queue_core import statistics
from queue_core.audit import EDITED, NOT_FOLLOWING
from queue_core.errors import DomainError, Invalid
from queue_core.models import Staff
from queue_core.numbering import FIRST_DAY, LAST_DAY, service_day

from . import bp
from .audit_words import ACTIONS, HOUSEKEEPING, action_name, actor_name, what_happened

GROUPINGS = {
    "": _l("Whole hall"),
    "queue": _l("Queue"),
    "item": _l("Service item"),
    "department": _l("Department"),
    "window": _l("Window"),
    "staff": _l("Clerk"),
}
# The page's views of the table: the main figures fit a 1366-px screen; each column group, or
# every column at once, is one click away.
VIEWS = {
    "main": _l("Main figures"),
    COUNTS: _l("Tickets"),
    WAITING: _l("Waiting"),
    HANDLING: _l("Handling"),
    EFFICIENCY: _l("Efficiency"),
    RATINGS: _l("Ratings"),
    "all": _l("All columns"),
}
# What each figure means, on the page itself (docs/statistics.md says it at length).
DEFINITIONS = {
    "取号数": _l("Every ticket taken in the period."),
    "办结数": _l("Tickets finished at a window, whatever the outcome."),
    "过号数": _l("Tickets called whose holder never came."),
    "取消数": _l("Tickets cancelled by the citizen or a guide, or left unserved at the end of their day."),
    "转移数": _l("Tickets moved to another queue or window at least once."),
    "平均等候(分钟)": _l("Minutes from taking the ticket to its last call, averaged over called tickets."),
    "等候中位数(分钟)": _l("The middle wait: half waited less, half longer."),
    "等候P90(分钟)": _l("Nine in ten called tickets waited at most this long."),
    "最长等候(分钟)": _l("The longest wait of the period."),
    "平均办理(分钟)": _l("Minutes from the start of service to its finish, averaged over served tickets."),
    "办理中位数(分钟)": _l("The middle handling time: half took less, half longer."),
    "办理P90(分钟)": _l("Nine in ten services took at most this long."),
    "最长办理(分钟)": _l("The longest service of the period."),
    "服务达标率": _l("The share of called tickets called within their queue's target wait."),
    "每小时办结": _l("Tickets served per hour the hall (or the window, or the clerk) was open."),
    "窗口利用率": _l("Time spent serving over the time open, for the hall, a window or a clerk."),
    "一次性告知书数(补正)": _l(
        "One-time notices of missing materials the windows printed: how often citizens were sent to supplement."
    ),
    "一次告知率": _l(
        "Of the services finished as 补正材料 (items that list materials), the share given a 一次性告知书."
    ),
    "不予受理告知书数": _l("Notices of non-acceptance the windows printed."),
    "好评率": _l("Ratings of satisfied or very satisfied, over the services rated."),
    "差评数": _l("Ratings of dissatisfied or very dissatisfied."),
    "差评率": _l("Bad ratings over the services rated."),
    "主动评价率": _l("Services the citizen rated, over the services finished."),
    "整改率": _l("Bad ratings whose follow-up was rectified, over the bad ratings."),
    "回访率": _l("Bad ratings whose citizen was called back, over the bad ratings."),
}
AUDIT_LIMIT = 200  # entries on the page; the filters narrow it down
# What the chain's check (queue_core.audit.verify) found wrong with an entry, as the page says it.
CHAIN_PROBLEMS = {
    NOT_FOLLOWING: _l("it does not follow the entry before it: an entry was deleted or reordered"),
    EDITED: _l("it does not match its hash: it was edited"),
}
UNITS = {column.header: column.unit for column in COLUMNS}


def columns_of(view: str) -> list[Column]:
    """The columns a view of the table shows."""
    if view == "all":
        return COLUMNS
    if view == "main":
        return [column for column in COLUMNS if column.main]
    return [column for column in COLUMNS if column.group == view]


def cell(header: str, value: Any) -> str:
    """How the page shows a value of the table: rates as percentages, minutes with one
    decimal, nothing as a dash."""
    if value is None or value == "":
        return "—" if value is None else ""
    unit = UNITS.get(header)
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit in ("minutes", "per_hour"):
        return f"{value:.1f}"
    return str(value)


def raw(value: Any) -> str:
    """A value as the CSV writes it (and the tests compare with the JSON)."""
    return "" if value is None else str(value)


def _dates(today: date) -> tuple[str, str]:
    """The asked period; by default this month so far."""
    first = request.args.get("from", "").strip() or today.replace(day=1).isoformat()
    last = request.args.get("to", "").strip() or today.isoformat()
    return first, last


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(
            _("「%(text)s」 is not a date: write it as year-month-day, e.g. 2026-12-01.", text=text)
        ) from exc


def _parse(first: str, last: str) -> tuple[date, date]:
    start, end = _day(first), _day(last)
    if end < start:
        raise Invalid(_("The period ends (%(last)s) before it begins (%(first)s).", last=end, first=start))
    if start < FIRST_DAY or end > LAST_DAY:
        raise Invalid(_("A period lies between %(first)s and %(last)s.", first=FIRST_DAY, last=LAST_DAY))
    return start, end


def chart_data(summary: dict[str, Any]) -> dict[str, Any]:
    """What reports.js draws: the hall's ratings per level and, when grouped, per group its
    served tickets, mean wait (minutes), service level and good-rating rate."""
    group_by: Any = summary.get("group_by")  # a key of each group (read when there are groups)
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
    view = request.args.get("view", "main")
    with state().db.read() as uow:
        hall = current_hall(uow)
        first, last = _dates(service_day(hall, uow.now()))
        error, summary = None, None
        try:
            if group_by not in GROUPINGS:
                raise Invalid(_("Unknown grouping: %(name)s", name=group_by))
            if view not in VIEWS:
                raise Invalid(_("Unknown view of the table: %(name)s", name=view))
            start, end = _parse(first, last)
            summary = statistics.summary(uow, hall, start, end, group_by or None)
        except DomainError as exc:
            error = exc.message
        query: dict[str, Any] = {"from": first, "to": last}  # url_for's arguments
        grouped: dict[str, Any] = {"group_by": group_by} if group_by else {}
        columns = columns_of(view) if view in VIEWS else []
        return render_template(
            "manager/reports.html",
            hall_name=hall.name,
            first=first,
            last=last,
            group_by=group_by,
            groupings=GROUPINGS,
            view=view,
            views=VIEWS,
            error=error,
            table=list(rows(summary, columns)) if summary else [],
            definitions=[(c.header, DEFINITIONS[c.header]) for c in columns],
            cell=cell,
            raw=raw,
            charts=chart_data(summary) if summary else None,
            summary=summary,
            csv_url=url_for("api.stats_csv", **query, **grouped),
            xlsx_url=url_for("api.stats_xlsx", **query),
            json_url=url_for("api.stats_summary", **query, **grouped),
        )


def _printed_period(today: date) -> tuple[str, date, date]:
    """The printable report's kind and days: ?day=YYYY-MM-DD (日报) or ?month=YYYY-MM (月报,
    by default this month: the whole month, or up to today while it runs)."""
    if "day" in request.args:
        day = _day(request.args["day"].strip())
        return "day", day, day
    month = request.args.get("month", "").strip() or f"{today:%Y-%m}"
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise Invalid(
            _("「%(text)s」 is not a month: write it as year-month, e.g. 2026-12.", text=month)
        ) from exc
    following = (first + timedelta(days=32)).replace(day=1)
    return "month", first, min(following - timedelta(days=1), max(today, first))


@bp.get("/reports/print")
@login_required
def printed_report() -> Any:
    """The day's or the month's report (日报 / 月报) as a page to print on A4 for the hall's
    meeting: the hall's main figures, then per queue and per window, then the ratings."""
    require_manager()
    with state().db.read() as uow:
        hall = current_hall(uow)
        zone = ZoneInfo(hall.timezone)
        try:
            kind, first, last = _printed_period(service_day(hall, uow.now()))
            _parse(first.isoformat(), last.isoformat())
            found = statistics.summaries(uow, hall, first, last, (None, "queue", "window"))
        except DomainError as exc:
            return render_template("manager/report_print.html", hall_name=hall.name, error=exc.message), 422
        main = columns_of("main")
        return render_template(
            "manager/report_print.html",
            hall_name=hall.name,
            error=None,
            kind=kind,
            first=first,
            last=last,
            generated=uow.now().astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            hall=found[None],
            key_figures=[(c.header, cell(c.header, c.value(found[None]))) for c in main],
            by_queue=list(rows(found["queue"], main)),
            by_window=list(rows(found["window"], main)),
            levels=chart_data(found[None])["names"]["levels"],
            definitions=[(c.header, DEFINITIONS[c.header]) for c in main],
            cell=cell,
            raw=raw,
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
        error, entries, housekeeping = None, [], 0
        # The server's periodic housekeeping is counted, not listed, unless asked for.
        listed = request.args.get("housekeeping") == "1" or filters["actor"] == "sweeper"
        listed = listed or filters["action"] in HOUSEKEEPING
        try:
            for day in (filters["from"], filters["to"]):
                if day:
                    _day(day)
            period = {"first": filters["from"] or None, "last": filters["to"] or None}
            entries = find_entries(
                uow,
                hall,
                **period,
                actor=filters["actor"] or None,
                action=filters["action"] or None,
                leave_out=frozenset() if listed else HOUSEKEEPING,
                limit=AUDIT_LIMIT,
            )
            if not listed:
                housekeeping = count_entries(uow, hall, **period, actions=HOUSEKEEPING)
        except DomainError as exc:
            error = exc.message
        staff = {e.actor_id for e in entries if e.actor_kind == "staff"}
        badges = dict(
            uow.session.execute(
                select(Staff.username, Staff.badge).where(Staff.hall_id == hall.id, Staff.username.in_(staff))
            ).all()
        )
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
            housekeeping=housekeeping,
            limit=AUDIT_LIMIT,
            filters=filters,
            error=error,
            local=lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            action_name=action_name,
            actor_name=lambda entry: actor_name(entry, badges),
            what_happened=what_happened,
            actions=[(action, str(name)) for action, name in ACTIONS.items()],
            as_json=lambda detail: json.dumps(detail, ensure_ascii=False, indent=1, sort_keys=True),
        )
