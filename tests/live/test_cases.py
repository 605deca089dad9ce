"""The managers' follow-up of bad ratings (差评核实整改) in Chromium against a real `hallq serve`:
a citizen rates a service badly on the window's keypad (over the API, as the keypad does), and
a manager finds the case, works it step by step to its closing, appeals it, or sees it overdue.

Window 11 and its keypad P11 are this module's, with clerks of its own: the live hall is shared
with the other modules, so every assertion is about what this module made."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import update

from queue_core import Database, SystemClock, make_engine
from queue_core.models import EvaluationCase, Role
from tests.live.conftest import add_device_token, add_staff, log_in

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
WINDOW = 11
WINDOW_NAME = "11号不动产登记窗口"
ITEM = "ZR003"  # 存量房（二手房）转移登记, queue F, served at windows 10, 11 and 16
MANAGER_NAME = "张敏"


def hall_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the demo hall's timezone


@pytest.fixture(scope="module")
def hall(live):
    """This module's keypad token and people: the rated clerks and a second manager."""
    live.tokens["P11"] = add_device_token(live.env["DATABASE_URL"], "keypad", "P11")
    live.tokens |= add_staff(
        live.env["DATABASE_URL"],
        [(f"cases_{n}", Role.CLERK) for n in ("a", "b", "c", "d")] + [("cases_boss", Role.MANAGER)],
    )
    items = live.api("GET", "/items?department=ZR&limit=200").json()
    live.item_id = next(item["id"] for item in items if item["code"] == ITEM)
    return live


def bad_rating(live, clerk: str, score: int = 1, reasons=("服务态度",), comment: str = "") -> dict:
    """The clerk serves a ticket for the item at window 11 and the citizen rates it badly on
    the window's keypad; the rating (with its case_id) as the API answers it."""

    def ok(method: str, path: str, who: str, **kw: object) -> requests.Response:
        done = live.api(method, path, who, **kw)
        assert done.ok, done.text
        return done

    ok("POST", f"/windows/{WINDOW}/sign-in", clerk)
    number = ok("POST", "/tickets", "K1", json={"item_id": live.item_id}).json()["number"]
    ok("POST", f"/windows/{WINDOW}/call", clerk, json={"number": number})
    ok("POST", f"/windows/{WINDOW}/start", clerk)
    ok("POST", f"/windows/{WINDOW}/finish", clerk, json={"outcome": "completed"})
    body = {"score": score, "reasons": list(reasons)} | ({"comment": comment} if comment else {})
    rated = live.api("POST", f"/windows/{WINDOW}/evaluation", "P11", json=body)
    assert rated.status_code == 201, rated.text
    ok("POST", f"/windows/{WINDOW}/sign-out", clerk)
    assert rated.json()["case_id"] is not None
    return rated.json()


def take_step(page, button: str, note: str, owner: str | None = None) -> None:
    page.get_by_label("处理说明（必填）").fill(note)
    if owner:
        page.get_by_label("下一环节责任人").select_option(owner)
    page.get_by_role("button", name=button, exact=True).click()


def trail(page) -> list[list[str]]:
    rows = page.get_by_test_id("trail").locator("tbody tr")
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()]


