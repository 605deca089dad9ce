"""The manager's report page and audit trail in Chromium against a real `hallq serve`: the page's
table is the API's JSON, its charts are drawn, its CSV and XLSX downloads say the same; the
audit page lists what a clerk did, from where, and says the chain holds and agrees with the
server's signed checkpoint; clerks are refused.

Window 12 (queue G), its keypad P12 and the clerk reports_clerk are this module's: the live hall
is shared with the other modules, so the comparisons are about window 12's row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import expect

from hallq.present.reports import COLUMNS, HEADER_ROW
from queue_core.models import Role
from tests.live.conftest import add_device_token, add_staff, log_in

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
WINDOW = 12
CLERK = "reports_clerk"
SCORES = ({"score": 5}, {"score": 4}, {"score": 1, "reasons": ["服务态度"]})


@pytest.fixture(scope="module")
def hall(live):
    """Three tickets of queue G served at window 12 by this module's clerk and rated 5, 4 and 1
    on its keypad; the clerk signs out, so that the window's open time stops growing."""
    live.tokens["P12"] = add_device_token(live.env["DATABASE_URL"], "keypad", "P12")
    live.tokens |= add_staff(live.env["DATABASE_URL"], [(CLERK, Role.CLERK)])

    def ok(method: str, path: str, who: str, **kw: object) -> requests.Response:
        done = live.api(method, path, who, **kw)
        assert done.ok, done.text
        return done

    ok("POST", f"/windows/{WINDOW}/sign-in", CLERK)
    live.numbers = []
    for rating in SCORES:
        number = ok("POST", "/tickets", "K1", json={"queue": "G"}).json()["number"]
        live.numbers.append(number)
        ok("POST", f"/windows/{WINDOW}/call", CLERK, json={"number": number})
        ok("POST", f"/windows/{WINDOW}/start", CLERK)
        ok("POST", f"/windows/{WINDOW}/finish", CLERK, json={"outcome": "completed"})
        assert live.api("POST", f"/windows/{WINDOW}/evaluation", "P12", json=rating).status_code == 201
    ok("POST", f"/windows/{WINDOW}/sign-out", CLERK)
    return live


def text(value: object) -> str:
    return "" if value is None else str(value)


def window_row(rows: Sequence[Sequence[object]], number: object) -> Sequence[object]:
    [row] = [r for r in rows if r[0] == "窗口" and str(r[1]) == str(number)]
    return row


def test_the_report_page_its_charts_and_downloads_agree_with_the_api(hall, page, tmp_path: Path):
    live = hall
    log_in(page, live.url, "/manager/reports?group_by=window&view=all")
    first = page.locator("input[name=from]").input_value()
    last = page.locator("input[name=to]").input_value()
    assert first.endswith("-01") and first[:7] == last[:7]  # this month so far
    answer = live.api("GET", f"/stats/summary?from={first}&to={last}&group_by=window", "manager")
    summary = answer.json()
    [mine] = [g for g in summary["groups"] if g["window"] == WINDOW]
    assert (mine["served"], mine["evaluation"]["rated"], mine["evaluation"]["bad_count"]) == (3, 3, 1)
    assert (mine["evaluation"]["good_rate"], mine["evaluation"]["active_rate"]) == (0.6667, 1.0)

    # The page's row of window 12 holds the JSON's numbers, column by column.
    table = page.get_by_test_id("report")
    expect(table).to_be_visible()
    row = table.locator("tbody tr").filter(has=page.locator('td[data-column="编号"][data-value="12"]'))
    expect(row).to_have_count(1)
    on_page = row.locator("td").evaluate_all("cells => cells.map(c => c.dataset.value)")
    assert on_page[:3] == ["窗口", "12", "12号税务窗口"]
    assert on_page[3:] == [text(column.value(mine)) for column in COLUMNS]
    expect(row.locator('td[data-column="好评率"]')).to_have_text("66.7%")
    expect(row.locator('td[data-column="差评数"]')).to_have_text("1")
    expect(row.locator('td[data-column="平均办理(分钟)"]')).to_have_text(f"{mine['handle']['mean'] / 60:.1f}")
    hall_row = table.locator("tbody tr.hall td")
    expect(hall_row.nth(0)).to_have_text("合计")
    expect(table.locator("tbody tr").last).to_have_class("hall")
    assert int(hall_row.nth(3).get_attribute("data-value")) >= summary["issued"] >= 3

    # The charts are drawn (Chart.js has a chart on each canvas, of real size).
    expect(page.locator("body[data-charts-ready='1']")).to_have_count(1)
    for canvas in ("chart-served", "chart-level", "chart-good", "chart-levels"):
        drawn = page.evaluate(
            "id => { const c = document.getElementById(id); const chart = Chart.getChart(c);"
            " return chart ? [c.width, c.height, chart.data.datasets[0].data.length] : null }",
            canvas,
        )
        assert drawn and drawn[0] > 100 and drawn[1] > 100 and drawn[2] > 0, canvas
    levels = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-levels')).data.datasets[0].data"
    )
    assert levels == [summary["evaluation"]["levels"][n] for n in "54321"]

    # The CSV download: the same row, as text.
    with page.expect_download() as csv_download:
        page.get_by_test_id("csv").click()
    lines = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text("utf-8-sig"))))
    assert lines[0][3:] == [column.header for column in COLUMNS]
    assert window_row(lines, WINDOW)[3:] == [text(column.value(mine)) for column in COLUMNS]

    # The XLSX download: every grouping on its sheet, the header frozen, the same numbers.
    with page.expect_download() as xlsx_download:
        page.get_by_test_id("xlsx").click()
    target = tmp_path / "report.xlsx"
    xlsx_download.value.save_as(target)
    book = load_workbook(target)
    assert book.sheetnames == ["全厅", "队列", "事项", "部门", "窗口", "工作人员", "图表"]
    for sheet in book.worksheets[:-1]:
        assert sheet.freeze_panes == f"D{HEADER_ROW + 1}", sheet.title
        assert [c.value for c in sheet[HEADER_ROW]][:4] == ["分组", "编号", "名称", "取号数"]
    sheet_rows = [list(r) for r in book["窗口"].iter_rows(values_only=True)]
    assert window_row(sheet_rows, WINDOW)[3:] == [column.value(mine) for column in COLUMNS]
    clerk = live.api("GET", f"/stats/summary?from={first}&to={last}&group_by=staff", "manager").json()
    [theirs] = [g for g in clerk["groups"] if g["staff"] == CLERK]
    [staff_row] = [r for r in book["工作人员"].iter_rows(values_only=True) if r[1] == CLERK]
    assert list(staff_row[3:]) == [column.value(theirs) for column in COLUMNS]

    # Another grouping from the form: per queue, with queue G's row.
    page.locator("select[name=group_by]").select_option("queue")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"group_by=queue"))
    expect(page.locator('td[data-column="编号"][data-value="G"]')).to_have_count(1)


