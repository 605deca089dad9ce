"""The statistics through /api/v1: the JSON, the CSV and the XLSX give the same numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from manager.reports import COLUMNS


def serve_two(api, clock):
    api.post("/windows/3/sign-in", "clerk3")
    for minutes in (4, 9):
        api.post("/tickets", "device:K1", {"queue": "B"})
        clock.advance(minutes=minutes)
        for step in ("call-next", "start"):
            assert api.post(f"/windows/3/{step}", "clerk3").status_code == 200
        clock.advance(minutes=6)
        assert api.post("/windows/3/finish", "clerk3", {"outcome": "completed"}).status_code == 200


def test_json_csv_and_xlsx_agree(api, clock):
    serve_two(api, clock)
    summary = api.get("/stats/summary?group_by=window", "manager").get_json()
    assert (summary["issued"], summary["served"]) == (2, 2)
    assert summary["wait"] == {"mean": 390.0, "median": 390.0, "p90": 540.0, "max": 540.0}
    assert summary["handle"] == {"mean": 360.0, "median": 360.0, "p90": 360.0, "max": 360.0}
    [window] = summary["groups"]
    assert (window["window"], window["name"], window["served"]) == (3, "3号出入境窗口", 2)

    exported = api.get("/stats/export.csv?group_by=window", "manager")
    assert exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:5] == ["分组", "编号", "名称", "取号数", "办结数"]
    assert table[1][:5] == ["全厅", "", "", "2", "2"]
    assert table[2][:5] == ["窗口", "3", "3号出入境窗口", "2", "2"]

    workbook = load_workbook(io.BytesIO(api.get("/stats/export.xlsx", "manager").get_data()))
    assert workbook.sheetnames == ["全厅", "队列", "事项", "部门", "窗口", "工作人员"]
    sheet = workbook["窗口"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    for row, group in ((sheet[2], summary), (sheet[3], window)):
        values = dict(zip(header, (c.value for c in row), strict=True))
        for name, read in COLUMNS:
            assert values[name] == read(group), name
    # The CSV's numbers are the JSON's too.
    for (name, read), text in zip(COLUMNS, table[2][3:], strict=True):
        assert text == ("" if read(window) is None else str(read(window))), name


def test_who_may_read_and_bad_queries(api):
    assert api.get("/stats/summary", "clerk3").status_code == 403
    assert api.get("/stats/summary", "device:K1").status_code == 403
    assert api.get("/stats/summary?group_by=colour", "manager").status_code == 422
    assert api.get("/stats/summary?from=2026-11-30&to=2026-11-01", "manager").status_code == 422
    assert api.get("/stats/summary?from=2026-02-30", "manager").status_code == 422
    empty = api.get("/stats/summary?from=2026-01-01&to=2026-01-31", "manager").get_json()
    assert (empty["issued"], empty["service_level"], empty["group_by"]) == (0, None, None)
