"""The guides' desk (导服台) in Debian's Chromium on a tablet, against a real `hallq serve`:
a kiosk's 求助 appears live and is answered for every screen, a guide issues a priority
ticket under their own login, looks a ticket up by number; and each role lands on its page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.live.conftest import LiveHall, answer_help_calls, loaded_image_width, log_in

pytestmark = pytest.mark.browser

TABLETS = {"landscape": {"width": 1280, "height": 800}, "portrait": {"width": 800, "height": 1280}}
PASSWORD = "password-123"


@pytest.fixture(scope="module")
def desk_guide(live: LiveHall) -> str:
    """A guide who can log in (the shared hall's `guide` has no password), and a token of K2."""
    live.hallq("user", "add", "desk-guide", "--role", "guide", "--name", "王导", "--password-stdin",
               input=f"{PASSWORD}\n")  # fmt: skip
    live.tokens["desk-guide"] = live.hallq("token", "issue", "desk-guide").strip()
    live.tokens["K2"] = live.hallq("token", "issue", "--device", "K2").strip()
    return "desk-guide"


def tablet(browser, live: LiveHall, username: str, orientation: str = "landscape", path: str = "/guide/"):
    context = browser.new_context(viewport=TABLETS[orientation], has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live.url, path, username)
    return context, page


def open_help_calls(live: LiveHall) -> list[dict]:
    return [
        a for a in live.api("GET", "/alarms?open=true", "manager").json() if a["kind"] == "help_requested"
    ]


@pytest.mark.parametrize("orientation", list(TABLETS))
def test_a_kiosks_help_call_appears_live_and_answering_clears_it_on_the_dashboard(
    browser, live, desk_guide, orientation
):
    answer_help_calls(live)  # whatever another module left open
    guide_context, desk = tablet(browser, live, desk_guide, orientation)
    manager_context, dashboard = tablet(browser, live, "manager", path="/manager/")
    try:
        expect(desk.get_by_test_id("link")).to_have_attribute("data-online", "true")
        expect(dashboard.get_by_test_id("alarms")).to_be_visible()
        call = live.api("POST", "/help", "K2", json={}).json()
        shown = desk.locator(f'[data-testid="call"][data-alarm="{call["id"]}"]')
        expect(shown).to_contain_text("二楼取号机")
        expect(shown).to_contain_text("刚刚")
        expect(shown).to_have_class(re.compile(r"\bnew\b"))  # arrived while open: it flashes
        assert loaded_image_width(shown.get_by_test_id("place")) > 0  # K2 lit on the floor plan
        on_dashboard = dashboard.locator(f'li[data-alarm="{call["id"]}"]')
        expect(on_dashboard).to_have_attribute("data-state", "open")

        shown.get_by_role("button", name="我去处理").tap()
        expect(shown).to_have_count(0)
        expect(desk.get_by_test_id("message")).to_have_text("您已接下二楼取号机的求助。")
        expect(on_dashboard).to_have_attribute("data-state", "cleared")
        expect(on_dashboard.get_by_test_id("alarm-when")).to_contain_text("王导")
        assert open_help_calls(live) == []
    finally:
        for left in open_help_calls(live):
            live.api("POST", f"/help/{left['id']}/answer", "manager")
        guide_context.close()
        manager_context.close()


def test_a_guide_issues_a_priority_ticket_named_in_its_log_and_finds_it_by_number(browser, live, desk_guide):
    context, desk = tablet(browser, live, desk_guide)
    ticket_id = None
    try:
        desk.get_by_test_id("item-search").fill("hydj")
        desk.get_by_test_id("item").filter(has_text="结婚登记").first.tap()
        desk.locator('[data-priority="senior"]').check()
        desk.get_by_test_id("printer").select_option(label="大厅入口取号机")
        desk.get_by_test_id("issue").tap()
        number = desk.get_by_test_id("issued-number")
        expect(number).to_have_text(re.compile(r"^[A-Z]{1,2}\d{3}$"))
        expect(desk.get_by_test_id("issued-text")).to_contain_text("老年人")
        expect(desk.get_by_test_id("issued-text")).to_contain_text("正在大厅入口取号机打印")
        issued = number.inner_text()

        desk.get_by_test_id("lookup-number").fill(issued.lower())
        desk.get_by_test_id("lookup").tap()
        expect(desk.get_by_test_id("record-number")).to_have_text(issued)
        expect(desk.get_by_test_id("record-facts")).to_contain_text("等候")
        issue_step = desk.locator('[data-testid="step"][data-kind="issued"]')
        expect(issue_step).to_have_text(re.compile(r"^\d\d:\d\d\s*取号 · 王导$"))  # no badge: none shown
        ticket_id = live.api("GET", f"/tickets/lookup?number={issued}", desk_guide).json()["id"]

        desk.once("dialog", lambda dialog: dialog.accept())
        desk.get_by_test_id("cancel").tap()  # the test leaves no ticket waiting in the shared hall
        expect(desk.get_by_test_id("message")).to_have_text(f"{issued} 号已取消。")
        expect(desk.locator('[data-testid="step"][data-kind="cancelled"]')).to_contain_text("王导")
        expect(desk.get_by_test_id("cancel")).to_be_hidden()
    finally:
        if ticket_id is not None:
            live.api("POST", f"/tickets/{ticket_id}/cancel", "manager")
        context.close()


def test_looking_up_an_unknown_number_says_so_in_chinese(browser, live, desk_guide):
    context, desk = tablet(browser, live, desk_guide, "portrait")
    try:
        expect(desk.get_by_test_id("printer")).to_have_value("K1")  # the hall's guide printer
        desk.get_by_test_id("lookup-number").fill("Z999")
        desk.get_by_test_id("lookup").tap()
        message = desk.get_by_test_id("message")
        expect(message).to_be_visible()
        assert not re.search(r"[A-Za-z]{3,}", message.inner_text()), message.inner_text()
        expect(desk.get_by_test_id("record")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize(
    ("username", "role", "landing"),
    [("land-clerk", "clerk", "/panel/"), ("land-guide", "guide", "/guide/"),
     ("land-manager", "manager", "/manager/"), ("land-admin", "admin", "/manager/admin/windows")],
)  # fmt: skip
def test_each_role_lands_on_its_page_after_login(browser, live, username, role, landing):
    live.hallq("user", "add", username, "--role", role, "--name", username, "--password-stdin",
               input=f"{PASSWORD}\n")  # fmt: skip
    context = browser.new_context(viewport=TABLETS["landscape"], locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{live.url}{landing}")
    finally:
        context.close()


def test_in_english_the_desk_and_the_catalogue_speak_english(browser, live, desk_guide):
    context, desk = tablet(browser, live, desk_guide)
    try:
        desk.get_by_role("link", name="English").click()
        expect(desk.get_by_role("heading", name="Issue a ticket for someone")).to_be_visible()
        desk.get_by_test_id("item-search").fill("hydj")
        first = desk.get_by_test_id("item").first
        expect(first).to_contain_text("Marriage")
        first.tap()
        expect(desk.locator('[data-priority="senior"]').locator("..")).to_have_text("Senior citizen")
    finally:
        context.close()
