"""A manager moves a window onto a long queue during the day, in Chromium against a real
`hallq serve`: from the dashboard, its "Windows and queues" link, then boxes of the grid. The
window's panel shows its new queues without a reload, the dashboard counts the window for the
queue, the window's next call comes from it and lights the window's board and the hall board.
A supervisor sees the grid but cannot change it.

Window 13 and its clerk are this module's; the window's queues are put back as hall.toml has
them (G, E) afterwards, since the live hall is shared with the other modules."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.live.conftest import log_in, signed_in_panel

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
PASSWORD = "window-13-password"
WINDOW = 13
CONFIGURED = ["G", "E"]  # window 13's queues in the demo's hall.toml, in its order


@pytest.fixture(scope="module")
def staff(live) -> None:
    live.hallq(
        "user", "add", "zhouqiang", "--role", "clerk", "--name", "周强", "--badge", "1313",
        "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    live.hallq(
        "user", "add", "jiancha", "--role", "supervisor", "--name", "监察员",
        "--password-stdin", input="password-123\n",
    )  # fmt: skip


@pytest.fixture
def window_13_as_configured(live):
    yield
    done = live.api("PUT", f"/windows/{WINDOW}/queues", "manager", json={"queues": CONFIGURED})
    assert done.ok, done.text
    live.api("POST", f"/windows/{WINDOW}/sign-in", "manager")
    for action, body in (("no-show", {"requeue": False}), ("finish", {}), ("sign-out", None)):
        live.api("POST", f"/windows/{WINDOW}/{action}", "manager", json=body)


def clerk_panel(browser, live):
    page = signed_in_panel(browser, live.url, WINDOW, "zhouqiang", PASSWORD)
    page.set_default_timeout(TIMEOUT)
    expect(page.locator("h1")).to_have_text("13号税务窗口")
    # A busy CI machine can take seconds over the module's first write: wait as for an action.
    expect(page.get_by_test_id("clerk")).to_have_text("周强 · 1313", timeout=TIMEOUT)
    return page


def test_a_manager_moves_a_window_onto_a_queue_and_everything_follows(
    live, browser, page, staff, window_13_as_configured
):
    panel = clerk_panel(browser, live)
    panel_queues = panel.get_by_test_id("queues")
    expect(panel_queues).to_contain_text("E 企业开办")
    expect(panel_queues).not_to_contain_text("C 婚姻登记")

    boards = browser.new_context(viewport={"width": 1280, "height": 320}, locale="zh-CN")
    window_board = boards.new_page()
    window_board.goto(f"{live.url}/board/window/{WINDOW}")
    hall_board = boards.new_page()
    hall_board.set_viewport_size({"width": 1920, "height": 1080})
    hall_board.goto(f"{live.url}/board/hall")
    expect(window_board.get_by_test_id("clerk-name")).to_contain_text("周强")

    log_in(page, live.url, "/manager/", "manager", TIMEOUT)
    expect(page.locator(".dashboard")).to_have_attribute("data-live", "true")
    open_for_c = page.locator('tr[data-queue="C"]').get_by_test_id("open")
    open_before, windows_before = (int(n) for n in open_for_c.inner_text().split(" / "))

    grid = page.context.new_page()  # the dashboard stays open beside it, to be watched
    grid.set_default_timeout(TIMEOUT)
    grid.goto(f"{live.url}/manager/")
    grid.get_by_test_id("admin-link").click()  # the first click
    box = grid.get_by_label(f"{WINDOW} 号窗口办理 C 队列")
    expect(box).not_to_be_checked()
    box.check()  # the second: window 13 now serves C as well
    expect(grid.get_by_test_id("toast")).to_contain_text(f"{WINDOW} 号窗口现在办理：G E C。")
    expect(panel_queues).to_contain_text("C 婚姻登记")  # no reload: the panel heard it
    expect(open_for_c).to_have_text(f"{open_before + 1} / {windows_before + 1}")

    # Then only C: the window's next call can come from nowhere else.
    grid.get_by_label(f"{WINDOW} 号窗口办理 G 队列").uncheck()
    expect(grid.get_by_test_id("toast")).to_contain_text(f"{WINDOW} 号窗口现在办理：E C。")
    grid.get_by_label(f"{WINDOW} 号窗口办理 E 队列").uncheck()
    expect(grid.get_by_test_id("toast")).to_contain_text(f"{WINDOW} 号窗口现在办理：C。")
    expect(panel_queues).not_to_contain_text("E 企业开办")
    expect(panel_queues).to_contain_text("C 婚姻登记")

    ticket = live.api("POST", "/tickets", "K1", json={"queue": "C"})
    assert ticket.status_code == 201, ticket.text
    panel.get_by_role("button", name="叫号", exact=True).click()
    expect(panel.get_by_test_id("number")).to_have_text(re.compile(r"^C\d{3}$"))
    called = panel.get_by_test_id("number").inner_text()
    expect(window_board.get_by_test_id("number")).to_have_text(called)
    expect(hall_board.get_by_test_id("latest")).to_contain_text(called)

    # Undo puts back what the grid showed before the last change.
    grid.get_by_test_id("toast").get_by_role("button", name="撤销").click()
    expect(grid.get_by_test_id("toast")).to_contain_text(f"{WINDOW} 号窗口现在办理：E C。")
    expect(grid.get_by_label(f"{WINDOW} 号窗口办理 E 队列")).to_be_checked()
    expect(panel_queues).to_contain_text("E 企业开办")
    boards.close()
    panel.context.close()


def test_a_supervisor_sees_the_grid_but_cannot_change_it(live, page, staff):
    log_in(page, live.url, "/manager/admin/windows", "jiancha", TIMEOUT)
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_label(f"{WINDOW} 号窗口办理 E 队列")).to_be_disabled()
    refused = page.evaluate(
        """async () => (await fetch("/api/v1/windows/13/queues", {method: "PUT",
             headers: {"Content-Type": "application/json",
                       "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
             body: JSON.stringify({queues: ["C"]})})).status"""
    )
    assert refused == 403
