"""A statistics summary (queue_core.statistics) as a table: the same rows for the report page,
the printable day and month reports, the CSV and the XLSX, so that they and the API can never
disagree. The API's JSON keeps durations in seconds; the tables, which people read, give them
in minutes with one decimal."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from .spreadsheet import csv_cell, xlsx_as_text

Unit = Literal["count", "minutes", "rate", "per_hour"]


@dataclass(frozen=True)
class Column:
    """One figure of the table: its Chinese header (the CSV's and the XLSX's, whatever the
    page's language), where the summary holds it, its unit, and the column group the page
    shows it in. `main` columns make the page's default view, which fits a 1366-px screen."""

    header: str
    read: Callable[[dict[str, Any]], Any]
    unit: Unit
    group: str
    main: bool = False

    def value(self, row: dict[str, Any]) -> Any:
        """The figure as the tables hold it: durations in minutes with one decimal."""
        figure = self.read(row)
        if self.unit == "minutes" and figure is not None:
            return round(figure / 60, 1)
        return figure


def _wait(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda r: r["wait"][name]


def _handle(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda r: r["handle"][name]


def _rated(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda r: r["evaluation"][name]


def _noticed(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda r: r["notices"][name]


# Column groups, in the page's order: the counts, waiting, handling, efficiency, ratings.
COUNTS, WAITING, HANDLING, EFFICIENCY, RATINGS = "count", "wait", "handle", "efficiency", "ratings"
COLUMNS: list[Column] = [
    Column("取号数", lambda r: r["issued"], "count", COUNTS, main=True),
    Column("办结数", lambda r: r["served"], "count", COUNTS, main=True),
    Column("过号数", lambda r: r["no_show"], "count", COUNTS, main=True),
    Column("取消数", lambda r: r["cancelled"], "count", COUNTS),
    Column("转移数", lambda r: r["transferred"], "count", COUNTS),
    Column("平均等候(分钟)", _wait("mean"), "minutes", WAITING, main=True),
    Column("等候中位数(分钟)", _wait("median"), "minutes", WAITING),
    Column("等候P90(分钟)", _wait("p90"), "minutes", WAITING, main=True),
    Column("最长等候(分钟)", _wait("max"), "minutes", WAITING),
    Column("平均办理(分钟)", _handle("mean"), "minutes", HANDLING, main=True),
    Column("办理中位数(分钟)", _handle("median"), "minutes", HANDLING),
    Column("办理P90(分钟)", _handle("p90"), "minutes", HANDLING),
    Column("最长办理(分钟)", _handle("max"), "minutes", HANDLING),
    Column("服务达标率", lambda r: r["service_level"], "rate", EFFICIENCY, main=True),
    Column("每小时办结", lambda r: r["throughput_per_hour"], "per_hour", EFFICIENCY),
    Column("窗口利用率", lambda r: r["utilisation"], "rate", EFFICIENCY, main=True),
    Column("一次性告知书数(补正)", _noticed("one_time_notices"), "count", EFFICIENCY),
    Column("一次告知率", _noticed("one_time_rate"), "rate", EFFICIENCY),
    Column("不予受理告知书数", _noticed("refusal_notices"), "count", EFFICIENCY),
    Column("好评率", _rated("good_rate"), "rate", RATINGS, main=True),
    Column("差评数", _rated("bad_count"), "count", RATINGS, main=True),
    Column("差评率", _rated("bad_rate"), "rate", RATINGS),
    Column("主动评价率", _rated("active_rate"), "rate", RATINGS),
    Column("整改率", _rated("rectified_rate"), "rate", RATINGS),
    Column("回访率", _rated("callback_rate"), "rate", RATINGS),
]
LABELS = ["分组", "编号", "名称"]
GROUP_NAMES = {"queue": "队列", "item": "事项", "department": "部门", "window": "窗口", "staff": "工作人员"}
HALL = "全厅"
TOTAL = "合计"  # the hall's row under a grouped table: the totals over every group


def rows(summary: dict[str, Any], columns: list[Column] = COLUMNS) -> Iterator[list[Any]]:
    """The header, one row per group (if grouped), then the hall's row: under a grouped table
    it is the totals row (合计), over every ticket of the period, grouped or not."""
    group_by: Any = summary.get("group_by")  # a key of each group (read when there are groups)
    yield [*LABELS, *(column.header for column in columns)]
    for group in summary.get("groups") or []:
        key = group[group_by]
        yield [
            GROUP_NAMES[group_by],
            "" if key is None else key,
            group.get("name") or "",
            *(column.value(group) for column in columns),
        ]
    yield [TOTAL if group_by else HALL, "", "", *(column.value(summary) for column in columns)]


def as_csv(summary: dict[str, Any]) -> str:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows(summary):
        writer.writerow(["" if value is None else csv_cell(value) for value in row])
    return buffer.getvalue()


@dataclass(frozen=True)
class ReportHeading:
    """What a workbook's sheets say above their tables."""

    hall: str
    first: date
    last: date
    generated: datetime

    def lines(self, sheet_name: str) -> list[str]:
        period = str(self.first) if self.first == self.last else f"{self.first} 至 {self.last}"
        return [
            f"{self.hall} 统计报表（{sheet_name}）",
            f"统计期间：{period}",
            f"生成时间：{self.generated:%Y-%m-%d %H:%M}",
        ]


NUMBER_FORMATS: dict[Unit, str] = {"count": "0", "minutes": "0.0", "rate": "0.0%", "per_hour": "0.0"}
HEADER_ROW = 5  # under the title, the period, the generation time and a blank line
CHART_SHEET = "图表"


def display_width(value: Any) -> int:
    """Columns a cell's text takes in a spreadsheet: a Chinese character takes two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def as_xlsx(summaries: dict[str, dict[str, Any]], heading: ReportHeading) -> bytes:
    """One sheet per summary (the hall, then each breakdown), each with its title, period and
    generation time above a frozen, bold header row, figures in their number formats, a bold
    totals row, and columns as wide as their text; then a sheet of charts."""
    # Imported here: openpyxl takes some 16 MiB, which a serving process needs only while
    # someone downloads a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Border, Font, Side
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.worksheets[0])  # a new workbook's one sheet (what book.active is)
    formats = [None] * len(LABELS) + [NUMBER_FORMATS[column.unit] for column in COLUMNS]
    for sheet_name, summary in summaries.items():
        sheet = book.create_sheet(sheet_name)
        for line in heading.lines(sheet_name):
            sheet.append([line])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([])
        table = list(rows(summary))
        for row in table:
            sheet.append(row)
        xlsx_as_text(sheet)
        sheet.freeze_panes = f"D{HEADER_ROW + 1}"
        for cell in sheet[HEADER_ROW]:
            cell.font = Font(bold=True)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
            cell.border = Border(top=Side(style="thin"))
        for index, number_format in enumerate(formats, start=1):
            letter = get_column_letter(index)
            for cell in sheet[letter][HEADER_ROW:]:
                if number_format and isinstance(cell.value, int | float):
                    cell.number_format = number_format
            widest = max(display_width(row[index - 1]) for row in table)
            sheet.column_dimensions[letter].width = min(40, max(8, widest + 2))
    _add_charts(book, summaries)
    book.properties.title = heading.lines(HALL)[0]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _add_charts(book: Any, summaries: dict[str, dict[str, Any]]) -> None:
    """A sheet of bar charts, one per grouped sheet: each group's served tickets and mean wait,
    read from that sheet's own cells, so the charts are the tables'."""
    from openpyxl.chart import BarChart, Reference

    grouped = [(name, s) for name, s in summaries.items() if s.get("groups")]
    if not grouped:
        return
    charts = book.create_sheet(CHART_SHEET)
    served = len(LABELS) + 1 + [c.header for c in COLUMNS].index("办结数")
    wait = len(LABELS) + 1 + [c.header for c in COLUMNS].index("平均等候(分钟)")
    for place, (name, summary) in enumerate(grouped):
        sheet = book[name]
        last = HEADER_ROW + len(summary["groups"])
        chart = BarChart()
        chart.title = f"按{name}：办结数与平均等候(分钟)"
        chart.height, chart.width = 9, 24
        for column in (served, wait):
            chart.add_data(
                Reference(sheet, min_col=column, min_row=HEADER_ROW, max_row=last), titles_from_data=True
            )
        chart.set_categories(Reference(sheet, min_col=3, min_row=HEADER_ROW + 1, max_row=last))
        charts.add_chart(chart, f"A{1 + place * 20}")
