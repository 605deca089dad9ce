"""The managers' live dashboard (/manager/) in Chromium against a real `hallq serve`: it
follows tickets issued and called without a reload, and an alarm appears, is acknowledged
with 确认 and stays listed, acknowledged, then cleared.

Queue H and windows 14 and 15 are this module's, with clerks of its own; the live hall is
shared with the other modules, so every assertion is about what this module made."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from queue_core.models import Role
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import add_device_token, add_staff, lengthen_service, log_in, new_hall

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms


def open_dashboard(page, url: str, username: str = "manager") -> None:
    log_in(page, url, "/manager/", username, TIMEOUT)
    expect(page.locator(".dashboard")).to_have_attribute("data-live", "true")


def ok(hall, method: str, path: str, who: str, **kw: object):
    done = hall.api(method, path, who, **kw)
    assert done.ok, done.text
    return done


def free_window(hall, number: int, who: str) -> None:
    """The clerk signed in at the window, open and without a ticket, whatever was left there."""
    ok(hall, "POST", f"/windows/{number}/sign-in", who)
    state = next(w for w in hall.api("GET", "/windows").json() if w["number"] == number)["state"]
    undo = {"paused": ("resume", {}), "called": ("no-show", {"requeue": False}), "serving": ("finish", {})}
    if state in undo:
        action, body = undo[state]
        ok(hall, "POST", f"/windows/{number}/{action}", who, json=body)


def test_the_dashboard_follows_a_ticket_issued_and_called(live, page):
    live.tokens |= add_staff(live.env["DATABASE_URL"], [("dash_a", Role.CLERK)])
    open_dashboard(page, live.url)
    expect(page.locator("h1")).to_have_text("青山县政务服务中心")
    queue_h = page.locator('tr[data-queue="H"]')
    window14 = page.locator('tr[data-window="14"]')
    expect(queue_h.get_by_test_id("name")).to_have_text("H 综合受理")
    free_window(live, 14, "dash_a")
    expect(window14.get_by_test_id("clerk")).to_have_text("dash_a名 · Bdash_a")
    waiting = int(queue_h.get_by_test_id("waiting").inner_text())
    issued = int(page.get_by_test_id("total-issued").inner_text())
    arrivals = page.evaluate("() => Chart.getChart(document.querySelector('[data-testid=flow-chart]'))"
                             ".data.datasets[0].data.reduce((a, b) => a + b, 0)")  # fmt: skip

    ticket = ok(live, "POST", "/tickets", "K1", json={"queue": "H"}).json()
    expect(queue_h.get_by_test_id("waiting")).to_have_text(str(waiting + 1))
    expect(page.get_by_test_id("total-issued")).to_have_text(str(issued + 1))
    expect(queue_h.get_by_test_id("longest")).not_to_have_text("—")
    assert page.evaluate("() => Chart.getChart(document.querySelector('[data-testid=flow-chart]'))"
                         ".data.datasets[0].data.reduce((a, b) => a + b, 0)") == arrivals + 1  # fmt: skip

    ok(live, "POST", "/windows/14/call", "dash_a", json={"number": ticket["number"]})
    expect(window14.get_by_test_id("detail")).to_contain_text(ticket["number"])
    expect(window14.get_by_test_id("state")).not_to_have_text("空闲")
    expect(queue_h.get_by_test_id("waiting")).to_have_text(str(waiting))
    served = int(window14.get_by_test_id("served").inner_text())
    ok(live, "POST", "/windows/14/start", "dash_a")
    ok(live, "POST", "/windows/14/finish", "dash_a", json={"outcome": "completed"})
    expect(window14.get_by_test_id("served")).to_have_text(str(served + 1))
    expect(window14.get_by_test_id("detail")).not_to_contain_text(ticket["number"])
    # The follow-up counts of the former home page are still there.
    expect(page.locator(".case-counts")).to_contain_text("差评待办")


@pytest.fixture(scope="module")
def quick_hall(tmp_path_factory):
    """A hall of its own whose windows alarm after 3 s of pause and whose queue E's tickets after
    a minute's wait, checked every second."""
    root = tmp_path_factory.mktemp("alarms")
    shutil.copytree(DEMO_CONFIG, root / "config")
    toml = root / "config" / "hall.toml"
    text = toml.read_text(encoding="utf-8")
    assert "pause_minutes = 20 " in text and "# scan_seconds = 15 " in text
    text = text.replace("pause_minutes = 20 ", "pause_minutes = 0.05 ").replace(
        "# scan_seconds = 15 ", "scan_seconds = 1 "
    )
    # Queue E's tickets are over their target after a minute.
    text, replaced = re.subn(r'(code = "E"\n(?:.*\n)*?target_wait_minutes = )30', r"\g<1>1", text, count=1)
    assert replaced == 1
    toml.write_text(text, encoding="utf-8")
    hall = new_hall(root)
    hall.hallq("user", "add", "manager", "--role", "manager", "--name", "张敏", "--password-stdin",
               input="password-123\n")  # fmt: skip
    hall.hallq("user", "add", "watcher", "--role", "supervisor", "--name", "监察员", "--password-stdin",
               input="password-123\n")  # fmt: skip
    hall.tokens |= add_staff(
        hall.env["DATABASE_URL"], [("dash_b", Role.CLERK), ("dash_c", Role.CLERK), ("dash_m", Role.MANAGER)]
    )
    hall.tokens["K1"] = add_device_token(hall.env["DATABASE_URL"], "kiosk", "K1")
    server = hall.serve(root / "server.log")
    yield hall
    server.terminate()
    server.wait(timeout=15)