def test_the_audit_page_lists_the_clerks_actions_and_the_chain_holds(hall, page):
    live = hall
    log_in(page, live.url, f"/manager/audit?actor={CLERK}")
    expect(page.get_by_test_id("chain")).to_have_class(re.compile(r"\bholds\b"))
    # The server signed the chain's head as it started: the newest checkpoint agrees with it.
    anchor = page.get_by_test_id("anchor")
    expect(anchor).to_have_class(re.compile(r"\bholds\b"))
    expect(anchor).to_contain_text("哈希链与之一致")
    entries = page.get_by_test_id("audit").locator("tbody tr")
    # Sign-in, three calls, starts and finishes, the sign-out: newest first.
    expect(entries).to_have_count(1 + 3 * 3 + 1)
    expect(entries.first.locator("td.action")).to_have_attribute("data-action", "api.sign_out")
    expect(entries.first.locator("td.action")).to_have_text("退出窗口签到")
    expect(entries.last.locator("td.action")).to_have_attribute("data-action", "api.sign_in")
    calls = entries.filter(has=page.locator('td.action[data-action="api.call_number"]'))
    expect(calls).to_have_count(3)
    expect(calls.first.locator("td.action")).to_have_text("指定叫号")
    expect(calls.first.locator("td.address")).to_have_text("127.0.0.1")
    # Who, in the hall's words: the clerk's name and badge (工号), then the username.
    expect(calls.first.locator("td.actor")).to_have_text(f"{CLERK}名（工号 B{CLERK}） {CLERK}")
    expect(calls.first.locator("td.subject")).to_have_text(f"/api/v1/windows/{WINDOW}/call")
    expect(calls.first.locator("td.detail summary")).to_have_text(
        f"在 {WINDOW} 号窗口叫号 {live.numbers[-1]}"
    )
    # The API says the same, newest first, with the hashes the page shows.
    api_entries = live.api("GET", f"/audit?actor={CLERK}", "manager").json()
    assert [e["action"] for e in api_entries][:1] == ["api.sign_out"]
    assert len(api_entries) == 11
    newest = entries.first.locator("td.hash")
    assert newest.get_attribute("title").startswith(api_entries[0]["hash"])

    # A filter on the action.
    page.locator("input[name=action]").fill("api.finish")
    page.get_by_role("button", name="查询").click()
    expect(entries).to_have_count(3)


