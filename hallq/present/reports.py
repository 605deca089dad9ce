"""A statistics summary (queue_core.statistics) as a table: the same rows for the report page,
the CSV and the XLSX, so that the three and the API can never disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from .spreadsheet import csv_cell, xlsx_as_text

# (header, how to read it from a summary or group row)
COLUMNS: list[tuple[str, Any]] = [
    ("取号数", lambda r: r["issued"]),
    ("办结数", lambda r: r["served"]),
    ("过号数", lambda r: r["no_show"]),
    ("取消数", lambda r: r["cancelled"]),
    ("转移数", lambda r: r["transferred"]),
    ("平均等候(秒)", lambda r: r["wait"]["mean"]),
    ("等候中位数(秒)", lambda r: r["wait"]["median"]),
    ("等候P90(秒)", lambda r: r["wait"]["p90"]),
    ("最长等候(秒)", lambda r: r["wait"]["max"]),
    ("平均办理(秒)", lambda r: r["handle"]["mean"]),
    ("办理中位数(秒)", lambda r: r["handle"]["median"]),
    ("办理P90(秒)", lambda r: r["handle"]["p90"]),
    ("最长办理(秒)", lambda r: r["handle"]["max"]),
    ("服务达标率", lambda r: r["service_level"]),
    ("每小时办结", lambda r: r["throughput_per_hour"]),
    ("窗口利用率", lambda r: r["utilisation"]),
    ("好评率", lambda r: r["evaluation"]["good_rate"]),
    ("差评数", lambda r: r["evaluation"]["bad_count"]),
    ("差评率", lambda r: r["evaluation"]["bad_rate"]),
    ("主动评价率", lambda r: r["evaluation"]["active_rate"]),
    ("整改率", lambda r: r["evaluation"]["rectified_rate"]),
    ("回访率", lambda r: r["evaluation"]["callback_rate"]),
]
GROUP_NAMES = {"queue": "队列", "item": "事项", "department": "部门", "window": "窗口", "staff": "工作人员"}
HALL = "全厅"


def rows(summary: dict[str, Any]) -> Iterator[list[Any]]:
    """The header, the hall's row, then one row per group (if grouped)."""
    group_by = summary.get("group_by")
    yield ["分组", "编号", "名称", *(header for header, _ in COLUMNS)]
    yield [HALL, "", "", *(read(summary) for _, read in COLUMNS)]
    for group in summary.get("groups", []):
        key = group[group_by]
        yield [
            GROUP_NAMES[group_by],
            "" if key is None else key,
            group.get("name") or "",
            *(read(group) for _, read in COLUMNS),
        ]


def as_csv(summary: dict[str, Any]) -> str:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows(summary):
        writer.writerow(["" if value is None else csv_cell(value) for value in row])
    return buffer.getvalue()


def as_xlsx(summaries: dict[str, dict[str, Any]], title: str) -> bytes:
    """One sheet per summary (the hall, then each breakdown), header row frozen and bold."""
    # Imported here: openpyxl takes some 16 MiB, which a serving process needs only while
    # someone downloads a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for sheet_name, summary in summaries.items():
        sheet = book.create_sheet(sheet_name)
        for row in rows(summary):
            sheet.append(row)
        xlsx_as_text(sheet)
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, (header, *_rest) in enumerate(zip(sheet[1], strict=False), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, len(str(header.value)) * 2 + 2)
    book.properties.title = title
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