def test_an_alarm_appears_is_acknowledged_and_stays_listed(quick_hall, page, browser):
    hall = quick_hall
    open_dashboard(page, hall.url)
    ok(hall, "POST", "/windows/15/sign-in", "dash_b")
    ok(hall, "POST", "/windows/15/pause", "dash_b", json={"reason": "会议"})
    alarm = page.locator('li[data-kind="pause_too_long"][data-subject="window:15"]')
    expect(alarm).to_have_attribute("data-state", "open", timeout=15_000)
    expect(alarm.get_by_test_id("alarm-text")).to_have_text(re.compile(r"^15号综合受理窗口.*会议"))
    expect(page.get_by_test_id("alarm-count")).not_to_have_text("")

    # A supervisor sees it, with no button to acknowledge it.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        other = context.new_page()
        open_dashboard(other, hall.url, "watcher")
        watched = other.locator('li[data-kind="pause_too_long"][data-subject="window:15"]')
        expect(watched).to_have_attribute("data-state", "open")
        expect(watched.get_by_role("button")).to_have_count(0)

        alarm.get_by_role("button", name="确认").click()
        expect(alarm).to_have_attribute("data-state", "acknowledged")
        expect(alarm.get_by_test_id("alarm-when")).to_contain_text("张敏")
        expect(alarm.get_by_role("button")).to_have_count(0)
        expect(watched).to_have_attribute("data-state", "acknowledged")  # pushed to every dashboard
    finally:
        context.close()

    # Resumed: the alarm clears and stays in the list, acknowledged and cleared.
    ok(hall, "POST", "/windows/15/resume", "dash_b")
    expect(alarm).to_have_attribute("data-state", "cleared")
    expect(alarm.get_by_test_id("alarm-when")).to_contain_text("张敏")
    page.reload()
    expect(page.locator('li[data-subject="window:15"]')).to_have_attribute("data-state", "cleared")


def test_a_stuck_window_is_alarmed_and_the_manager_resets_it(quick_hall, page):
    """A window whose ticket was cancelled under it (what a race once left): the dashboard
    says so in the hall's words, and its 复位窗口 frees the window, with a reason."""
    hall = quick_hall
    open_dashboard(page, hall.url)
    ok(hall, "POST", "/windows/14/sign-in", "dash_b")
    issued = ok(hall, "POST", "/tickets", "K1", json={"queue": "A"}).json()
    ok(hall, "POST", "/windows/14/call", "dash_b", json={"number": issued["number"]})
    engine = create_engine(hall.env["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE ticket SET status = 'cancelled' WHERE id = :id"), {"id": issued["id"]})
    engine.dispose()
    alarm = page.locator('li[data-kind="invariant_broken"][data-subject="window:14"]')
    expect(alarm).to_have_attribute("data-state", "open", timeout=15_000)
    expect(alarm.locator(".kind")).to_have_text("窗口卡号")
    expect(alarm.get_by_test_id("alarm-text")).to_have_text(
        f"14 号窗口的当前号 {issued['number']} 已是“已取消”：复位前无法继续叫号"
    )
    page.once("dialog", lambda dialog: dialog.accept("叫号与取消同时发生"))
    alarm.get_by_test_id("reset-window").click()
    expect(alarm).to_have_attribute("data-state", "cleared")
    expect(page.get_by_test_id("message")).to_have_text("14 号窗口已复位")
    ok(hall, "POST", "/windows/14/sign-out", "dash_b")


