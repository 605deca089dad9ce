"""The clerk's window panel in Chromium against a real `hallq serve`: log in, sign in at the
window, and serve with the keyboard, as a clerk does. Windows 7 and 8 are this module's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.live.conftest import loaded_image_width

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
PASSWORD = "window-8-password"


@pytest.fixture(scope="module")
def clerk(live) -> str:
    live.hallq(
        "user", "add", "wangfang", "--role", "clerk", "--name", "王芳", "--badge", "0808",
        "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    return "wangfang"


@pytest.fixture
def panel(browser, live, clerk):
    """A clerk's browser, logged in, at the panel of window 8."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{live.url}/panel/")
    page.fill("input[name=username]", clerk)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="8号企业开办窗口").click()
    expect(page.locator("h1")).to_have_text("8号企业开办窗口")
    yield page
    # Leave window 8 closed and empty for the next test.
    live.api("POST", "/windows/8/sign-in", "manager")
    for action, body in (("no-show", {}), ("finish", {}), ("resume", None), ("sign-out", None)):
        live.api("POST", f"/windows/8/{action}", "manager", json=body)
    context.close()


def issue(live, queue: str = "E") -> dict:
    response = live.api("POST", "/tickets", "K1", json={"queue": queue})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_clerk_signs_in_and_serves_with_the_keyboard(live, panel):
    page = panel
    expect(page.get_by_test_id("details")).to_have_text("您尚未在本窗口挂牌上岗。")
    expect(page.get_by_role("button", name="叫号", exact=True)).to_be_disabled()
    page.get_by_role("button", name="挂牌上岗").click()
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    expect(page.get_by_test_id("clerk")).to_have_text("王芳 · 0808")

    ticket = issue(live)
    # The queue's count arrives over Socket.IO, without a reload.
    expect(page.get_by_test_id("queues").locator("tr", has_text="企业开办")).to_contain_text("E")
    page.keyboard.press("n")
    number = page.get_by_test_id("number")
    expect(number).not_to_be_empty()
    called = number.inner_text()
    assert called[0] == "E" and called <= ticket["number"]
    expect(page.get_by_test_id("state")).to_have_text("呼叫中")

    page.keyboard.press("n")  # a second 叫号 while the citizen is called: refused, with why
    expect(page.get_by_test_id("message")).to_have_text(
        f"{called} 号仍在窗口：请先办结（F）、过号（X）或转移（T）。"
    )
    page.keyboard.press("s")
    expect(page.get_by_test_id("state")).to_have_text("办理中")
    page.keyboard.press("f")
    expect(page.get_by_role("dialog")).to_contain_text("办理结果")
    page.keyboard.press("2")  # 补正材料
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    expect(page.get_by_test_id("number")).to_be_empty()
    expect(page.get_by_test_id("today").locator(".served")).to_have_text("1")
    followed = live.api("GET", f"/tickets/{ticket['id']}").json() if called == ticket["number"] else None
    assert followed is None or followed["status"] == "finished"


def test_a_call_costs_the_panel_one_post_and_no_read(live, panel):
    """The panel draws the POST's answer and the window's pushes; it reads GET /panel only when
    a push brings another ticket or clerk than it shows."""
    page = panel
    page.get_by_role("button", name="挂牌上岗").click()
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    ticket = issue(live)
    expect(page.get_by_test_id("queues").locator("tr", has_text="企业开办")).not_to_contain_text("无人等候")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(f"{r.method} {r.url.removeprefix(live.url)}"))

    page.keyboard.press("n")
    expect(page.get_by_test_id("state")).to_have_text("呼叫中")
    called = page.get_by_test_id("number").inner_text()
    # Another actor at the window (here its manager; a hardware caller alike) starts the
    # service: the push, which comes after the call's own, moves the panel on by itself.
    assert live.api("POST", "/windows/8/start", "manager").status_code == 200
    expect(page.get_by_test_id("state")).to_have_text("办理中")
    expect(page.get_by_test_id("details")).to_contain_text("已办理 0 分钟")
    assert requests == ["POST /api/v1/windows/8/call-next"], requests
    assert called <= ticket["number"]

    # Someone else finishes the service: the clerk's day and the ticket at the window are not
    # in the push, so the panel reads itself once.
    live.api("POST", "/windows/8/finish", "manager", json={})
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    assert requests.count("GET /api/v1/windows/8/panel") == 1, requests


def test_pause_with_a_reason_and_resume(live, panel):
    page = panel
    page.get_by_role("button", name="挂牌上岗").click()
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    page.keyboard.press("p")
    expect(page.get_by_role("dialog")).to_contain_text("暂停原因")
    page.keyboard.press("2")  # 会议
    expect(page.get_by_test_id("state")).to_have_text("暂停服务")
    expect(page.get_by_test_id("details")).to_have_text("已暂停：会议。按“恢复”（P）继续服务。")
    window = next(w for w in live.api("GET", "/windows").json() if w["number"] == 8)
    assert (window["state"], window["pause_reason"]) == ("paused", "会议")
    expect(page.get_by_role("button", name="叫号", exact=True)).to_be_disabled()
    page.keyboard.press("p")
    expect(page.get_by_test_id("state")).to_have_text("空闲")