def test_a_manager_works_a_bad_rating_to_its_closing(hall, page):
    live = hall
    rating = bad_rating(live, "cases_a", comment="窗口人员态度生硬")
    case_id, number = rating["case_id"], rating["ticket"]

    log_in(page, live.url, "/evaluation/cases")
    expect(page.locator("h1")).to_have_text("差评核实整改")
    row = page.locator(f'tr[data-case="{case_id}"]')
    for text in (number, WINDOW_NAME, "cases_a名", "存量房（二手房）转移登记", "非常不满意", "服务态度",
                 "窗口人员态度生硬"):  # fmt: skip
        expect(row).to_contain_text(text)
    expect(row.get_by_test_id("stage")).to_have_text("核实")
    expect(row.get_by_test_id("overdue")).to_have_count(0)  # one working day to verify

    row.get_by_role("link", name=f"#{case_id}").click()
    expect(page).to_have_url(f"{live.url}/evaluation/cases/{case_id}")
    expect(page.get_by_test_id("rating")).to_contain_text("cases_a名（工号 Bcases_a）")
    expect(page.get_by_test_id("level")).to_have_text("非常不满意")
    expect(page.get_by_test_id("reasons")).to_have_text("服务态度")
    expect(page.get_by_test_id("rating")).to_contain_text("评价器")
    expect(page.get_by_test_id("stage")).to_have_text("核实")
    expect(page.get_by_test_id("owner")).to_have_text("待指定")
    assert [s[1] for s in trail(page)] == ["收到差评 → 核实"]
    # Only what the stage allows is offered.
    buttons = page.locator("form.step button")
    expect(buttons).to_have_text(["核实完成", "提出申诉", "转交"])

    def stands(stage: str, owner: str, steps: int) -> None:
        expect(page.get_by_test_id("stage")).to_have_text(stage)
        expect(page.get_by_test_id("owner")).to_have_text(owner)
        expect(page.get_by_test_id("trail").locator("tbody tr")).to_have_count(steps)

    # 核实: the clerk who was rated owns the rectification.
    take_step(page, "核实完成", "调取录像核实，服务态度问题属实", owner="cases_a")
    expect(page.get_by_role("alert")).to_contain_text(f"差评件 {case_id}：核实完成。")
    stands("整改", "cases_a名", 2)
    expect(buttons).to_have_text(["整改完成", "转交"])
    verified = trail(page)[1]
    assert verified[1:5] == ["核实完成 → 整改", MANAGER_NAME, "cases_a名", "调取录像核实，服务态度问题属实"]
    assert date.fromisoformat(verified[5]) > hall_today()  # ten working days to rectify
    expect(page.get_by_test_id("deadline")).to_have_text(verified[5])

    take_step(page, "整改完成", "已对窗口人员批评教育，纳入月度考核")  # owner: the manager herself
    stands("回访", MANAGER_NAME, 3)
    take_step(page, "已回访", "电话回访，群众对整改表示满意")
    stands("办结", MANAGER_NAME, 4)
    take_step(page, "办结", "材料归档")
    expect(page.get_by_role("alert")).to_have_text(f"差评件 {case_id}：办结。该件已办结。")
    expect(page.get_by_test_id("stage")).to_have_text("已办结")
    expect(page.get_by_test_id("resolution")).to_have_text("（整改办结）")
    expect(page.locator("form.step")).to_have_count(0)  # nothing more to do
    steps = trail(page)
    assert [s[1] for s in steps] == [
        "收到差评 → 核实",
        "核实完成 → 整改",
        "整改完成 → 回访",
        "已回访 → 办结",
        "办结 → 已办结",
    ]
    assert [s[4] for s in steps[2:]] == [
        "已对窗口人员批评教育，纳入月度考核",
        "电话回访，群众对整改表示满意",
        "材料归档",
    ]

    page.get_by_role("link", name="全部差评件").click()
    page.get_by_label("办理环节").select_option(label="已办结")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(f"{live.url}/evaluation/cases?stage=closed&window=&staff=")
    expect(page.locator(f'tr[data-case="{case_id}"]').get_by_test_id("stage")).to_have_text(
        "已办结（整改办结）"
    )
    assert all(t.startswith("已办结") for t in page.get_by_test_id("stage").all_inner_texts())

    summary = live.api("GET", f"/evaluations/summary?window={WINDOW}&staff=cases_a", "manager").json()
    assert (summary["bad_count"], summary["rectified_rate"], summary["callback_rate"]) == (1, 1.0, 1.0)


def test_an_upheld_appeal_closes_the_case(hall, page):
    live = hall
    case_id = bad_rating(live, "cases_b", score=2, reasons=("服务效率",))["case_id"]
    log_in(page, live.url, f"/evaluation/cases/{case_id}")
    expect(page.get_by_test_id("level")).to_have_text("不满意")

    # No step without a note: the browser asks for it, and so does the server.
    page.get_by_role("button", name="提出申诉").click()
    expect(page.get_by_test_id("stage")).to_have_text("核实")
    page.locator("textarea[name=note]").evaluate("e => e.removeAttribute('required')")
    take_step(page, "提出申诉", "   ")
    expect(page.get_by_role("alert")).to_contain_text("每个环节都需填写说明")
    expect(page.get_by_test_id("stage")).to_have_text("核实")
    expect(page.get_by_test_id("trail").locator("tbody tr")).to_have_count(1)

    take_step(page, "提出申诉", "调阅录像：办事人未到窗口即评价，属误评，提出申诉")
    expect(page.get_by_test_id("stage")).to_have_text("申诉复核")
    expect(page.locator("form.step button")).to_have_text(["复核：申诉成立", "复核：申诉不成立", "转交"])
    take_step(page, "复核：申诉成立", "复核属实，申诉成立")
    expect(page.get_by_test_id("stage")).to_have_text("已办结")
    expect(page.get_by_test_id("resolution")).to_have_text("（申诉成立）")
    assert [s[1] for s in trail(page)] == [
        "收到差评 → 核实",
        "提出申诉 → 申诉复核",
        "复核：申诉成立 → 已办结",
    ]

    case = live.api("GET", f"/evaluations/cases/{case_id}", "manager").json()
    assert (case["stage"], case["resolution"], case["called_back"]) == ("closed", "appeal_upheld", False)
    page.goto(f"{live.url}/evaluation/cases?stage=closed&window={WINDOW}")
    expect(page.locator(f'tr[data-case="{case_id}"]').get_by_test_id("stage")).to_have_text(
        "已办结（申诉成立）"
    )