def test_thirty_tickets_over_target_are_one_incident_acknowledged_in_one_click(quick_hall, page):
    """Thirty tickets over queue E's target make one line on a laptop's dashboard, counting 30,
    escalated (colour and chime) and acknowledged in one click; the alarms column leaves the
    queues and windows on the screen; the incident closes itself when its tickets are gone."""
    hall = quick_hall
    page.set_viewport_size({"width": 1366, "height": 768})
    open_dashboard(page, hall.url)
    tickets = [ok(hall, "POST", "/tickets", "K1", json={"queue": "E"}).json() for _ in range(30)]
    incident = page.locator('li[data-kind="wait_over_target"][data-subject="queue:E"]')
    try:
        expect(incident).to_have_attribute("data-count", "30", timeout=120_000)
        expect(page.locator('li[data-kind="wait_over_target"]')).to_have_count(1)
        expect(incident.get_by_test_id("incident-count")).to_have_text("30")
        expect(incident.get_by_test_id("alarm-when")).to_contain_text("30 条")
        expect(incident).to_have_attribute("data-escalated", "true")
        expect(page.locator(".dashboard[data-chimed]")).to_have_count(1)
        for table in ("queues", "windows"):
            box = page.get_by_test_id(table).locator("tbody tr").first.bounding_box()
            assert box and box["y"] + box["height"] <= 768, f"the {table} are pushed off the screen"

        incident.get_by_role("button", name="确认").click()
        expect(incident).to_have_attribute("data-state", "acknowledged")
        expect(incident.get_by_role("button")).to_have_count(0)
        waits = [
            a
            for a in hall.api("GET", "/alarms?open=true", "dash_m").json()
            if a["kind"] == "wait_over_target"
        ]
        assert len(waits) == 30 and {a["state"] for a in waits} == {"acknowledged"}
        assert {a["acknowledged_by"] for a in waits} == {"张敏"}
    finally:
        for ticket in tickets:
            ok(hall, "POST", f"/tickets/{ticket['id']}/cancel", "dash_m")
    expect(incident).to_have_attribute("data-state", "cleared", timeout=15_000)


def test_the_advisor_proposes_a_window_for_a_long_queue_and_one_click_applies_it(quick_hall, page):
    """Queue E with twelve waiting and one window open (a service there took 10 minutes), and
    window 14 signed in with nothing to do: the dashboard proposes that 14 serve E too, with the
    waits before and after; 采纳 adds E to window 14 through the grid's own call, audited as
    advised, and 撤销 puts window 14 back."""
    hall = quick_hall
    free_window(hall, 8, "dash_c")
    served = ok(hall, "POST", "/tickets", "K1", json={"queue": "E"}).json()
    for step, body in (
        ("call", {"number": served["number"]}),
        ("start", {}),
        ("finish", {"outcome": "completed"}),
    ):
        ok(hall, "POST", f"/windows/8/{step}", "dash_c", json=body)
    lengthen_service(hall.env["DATABASE_URL"], served["id"], 600)
    tickets = [ok(hall, "POST", "/tickets", "K1", json={"queue": "E"}).json() for _ in range(12)]
    free_window(hall, 14, "dash_b")
    try:
        open_dashboard(page, hall.url)
        move = page.get_by_test_id("advice").locator('.move[data-queue="E"]')
        expect(move).to_have_count(1)
        window = move.get_attribute("data-window")
        before, after = re.search(r"预计等候 (\d+) → (\d+) 分钟", move.inner_text()).groups()
        assert int(after) < int(before), move.inner_text()
        expect(move).to_contain_text(f"{window}号")
        move.get_by_role("button", name="采纳").click()
        expect(page.get_by_test_id("message")).to_contain_text("加办 E 类业务")
        expect(move).to_have_count(0)
        windows = {w["number"]: w["queues"] for w in hall.api("GET", "/windows").json()}
        assert "E" in windows[int(window)]
        [entry] = hall.api("GET", "/audit?action=api.put_window_queues&limit=1", "dash_m").json()
        assert entry["actor"]["id"] == "manager" and entry["detail"]["advised"] is True

        page.get_by_test_id("undo-advice").click()
        expect(page.get_by_test_id("message")).to_have_text("已撤销：窗口恢复原来的业务。")
        windows = {w["number"]: w["queues"] for w in hall.api("GET", "/windows").json()}
        assert "E" not in windows[int(window)]
    finally:
        for ticket in tickets:
            ok(hall, "POST", f"/tickets/{ticket['id']}/cancel", "dash_m")
        ok(hall, "POST", "/windows/8/sign-out", "dash_c")
        ok(hall, "POST", "/windows/14/sign-out", "dash_b")