def test_transfer_to_another_window_with_a_note(live, panel):
    page = panel
    page.get_by_role("button", name="挂牌上岗").click()
    issue(live)
    page.get_by_role("button", name="叫号", exact=True).click()
    expect(page.get_by_test_id("number")).not_to_be_empty()
    moved = page.get_by_test_id("number").inner_text()
    page.keyboard.press("t")
    page.get_by_label("转至").select_option(label="7号医保窗口")
    page.get_by_label("转移说明（给接办人员）").fill("企业职工医保，需核对参保记录")
    page.get_by_role("dialog").get_by_role("button", name="转移").click()
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    expect(page.get_by_test_id("number")).to_be_empty()

    live.api("POST", "/windows/7/sign-in", "clerk7")
    assert live.api("GET", "/windows/7/panel", "clerk7").json()["waiting_here"] >= 1
    taken = live.api("POST", "/windows/7/call", "clerk7", json={"number": moved}).json()
    assert taken["ticket"]["number"] == moved
    panel7 = live.api("GET", "/windows/7/panel", "clerk7").json()
    assert panel7["transfer_note"] == "企业职工医保，需核对参保记录"
    live.api("POST", "/windows/7/no-show", "clerk7", json={})
    live.api("POST", "/windows/7/sign-out", "clerk7")


def test_a_clerk_of_another_window_sees_who_is_signed_in(live, browser, panel):
    page = panel
    live.api("POST", "/windows/8/sign-in", "manager")
    page.reload()
    expect(page.get_by_test_id("details")).to_have_text("本窗口当前在岗：张敏（工号 ）。")
    expect(page.get_by_role("button", name="挂牌上岗")).to_be_visible()


def test_a_call_from_the_panel_lights_the_window_board_and_the_hall_board(live, browser, panel):
    boards = browser.new_context(viewport={"width": 1280, "height": 320}, locale="zh-CN")
    window_board = boards.new_page()
    window_board.goto(f"{live.url}/board/window/8")
    hall_board = boards.new_page()
    hall_board.set_viewport_size({"width": 1920, "height": 1080})
    hall_board.goto(f"{live.url}/board/hall")
    page = panel
    page.get_by_role("button", name="挂牌上岗").click()
    expect(window_board.get_by_test_id("clerk-name")).to_contain_text("王芳")
    issue(live)

    page.keyboard.press("n")
    expect(page.get_by_test_id("number")).not_to_be_empty()
    called = page.get_by_test_id("number").inner_text()
    expect(window_board.get_by_test_id("number")).to_have_text(called)
    expect(hall_board.get_by_test_id("latest")).to_contain_text(called)
    number = window_board.get_by_test_id("number")
    calls = int(number.get_attribute("data-calls"))

    page.keyboard.press("r")  # 重呼: the board blinks again and the hall hears it again
    expect(number).to_have_attribute("data-calls", str(calls + 1))
    expect(number).to_have_class(re.compile(r"\bblink\b"))
    hall_board.wait_for_function("n => hallqVoice.log.filter(a => a.number === n).length === 2", arg=called)
    spoken = hall_board.evaluate("n => hallqVoice.log.filter(a => a.number === n).map(a => a.recall)", called)
    assert spoken == [False, True]
    boards.close()


def test_the_window_board_shows_the_clerks_photo_when_the_hall_has_one(live, browser, panel):
    from pathlib import Path

    from PIL import Image

    photos = Path(live.env["HALLQ_CONFIG"]) / "photos"
    photos.mkdir(exist_ok=True)
    Image.new("RGB", (300, 400), (200, 60, 40)).save(photos / "0808.png")
    board = browser.new_page(viewport={"width": 1280, "height": 320})
    board.goto(f"{live.url}/board/window/8")
    photo = board.get_by_test_id("clerk-photo")
    expect(board.get_by_test_id("window-no")).not_to_be_empty()
    initial = board.get_by_test_id("clerk-initial")
    expect(photo).to_be_hidden()  # nobody signed in
    expect(initial).to_be_hidden()
    panel.get_by_role("button", name="挂牌上岗").click()
    expect(photo).to_be_visible()
    expect(initial).to_be_hidden()
    assert loaded_image_width(photo) == 300
    box = photo.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 320

    live.api("POST", "/windows/8/sign-in", "clerk8")  # a colleague without a photo takes over
    expect(board.get_by_test_id("clerk-name")).to_have_text("clerk8名")
    expect(photo).to_be_hidden()
    expect(initial).to_have_text("c")  # the surname's place: the name's first character
    initial_box = initial.bounding_box()
    assert initial_box and initial_box["height"] == box["height"]  # the photo's frame
    board.close()