def test_a_step_another_manager_took_first_is_refused_in_chinese(hall, page):
    live = hall
    case_id = bad_rating(live, "cases_c")["case_id"]
    log_in(page, live.url, f"/evaluation/cases/{case_id}")
    expect(page.get_by_test_id("stage")).to_have_text("核实")

    taken = live.api(
        "POST",
        f"/evaluations/cases/{case_id}/steps",
        "cases_boss",
        json={"action": "verify", "note": "已核实", "owner": "cases_c"},
    )
    assert taken.ok, taken.text
    take_step(page, "核实完成", "核实：态度问题属实", owner="cases_boss")  # the page still shows 核实
    expect(page.get_by_role("alert")).to_have_text("操作未完成：该差评件已进入其他环节，请刷新页面。")
    expect(page.get_by_test_id("stage")).to_have_text("整改")
    expect(page.get_by_test_id("owner")).to_have_text("cases_c名")
    assert trail(page)[1][2:4] == ["cases_boss名", "cases_c名"]
    # What the manager typed is still there, for the step the case now allows.
    expect(page.locator("textarea[name=note]")).to_have_value("核实：态度问题属实")
    expect(page.get_by_label("下一环节责任人")).to_have_value("cases_boss")
    take_step(page, "转交", "转交本人跟进整改", owner="manager")
    expect(page.get_by_role("alert")).to_have_text(f"差评件 {case_id} 已转交 {MANAGER_NAME}。")
    expect(page.get_by_test_id("stage")).to_have_text("整改")
    expect(page.get_by_test_id("owner")).to_have_text(MANAGER_NAME)


def test_an_overdue_case_is_flagged_in_the_list_on_its_page_and_on_the_managers_home(hall, page):
    live = hall
    case_id = bad_rating(live, "cases_d", reasons=("办事指南",))["case_id"]
    # The server's clock cannot be moved from here, so the case's verification deadline is
    # moved back instead, in the hall's database, as if its working day had passed unanswered.
    database = Database(make_engine(live.env["DATABASE_URL"]), SystemClock())
    with database.write() as uow:
        uow.session.execute(
            update(EvaluationCase)
            .where(EvaluationCase.id == case_id)
            .values(deadline=hall_today() - timedelta(days=10))
        )
    database.engine.dispose()

    log_in(page, live.url, "/manager/")
    overdue = len(live.api("GET", "/evaluations/cases?overdue=true", "manager").json())
    still_open = len(live.api("GET", "/evaluations/cases?stage=open", "manager").json())
    assert overdue >= 1
    expect(page.locator(".case-counts")).to_have_text(f"差评待办 {still_open} 件，其中超期 {overdue} 件")
    expect(page.get_by_test_id("overdue-count")).to_have_css("color", "rgb(179, 38, 30)")  # red

    page.get_by_test_id("overdue-count").click()
    expect(page).to_have_url(f"{live.url}/evaluation/cases?overdue=1")
    expect(page.get_by_label("只看超期")).to_be_checked()
    row = page.locator(f'tr[data-case="{case_id}"]')
    expect(row.get_by_test_id("overdue")).to_have_text("已超期")
    expect(page.locator("tbody tr")).to_have_count(overdue)
    expect(page.locator("tbody tr .badge-overdue")).to_have_count(overdue)

    row.get_by_role("link", name=f"#{case_id}").click()
    expect(page.get_by_test_id("deadline")).to_contain_text("已超期")
    expect(page.get_by_test_id("overdue")).to_have_css("background-color", "rgb(179, 38, 30)")

    # Filtered by the rated clerk, only this case; a new stage's deadline lifts the flag.
    page.goto(f"{live.url}/evaluation/cases?staff=cases_d")
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name=f"#{case_id}").click()
    take_step(page, "核实完成", "已核实，办事指南表述不清")
    expect(page.get_by_test_id("stage")).to_have_text("整改")
    expect(page.get_by_test_id("overdue")).to_have_count(0)


def test_only_managers_and_admins_open_the_follow_up(hall, browser):
    live = hall
    for path in ("/evaluation/cases", "/evaluation/cases/1", "/manager/"):
        anonymous = requests.get(f"{live.url}{path}", allow_redirects=False, timeout=10)
        assert anonymous.status_code == 302 and "/login?next=" in anonymous.headers["Location"]
        with_token = requests.get(
            f"{live.url}{path}", headers={"Authorization": f"Bearer {live.tokens['clerk1']}"}, timeout=10
        )
        assert with_token.status_code == 403, path
    refused = requests.post(
        f"{live.url}/evaluation/cases/1",
        headers={"Authorization": f"Bearer {live.tokens['clerk1']}"},
        data={"action": "verify", "note": "x"},
        timeout=10,
    )
    assert refused.status_code in (400, 403)  # no CSRF token, and no right either

    live.hallq(
        "user", "add", "cases_clerk", "--role", "clerk", "--name", "李静",
        "--password-stdin", input="clerk-password-1\n",
    )  # fmt: skip
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live.url}/login")
    page.get_by_label("用户名").fill("cases_clerk")
    page.get_by_label("密码").fill("clerk-password-1")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".who")).to_have_text("李静")
    for path in ("/evaluation/cases", "/manager/"):
        assert page.goto(f"{live.url}{path}").status == 403
    context.close()

    front = requests.get(live.url + "/", timeout=10).text
    assert 'href="/manager/"' in front and 'href="/evaluation/cases"' in front
