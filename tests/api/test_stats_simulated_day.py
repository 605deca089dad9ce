"""A simulated day of the demo hall, and its figures worked out again in this test from the
event log the day left behind (ticket_event, window_event): the API's JSON, its CSV and its
XLSX say the same, to the second, for the hall and per queue."""

from __future__ import annotations

import csv
import io
import math
import statistics as stats
from collections import defaultdict
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from hallq.present.reports import COLUMNS, HEADER_ROW
from hallq.simulate import simulate
from queue_core.models import Queue, TicketEvent, WindowEvent

DAY = date(2026, 11, 23)  # a Monday: a working day


def from_the_log(app) -> dict[str | None, dict]:
    """The day's figures per queue of issue (and for the hall, under None), from the logs."""
    db = app.extensions["hallq"].db
    with db.read() as uow:
        targets = {q.id: (q.code, q.target_wait_minutes * 60) for q in uow.session.scalars(select(Queue))}
        events = uow.session.execute(
            select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.at, TicketEvent.queue_id).order_by(
                TicketEvent.id
            )
        ).all()
        window_events = uow.session.execute(
            select(WindowEvent.window_id, WindowEvent.kind, WindowEvent.at).order_by(WindowEvent.id)
        ).all()
    tickets: dict[int, dict] = {}
    for ticket_id, kind, at, queue_id in events:
        ticket = tickets.setdefault(
            ticket_id, {"queue": targets[queue_id][0], "target": targets[queue_id][1]}
        )
        ticket.setdefault(kind, []).append(at)
        ticket["last"] = kind if kind not in ("recalled",) else ticket.get("last")
    groups: dict[str | None, list[dict]] = defaultdict(list)
    for ticket in tickets.values():
        groups[None].append(ticket)
        groups[ticket["queue"]].append(ticket)

    # The hall's open time: each day's first sign-in to its last sign-out.
    signs = [at for _w, kind, at in window_events if kind in ("signed_in", "signed_out")]
    hall_hours = (max(signs) - min(signs)).total_seconds() / 3600

    def durations(values: list[int]) -> dict:
        if not values:
            return {"mean": None, "median": None, "p90": None, "max": None}
        ordered = sorted(values)
        return {
            "mean": round(sum(values) / len(values), 1),
            "median": float(stats.median(values)),
            "p90": float(ordered[math.ceil(0.9 * len(values)) - 1]),
            "max": float(ordered[-1]),
        }

    figures = {}
    for key, members in groups.items():
        waits = [round((t["called"][-1] - t["issued"][0]).total_seconds()) for t in members if "called" in t]
        handles = [
            round((t["finished"][-1] - t["started"][-1]).total_seconds())
            for t in members
            if t["last"] == "finished"
        ]
        within = sum(
            1
            for t in members
            if "called" in t and round((t["called"][-1] - t["issued"][0]).total_seconds()) <= t["target"]
        )
        served = sum(t["last"] == "finished" for t in members)
        figures[key] = {
            "issued": len(members),
            "served": served,
            "no_show": sum(t["last"] == "no_show" for t in members),
            "cancelled": sum(t["last"] == "cancelled" for t in members),
            "transferred": sum("transferred" in t for t in members),
            "wait": durations(waits),
            "handle": durations(handles),
            "service_level": round(within / len(waits), 4) if waits else None,
            "throughput_per_hour": round(served / hall_hours, 2),
        }
    return figures


def test_a_simulated_day_agrees_with_its_log_in_json_csv_and_xlsx(api, app):
    spec = app.extensions["hallq"].spec
    report = simulate(app.extensions["hallq"].db, spec, days=1, tickets_per_day=400, start=DAY, seed=5)
    assert report.issued > 300 and report.no_shows and report.transfers

    expected = from_the_log(app)
    query = "from=2026-11-23&to=2026-11-23&group_by=queue"
    summary = api.get(f"/stats/summary?{query}", "manager").get_json()
    names = list(expected[None])
    assert {k: summary[k] for k in names} == expected[None]
    groups = {g["queue"]: g for g in summary["groups"]}
    for code, figures in expected.items():
        if code is not None:
            assert {k: groups[code][k] for k in names if k != "throughput_per_hour"} == {
                k: v for k, v in figures.items() if k != "throughput_per_hour"
            }, code

    # The CSV and the XLSX hold the same numbers as the JSON, row by row.
    table = list(
        csv.reader(
            io.StringIO(
                api.get(f"/stats/export.csv?{query}", "manager").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    sheet = load_workbook(
        io.BytesIO(api.get("/stats/export.xlsx?from=2026-11-23&to=2026-11-23", "manager").get_data())
    )["队列"]
    rows = {row[1]: row for row in table[1:]}
    cells = {
        str(row[1].value or ""): [c.value for c in row] for row in sheet.iter_rows(min_row=HEADER_ROW + 1)
    }
    for key, source in [("", summary), *((g["queue"], g) for g in summary["groups"])]:
        for index, column in enumerate(COLUMNS, start=3):
            value = column.value(source)
            assert rows[key][index] == ("" if value is None else str(value)), (key, column.header)
            assert cells[key][index] == value, (key, column.header)