def test_clerks_and_anonymous_people_are_refused(hall):
    live = hall
    for path in ("/manager/reports", "/manager/audit"):
        anonymous = requests.get(f"{live.url}{path}", allow_redirects=False, timeout=10)
        assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]
        clerk = requests.get(
            f"{live.url}{path}", headers={"Authorization": f"Bearer {live.tokens[CLERK]}"}, timeout=10
        )
        assert clerk.status_code == 403, path
    assert live.api("GET", "/audit", CLERK).status_code == 403
    assert live.api("GET", "/stats/export.xlsx", CLERK).status_code == 403


def test_the_main_figures_fit_a_laptop_and_the_page_says_what_they_mean(hall, page):
    """At 1366×768 the default view's table fits the screen without scrolling sideways; its
    figures are explained on the page, in Chinese; every column is one click away; a bad date
    is answered in Chinese."""
    live = hall
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live.url, "/manager/reports?group_by=window")
    table = page.get_by_test_id("report")
    expect(table).to_be_visible()
    # One bar for every staff page, by role: a manager's places, this one marked.
    bar = page.get_by_test_id("staff-nav")
    expect(bar.locator("a")).to_have_text(
        ["导服台", "实时监控", "统计报表", "排班推演", "差评核实整改", "系统管理", "电子监察日志"]
    )
    expect(bar.locator("a[aria-current=page]")).to_have_text("统计报表")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["分组", "编号", "名称", *(c.header for c in COLUMNS if c.main)]
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), "the main view scrolls sideways"
    meaning = page.locator(".definitions div").filter(has=page.locator("dt", has_text="等候P90(分钟)"))
    expect(meaning.locator("dd")).to_have_text("十位已叫号的群众中有九位的等候不超过此时长。")

    page.get_by_role("link", name="全部列").click()
    expect(table.locator("thead th")).to_have_count(3 + len(COLUMNS))
    page.get_by_role("link", name="评价").click()
    expect(table.locator("thead th")).to_have_count(3 + sum(c.group == "ratings" for c in COLUMNS))

    page.goto(f"{live.url}/manager/reports?from=2026-02-30")
    expect(page.get_by_role("alert")).to_have_text(
        "「2026-02-30」不是有效日期，请按“年-月-日”填写，例如 2026-12-01。"
    )


def test_the_month_report_prints_on_two_a4_pages(hall, page, tmp_path: Path):
    """The month's report (月报) for the demo's 16-window hall prints in Chromium on at most two
    A4 pages, with the hall's main figures, its queues, its windows and its ratings."""
    live = hall
    log_in(page, live.url, "/manager/reports/print")
    report = page.get_by_test_id("printed-report")
    expect(report.locator("h1")).to_contain_text("月报")
    issued = report.locator('.key-figures strong[data-column="取号数"]')
    assert int(issued.inner_text()) >= 3
    windows = page.get_by_test_id("by-window").locator("tbody tr")
    expect(windows.filter(has=page.locator('td[data-column="编号"][data-value="12"]'))).to_have_count(1)
    expect(windows.last.locator("td").first).to_have_text("合计")
    expect(page.get_by_test_id("levels").locator("th").first).to_have_text("非常满意")
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 1 <= pages <= 2, f"the month report prints on {pages} A4 pages"
    (tmp_path / "month.pdf").write_bytes(pdf)

    page.goto(f"{live.url}/manager/reports/print?month=2026-13")
    expect(page.get_by_role("alert")).to_have_text("「2026-13」不是有效月份，请按“年-月”填写，例如 2026-12。")


def test_the_plan_page_plays_the_plan_now_and_a_proposed_one_side_by_side(hall, page):
    """/manager/plan on today's demand: the grid's windows per queue and hour, one more window
    for queue G in the proposed plan, both played (the progress bar counts the replications),
    their day figures side by side and each chart with both plans."""
    live = hall
    log_in(page, live.url, "/manager/plan")
    expect(page.get_by_test_id("days")).to_contain_text("1 天")
    row = page.get_by_test_id("staffing").locator('tr[data-queue="G"]')
    for cell in row.locator("input").all():
        cell.fill(str(float(cell.input_value()) + 1))
    page.get_by_test_id("play").click()
    expect(page.locator("body[data-plan-ready='1']")).to_have_count(1, timeout=60_000)
    expect(page.get_by_test_id("progress")).to_have_attribute("value", "1")
    summary = page.get_by_test_id("summary").locator("tbody tr")
    expect(summary).to_have_count(2)
    expect(summary.nth(0).locator("td").first).to_have_text("现行方案")
    expect(summary.nth(1).locator("td").first).to_have_text("调整方案")
    for plan in range(2):
        assert re.fullmatch(r"\d+\.\d", summary.nth(plan).locator("td").nth(1).inner_text())
    for chart in ("chart-wait", "chart-level", "chart-use"):
        datasets = page.evaluate(
            "id => Chart.getChart(document.getElementById(id)).data.datasets.length", chart
        )
        assert datasets == 2, chart
