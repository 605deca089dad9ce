"""The kiosk and the phone page in Debian's Chromium with touch, at the kiosk's portrait
1080×1920 and landscape 1920×1080, against a real `hallq serve`."""

from __future__ import annotations

import io
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from hallq.config_files import load_hall
from queue_core.spec import CalendarDay
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import LiveHall, loaded_image_width, new_hall

pytestmark = pytest.mark.browser

SCREENS = {"portrait": {"width": 1080, "height": 1920}, "landscape": {"width": 1920, "height": 1080}}
DISCLOSURES = [
    "申报材料（请逐项备齐）",
    "办理条件",
    "办理流程",
    "办理时限",
    "收费标准",
    "设立依据",
    "窗口权限",
    "办理窗口",
]
TIMEOUT = 10_000  # ms


def open_kiosk(
    browser, url: str, token: str | None, screen: str = "portrait", clock: bool = False, device: str = "K1"
):
    context = browser.new_context(viewport=SCREENS[screen], has_touch=True, locale="zh-CN")
    page = context.new_page()
    if clock:
        page.clock.install()
    page.goto(f"{url}/kiosk/{device}" + (f"?token={token}" if token else ""))
    page.wait_for_selector(".departments .tile", timeout=TIMEOUT)
    return context, page


@pytest.fixture(params=list(SCREENS))
def kiosk(request, browser, live):
    context, page = open_kiosk(browser, live.url, live.tokens["K1"], request.param)
    yield page
    context.close()


@contextmanager
def hall_changed(live: LiveHall, change: list[str], restore: list[str], **params: object) -> Iterator[None]:
    """Change the shared live hall's database for one test, and put it back afterwards."""
    engine = create_engine(live.env["DATABASE_URL"])
    try:
        with engine.begin() as connection:
            for statement in change:
                connection.execute(text(statement), params)
        yield
    finally:
        with engine.begin() as connection:
            for statement in restore:
                connection.execute(text(statement), params)
        engine.dispose()


def open_item(page, department: str, item_text: str) -> None:
    page.locator(".departments .tile", has_text=department).tap()
    page.locator(".list .item", has_text=item_text).first.tap()
    page.wait_for_selector(".detail", timeout=TIMEOUT)


def gold_pixels(png: bytes) -> int:
    """Pixels of a lit window (#f4c542, pulsing down to 55 % over the plan's near-white floor)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = cast("Iterable[tuple[int, int, int]]", image.get_flattened_data())  # an RGB image's
    return sum(1 for r, g, b in pixels if r > 230 and g > 180 and b < 160)


def waiting_in(live: LiveHall, queue: str) -> int:
    return next(q["waiting"] for q in live.api("GET", "/queues").json() if q["code"] == queue)


def test_browse_by_department_and_read_the_eight_disclosures(kiosk, live):
    assert kiosk.url.endswith("/kiosk/K1")  # the token left the address bar...
    assert (
        kiosk.evaluate("localStorage.getItem('hallq.kiosk.K1.token')") == live.tokens["K1"]
    )  # ...for the browser
    open_item(kiosk, "青山县民政局", "结婚登记")
    assert kiosk.locator(".detail h2.title").inner_text() == "内地居民婚姻登记（结婚登记）"
    assert kiosk.locator(".section h3").all_inner_texts() == DISCLOSURES
    item_id = live.api("GET", "/items", params={"q": "内地居民婚姻登记（结婚登记）"}).json()[0]["id"]
    item = live.api("GET", f"/items/{item_id}").json()
    assert kiosk.locator(".checklist li").all_inner_texts() == item["materials"]
    assert kiosk.locator(".steps li").count() == len(item["procedure"])
    assert "4号婚姻登记窗口" in kiosk.locator(".section", has_text="办理窗口").inner_text()
    plan = kiosk.locator(".hall-map img")
    assert loaded_image_width(plan) > 0
    served = ET.fromstring(requests.get(plan.evaluate("img => img.src"), timeout=10).content)
    lit = [e.get("id") for e in served.iter() if "lit" in e.get("class", "").split()]
    assert lit == ["window-4", "window-16"]  # where to go, lit on the floor plan...
    assert gold_pixels(plan.screenshot()) > 2000  # ...in the kiosk's gold, drawn inside the image
    kiosk.locator('[data-action="back"]').tap()
    kiosk.wait_for_selector(".list .item", timeout=TIMEOUT)  # back to the department's list
    assert "内地居民婚姻登记（结婚登记）" in kiosk.locator(".list .item .name").all_inner_texts()


def test_search_by_pinyin_initials_on_the_screen_keyboard(kiosk):
    kiosk.get_by_test_id("search").tap()
    for letter in "hydj":
        kiosk.locator(".keyboard .key", has_text=letter).first.tap()
    assert kiosk.get_by_test_id("typed").input_value() == "hydj"
    # Each tap searches; the answer for "hyd" may still be on screen until "hydj"'s arrives.
    kiosk.wait_for_function(
        """() => { const names = [...document.querySelectorAll('.results .item .name')];
                   return names.length > 0 && names.every((n) => n.textContent.includes('婚姻登记')); }""",
        timeout=TIMEOUT,
    )
    names = kiosk.locator(".results .item .name").all_inner_texts()
    assert names and all("婚姻登记" in name for name in names)
    kiosk.locator(".keyboard .key", has_text="清空").tap()
    for letter in "hunyin":
        kiosk.locator(".keyboard .key", has_text=letter).first.tap()
    kiosk.wait_for_function(
        """() => [...document.querySelectorAll('.results .item .name')]
                   .some((n) => n.textContent === '内地居民婚姻登记（结婚登记）')""",
        timeout=TIMEOUT,
    )
    kiosk.keyboard.press("Escape")  # a physical keyboard types into the search too
    kiosk.keyboard.type("SFZ")
    assert kiosk.get_by_test_id("typed").input_value() == "SFZ"
    kiosk.wait_for_function(
        "document.querySelector('.results .item .name')?.textContent.startsWith('居民身份证')",
        timeout=TIMEOUT,
    )


def test_taking_a_ticket_shows_the_number_the_api_reports(kiosk, live):
    open_item(kiosk, "青山县人力资源和社会保障局", "")
    kiosk.get_by_test_id("take").tap()
    ticket_screen = kiosk.get_by_test_id("ticket")
    ticket_screen.wait_for(timeout=TIMEOUT)
    shown = kiosk.get_by_test_id("number").inner_text()
    ticket = live.api("GET", f"/tickets/{ticket_screen.get_attribute('data-ticket')}").json()
    assert ticket["number"] == shown and ticket["status"] == "waiting"
    assert kiosk.get_by_test_id("ahead").inner_text() == str(ticket["waiting_ahead"])
    assert "5号社保窗口" in ticket_screen.inner_text()
    reminder = kiosk.locator(".ticket + .section")
    assert reminder.locator("h3").inner_text() == "等候期间，请核对是否已备齐以下材料"
    assert reminder.locator(".checklist li").count() >= 1
    qr = kiosk.locator(".ticket img.qr")
    assert loaded_image_width(qr) > 0
    note = kiosk.get_by_test_id("print-note")
    kiosk.wait_for_selector("[data-testid=print-note]:has-text('请从下方出票口取走号票。')", timeout=TIMEOUT)
    assert live.api("GET", f"/tickets/{ticket['id']}").json()["print"]["status"] == "printed"
    assert note.get_attribute("role") == "status"
    kiosk.get_by_role("button", name="完成").tap()
    kiosk.wait_for_selector(".departments", timeout=TIMEOUT)


def test_a_double_tap_takes_one_ticket(kiosk, live):
    open_item(kiosk, "青山县医疗保障局", "")
    before = waiting_in(live, "D")
    kiosk.get_by_test_id("take").evaluate("button => { button.click(); button.click(); }")
    kiosk.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
    assert waiting_in(live, "D") == before + 1


def test_a_ticket_screen_is_one_citizens_at_a_time(browser, live):
    """返回 from a ticket leads home, never back to 取号; a second ticket for the same item
    moments later is asked about first; the ticket goes home by itself, counting down."""
    context, page = open_kiosk(browser, live.url, live.tokens["K1"], clock=True)
    taken: list[str] = []
    try:
        open_item(page, "住房公积金管理中心", "租赁住房")
        before = waiting_in(live, "H")
        page.get_by_test_id("take").tap()
        page.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
        taken.append(page.get_by_test_id("ticket").get_attribute("data-ticket"))
        expect(page.get_by_test_id("countdown")).to_have_text("15 秒后返回首页")
        page.locator('[data-action="back"]').tap()
        page.wait_for_selector(".departments", timeout=TIMEOUT)
        assert page.locator('[data-action="back"]').is_hidden()

        open_item(page, "住房公积金管理中心", "租赁住房")
        page.get_by_test_id("take").tap()
        expect(page.get_by_test_id("again")).to_contain_text("您刚取过号，确定再取一张吗？")
        page.get_by_role("button", name="不取了，返回首页").tap()
        page.wait_for_selector(".departments", timeout=TIMEOUT)
        assert waiting_in(live, "H") == before + 1  # no second ticket

        open_item(page, "住房公积金管理中心", "租赁住房")
        page.get_by_test_id("take").tap()
        page.get_by_role("button", name="再取一张").tap()
        page.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
        taken.append(page.get_by_test_id("ticket").get_attribute("data-ticket"))
        assert waiting_in(live, "H") == before + 2
        page.clock.run_for(10_000)
        expect(page.get_by_test_id("countdown")).to_have_text("5 秒后返回首页")
        page.clock.run_for(5_500)
        page.wait_for_selector(".departments", timeout=TIMEOUT)
        assert page.get_by_test_id("ticket").count() == 0
    finally:
        context.close()
        for ticket_id in taken:  # the shared live hall's line H as the other tests expect it
            live.api("POST", f"/tickets/{ticket_id}/cancel", "manager")


def test_the_phone_page_follows_the_ticket_live(browser, live):
    """From the events alone: the people ahead go down with each call in the queue, and its own
    call shows, without a request."""
    before = live.api("POST", "/tickets", "K1", json={"queue": "D"}).json()
    ticket = live.api("POST", "/tickets", "K1", json={"queue": "D"}).json()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(f"{live.url}/t/{ticket['key']}")
        assert phone.locator(".number").inner_text() == ticket["number"]
        phone.wait_for_function("document.querySelector('.status').textContent === '等候中'", timeout=TIMEOUT)
        ahead = live.api("GET", f"/tickets/{ticket['id']}").json()["waiting_ahead"]
        expect(phone.locator(".ahead")).to_have_text(str(ahead))
        asked: list[str] = []
        phone.on("request", lambda r: asked.append(r.url))

        assert live.api("POST", "/windows/6/sign-in", "clerk6").ok
        live.api("POST", "/windows/6/no-show", "clerk6", json={})  # what an earlier test left called
        assert live.api("POST", "/windows/6/call", "clerk6", json={"number": before["number"]}).ok
        expect(phone.locator(".ahead")).to_have_text(str(ahead - 1))
        assert live.api("POST", "/windows/6/no-show", "clerk6", json={}).ok
        assert live.api("POST", "/windows/6/call", "clerk6", json={"number": ticket["number"]}).ok
        phone.wait_for_function(
            "document.querySelector('.status').textContent === '已叫号：请到 6 号窗口办理'", timeout=TIMEOUT
        )
        assert phone.locator(".ticket").get_attribute("data-status") == "called"
        expect(phone.locator(".ahead")).to_have_text("—")
        assert asked == []
    finally:
        context.close()
    assert requests.get(f"{live.url}/t/not-a-key", timeout=5).status_code == 404


def test_the_phone_page_in_english_names_the_service_and_windows_in_english(browser, live):
    ticket = live.api("POST", "/tickets", "K1", json={"queue": "C"}).json()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(f"{live.url}/t/{ticket['key']}")
        expect(phone.locator(".item")).to_have_text("婚姻登记")
        expect(phone.locator(".windows")).to_have_text("4号婚姻登记窗口、16号无差别受理窗口")
        phone.locator(".language").tap()
        expect(phone.locator(".item")).to_have_text("Marriage registration")
        expect(phone.locator(".windows")).to_have_text(
            "Window 4 (Marriage Registration), Window 16 (All Services)"
        )
    finally:
        context.close()
        assert live.api("POST", f"/tickets/{ticket['id']}/cancel", "guide").ok


# Records what the phone page does to get its citizen's attention.
ALERT_RECORDER = """
window.__alerts = { vibrations: [], notifications: [], tones: 0 };
navigator.vibrate = (pattern) => { window.__alerts.vibrations.push(pattern); return true; };
window.Notification = class {
  constructor(title, options) { window.__alerts.notifications.push([title, options.body]); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
const tone = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () { window.__alerts.tones += 1; return tone.call(this); };
"""


def test_a_phone_page_alerts_at_three_ahead_and_when_called(browser, live):
    engine = create_engine(live.env["DATABASE_URL"])
    with engine.connect() as connection:  # the line D as earlier tests left it
        left = connection.scalars(
            text(
                "SELECT t.id FROM ticket t JOIN queue q ON q.id = t.queue_id"
                " WHERE q.code = 'D' AND t.status IN ('waiting', 'called')"
            )
        ).all()
    engine.dispose()
    for ticket_id in left:
        assert live.api("POST", f"/tickets/{ticket_id}/cancel", "manager").ok
    ahead = [live.api("POST", "/tickets", "K1", json={"queue": "D"}).json() for _ in range(4)]
    mine = live.api("POST", "/tickets", "K1", json={"queue": "D"}).json()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    context.add_init_script(ALERT_RECORDER)
    phone = context.new_page()
    alerts = lambda: phone.evaluate("window.__alerts")  # noqa: E731
    try:
        phone.goto(f"{live.url}/t/{mine['key']}")
        expect(phone.locator(".ahead")).to_have_text("4")
        phone.get_by_role("button", name="快到我时提醒我").tap()
        expect(phone.locator(".reminders-state")).to_have_text("已开启提醒：请保持本页面打开，并打开声音。")
        assert live.api("POST", "/windows/6/sign-in", "clerk6").ok
        for called in ahead[:2]:
            assert live.api("POST", "/windows/6/call", "clerk6", json={"number": called["number"]}).ok
            assert live.api("POST", "/windows/6/no-show", "clerk6", json={}).ok
            if called is ahead[0]:
                expect(phone.get_by_test_id("alert")).to_have_text("前面还有 3 人，请回到窗口附近等候。")
                phone.wait_for_function("document.title.startsWith('【前面3人】')", timeout=TIMEOUT)
        expect(phone.locator(".ahead")).to_have_text("2")
        said = alerts()
        assert said["vibrations"] == [[400, 200, 400, 200, 400]]  # once, at the mark, not again at 2
        assert said["notifications"] == [
            [f"【前面3人】{mine['number']}", "前面还有 3 人，请回到窗口附近等候。"]
        ]
        assert said["tones"] == 3

        assert live.api("POST", "/windows/6/call", "clerk6", json={"number": mine["number"]}).ok
        expect(phone.get_by_test_id("alert")).to_have_text("轮到您了，请到 6号社保窗口 办理。")
        phone.wait_for_function("document.title.startsWith('【到号】')", timeout=TIMEOUT)
        assert alerts()["notifications"][-1] == [
            f"【到号】{mine['number']}",
            "轮到您了，请到 6号社保窗口 办理。",
        ]
        assert len(alerts()["vibrations"]) == 2

        asked: list[str] = []
        phone.on("request", lambda r: asked.append(r.url))
        phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # woken from sleep
        phone.wait_for_timeout(500)
        assert any(url.endswith(f"/api/v1/tickets/{mine['id']}") for url in asked)
    finally:
        context.close()
        live.api("POST", "/windows/6/no-show", "clerk6", json={})
        for ticket in ahead[2:]:
            live.api("POST", f"/tickets/{ticket['id']}/cancel", "manager")


def test_large_text_mode_doubles_the_type_and_keeps_targets_large(kiosk):
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    normal = kiosk.evaluate(size)
    kiosk.locator('[data-action="elderly"]').tap()
    assert kiosk.evaluate(size) == 2 * normal
    assert kiosk.locator(".topics").is_visible()  # life events stay (test_accessibility: nothing is lost)
    px_per_mm = 96 / 25.4
    for tile in kiosk.locator(".departments .tile").all()[:5]:
        assert tile.bounding_box()["height"] >= 15 * px_per_mm


def test_idle_returns_home_in_chinese_and_normal_type_and_shows_the_notices(browser, live):
    """The slideshow shows the hall's notices as they are now: one a manager posts while the
    kiosk is in use comes first, and once withdrawn it is gone from the next round."""
    context, page = open_kiosk(browser, live.url, live.tokens["K1"], clock=True)
    try:
        page.locator('[data-action="language"]').tap()
        page.locator('[data-action="elderly"]').tap()
        open_item(page, "Qingshan County Civil Affairs Bureau", "")
        posted = live.api(
            "POST", "/notices", "manager", json={"title": "停车场施工", "text": "请从北门进入。"}
        )
        assert posted.status_code == 201, posted.text
        page.clock.fast_forward(59_000)
        assert page.locator(".detail").is_visible()  # not yet
        page.clock.fast_forward(2_000)
        page.wait_for_selector(".departments", timeout=TIMEOUT)
        assert page.locator(".searchbox strong").inner_text() == "搜索办事事项"
        assert "elderly" not in page.evaluate("document.documentElement.className")
        slideshow = page.get_by_test_id("notices")
        title = slideshow.locator(".notice-title")
        listed = [n["title"] for n in live.api("GET", "/notices").json()]
        assert listed[0] == "停车场施工" and {"办公时间", "一次性告知"} <= set(listed)
        expect(title).to_have_text("停车场施工", timeout=TIMEOUT)  # newest first
        expect(slideshow.locator(".notice-text")).to_have_text("请从北门进入。")
        page.clock.fast_forward(8_000)
        expect(title).to_have_text(listed[1])

        assert live.api("DELETE", f"/notices/{posted.json()['id']}", "manager").ok
        page.clock.run_for(8_000 * (len(listed) - 1))  # to the next round, which asks again
        expect(title).to_have_text(listed[1])
        page.clock.run_for(8_000 * (len(listed) - 2))
        expect(title).not_to_have_text("停车场施工")
        slideshow.tap()
        assert slideshow.is_hidden() and page.locator(".departments").is_visible()
    finally:
        context.close()


def test_english_on_one_tap(kiosk):
    kiosk.locator('[data-action="language"]').tap()
    assert kiosk.locator(".searchbox strong").inner_text() == "Search for a service"
    # The catalogue's own English, with English plurals.
    expect(kiosk.locator('.tile[data-department="MZ"]')).to_have_text(
        "Qingshan County Civil Affairs Bureau9 services"
    )
    expect(kiosk.locator('.tile[data-topic="退休"]')).to_have_text("Retirement1 service")
    open_item(kiosk, "Qingshan County Civil Affairs Bureau", "Marriage registration")
    assert kiosk.locator(".detail h2.title").inner_text().startswith("Marriage registration")
    assert kiosk.get_by_test_id("take").inner_text() == "Take a ticket"
    facts = kiosk.locator(".detail .facts")
    expect(facts).to_contain_text("For: Individuals")
    expect(facts).not_to_contain_text("：")
    expect(kiosk.locator(".section", has_text="Windows that handle it").locator("p").first).to_have_text(
        "Window 4 (Marriage Registration), Window 16 (All Services)"
    )
    # Its disclosures are in English in the demo catalogue: nothing is marked Chinese.
    expect(kiosk.locator(".checklist li").first).to_have_text(
        "Valid original resident ID cards of both parties"
    )
    expect(kiosk.locator(".section", has_text="Fees").locator("p").first).to_have_text("Free of charge")
    expect(kiosk.locator(".detail .zh-badge")).to_have_count(0)
    # English punctuation throughout: full-width marks belong to Chinese text only.
    detail = kiosk.locator(".detail").inner_text()
    assert not re.search("[：（）、，。；]", detail), re.findall(".{20}[：（）、，。；].{20}", detail)


def test_english_falls_back_to_the_chinese_marked_as_such(kiosk):
    kiosk.locator('[data-action="language"]').tap()
    open_item(kiosk, "Qingshan County Civil Affairs Bureau", "Funeral service subsidy")
    # No English materials in the catalogue: the Chinese ones, each marked 中文 and tagged
    # as Chinese for a screen reader.
    materials = kiosk.locator(".checklist li")
    expect(materials.first.locator(".zh-badge")).to_have_text("中文")
    expect(materials.first.locator('[lang="zh-CN"]')).to_have_count(1)
    assert materials.count() == kiosk.locator(".checklist li .zh-badge").count() > 0
    # Back in Chinese, no marker is shown.
    kiosk.locator('[data-action="language"]').tap()
    expect(kiosk.locator(".checklist li").first).to_be_visible()
    expect(kiosk.locator(".zh-badge")).to_have_count(0)


def test_a_full_queue_says_when_to_come_back(kiosk, live):
    live.api("POST", "/tickets", "K1", json={"queue": "F"})  # at least one ticket today...
    full = "UPDATE queue SET daily_quota = (SELECT last_seq FROM number_counter c WHERE c.queue_id = queue.id) WHERE code = 'F'"
    with hall_changed(
        live, [full], ["UPDATE queue SET daily_quota = NULL WHERE code = 'F'"]
    ):  # ...and F is full
        open_item(kiosk, "青山县自然资源局（不动产登记中心）", "")
        kiosk.get_by_test_id("take").tap()
        refusal = kiosk.get_by_test_id("refusal")
        refusal.wait_for(timeout=TIMEOUT)
        assert "该业务今日号票已发完。" in refusal.inner_text()
        assert "08:30 以后再来办理。" in refusal.inner_text()


def test_a_kiosk_without_its_token_says_it_is_not_set_up(browser, live):
    context, page = open_kiosk(browser, live.url, token=None)
    try:
        assert page.locator(".banner").inner_text() == "本机尚未完成设置：请技术人员用设备令牌打开一次。"
    finally:
        context.close()


def test_a_database_locked_for_a_while_takes_exactly_one_ticket_when_free(browser, tmp_path):
    """The server answers 503 while another program holds its SQLite file's write lock beyond
    the busy timeout (1 s here): the kiosk says it is trying again, and the ticket comes once
    the lock is gone."""
    hall = new_hall(tmp_path)
    token = hall.hallq("token", "issue", "--device", "K1").strip()
    hall.env["DATABASE_URL"] += "?timeout=1"
    server = hall.serve(tmp_path / "server.log")
    context, page = open_kiosk(browser, hall.url, token)
    other = sqlite3.connect(tmp_path / "hall.sqlite", isolation_level=None)
    try:
        open_item(page, "青山县民政局", "结婚登记")
        other.execute("BEGIN IMMEDIATE")
        page.get_by_test_id("take").tap()
        page.wait_for_selector(".banner:not([hidden])", timeout=TIMEOUT)
        assert page.locator(".banner").inner_text() == "与服务器的连接中断，正在自动重试，请稍候…"
        other.execute("ROLLBACK")
        page.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
        assert page.get_by_test_id("number").inner_text() == "C001"
        queues = requests.get(f"{hall.url}/api/v1/queues", timeout=5).json()
        assert next(q["waiting"] for q in queues if q["code"] == "C") == 1
    finally:
        other.close()
        context.close()
        server.terminate()
        server.wait(timeout=15)


def test_server_loss_and_recovery_takes_exactly_one_ticket(browser, tmp_path):
    hall = new_hall(tmp_path)
    token = hall.hallq("token", "issue", "--device", "K1").strip()
    server = hall.serve(tmp_path / "server.log")
    context, page = open_kiosk(browser, hall.url, token)
    try:
        open_item(page, "青山县民政局", "结婚登记")
        server.terminate()
        server.wait(timeout=15)
        page.get_by_test_id("take").tap()
        page.wait_for_selector(".banner:not([hidden])", timeout=TIMEOUT)
        assert page.locator(".banner").inner_text() == "与服务器的连接中断，正在自动重试，请稍候…"
        server = hall.serve(tmp_path / "server2.log")
        page.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
        assert page.get_by_test_id("number").inner_text() == "C001"
        assert page.locator(".banner").is_hidden()
        queues = requests.get(f"{hall.url}/api/v1/queues", timeout=5).json()
        assert next(q["waiting"] for q in queues if q["code"] == "C") == 1
    finally:
        context.close()
        server.terminate()
        server.wait(timeout=15)


def test_the_one_time_notice_prints_from_the_item_screen(kiosk, live):
    open_item(kiosk, "青山县民政局", "结婚登记")
    kiosk.get_by_test_id("print-notice").tap()
    kiosk.wait_for_selector(".banner:has-text('正在打印一次性告知单')", timeout=TIMEOUT)
    printer = next(p for p in live.api("GET", "/printers", "manager").json() if p["name"] == "K1")
    assert printer["status"] == "online"


def test_with_the_printer_out_of_paper_the_screen_becomes_the_ticket(browser, tmp_path):
    (tmp_path / "config").mkdir()
    for source in DEMO_CONFIG.iterdir():
        (tmp_path / "config" / source.name).write_bytes(source.read_bytes())
    hall_toml = tmp_path / "config" / "hall.toml"
    text = hall_toml.read_text(encoding="utf-8").replace(
        'printer = "dummy:"', 'printer = "dummy:?status=paper_out"', 1
    )
    hall_toml.write_text(text, encoding="utf-8")
    hall = new_hall(tmp_path)
    token = hall.hallq("token", "issue", "--device", "K1").strip()
    server = hall.serve(tmp_path / "server.log")
    context, page = open_kiosk(browser, hall.url, token)
    try:
        # Staff see it on the kiosk before anyone waits at the slot.
        page.wait_for_selector(".banner:has-text('取号打印机需要维护')", timeout=TIMEOUT)
        open_item(page, "青山县民政局", "结婚登记")
        page.get_by_test_id("take").tap()
        page.wait_for_selector(".ticket.unprinted", timeout=TIMEOUT)
        assert page.get_by_test_id("number").inner_text() == "C001"
        note = page.get_by_test_id("print-note")
        assert note.inner_text() == "打印机未能出票，您的号码依然有效：请拍照或记住您的号码。"
        assert note.get_attribute("role") == "alert"
        assert loaded_image_width(page.locator(".ticket img.qr")) > 0
        page.screenshot(path=str(tmp_path / "unprinted.png"))
        printers = requests.get(
            f"{hall.url}/api/v1/printers", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
        assert printers[0]["status"] == "paper_out" and printers[0]["alarm"] is True
        assert printers[0]["last_job"]["status"] == "failed"
    finally:
        context.close()
        server.terminate()
        server.wait(timeout=15)


def test_green_channel_with_a_guides_pin(browser, live):
    from hallq.auth import pin_digest

    change = [
        "UPDATE hall SET priority_pin = true",
        "UPDATE staff SET pin_digest = :digest WHERE username = 'guide'",
    ]
    with hall_changed(
        live,
        change,
        ["UPDATE hall SET priority_pin = false"],
        digest=pin_digest(live.env["SECRET_KEY"], "2468"),
    ):
        # At K2: the server counts wrong PINs per kiosk for 10 minutes and locks the green
        # channel at the fifth, and the accessibility walks give K1 five of them. A kiosk of
        # its own keeps this test from passing or failing by how long ago they ran.
        k2_token = live.hallq("token", "issue", "--device", "K2").strip()
        context, page = open_kiosk(browser, live.url, k2_token, device="K2")
        try:
            open_item(page, "青山县公安局（户政）", "")
            page.get_by_test_id("priority").tap()
            page.locator('[data-priority="senior"]').tap()
            for digit in "1111":
                page.locator(".pinpad .key", has_text=digit).first.tap()
            assert page.get_by_test_id("pin").inner_text() == "●●●●"
            page.get_by_role("button", name="确认").tap()
            page.wait_for_selector(".pin-message:has-text('密码不正确')", timeout=TIMEOUT)
            assert page.get_by_test_id("pin").inner_text() == ""
            for digit in "2468":
                page.locator(".pinpad .key", has_text=digit).first.tap()
            page.get_by_role("button", name="确认").tap()
            ticket_screen = page.get_by_test_id("ticket")
            ticket_screen.wait_for(timeout=TIMEOUT)
            assert page.get_by_test_id("priority-badge").inner_text() == "优先"
            ticket = live.api("GET", f"/tickets/{ticket_screen.get_attribute('data-ticket')}").json()
            assert ticket["priority"] == "senior"
        finally:
            context.close()


def test_appointment_check_in(kiosk, live):
    from datetime import UTC, datetime, timedelta

    # Queue H takes no citizens' bookings, so another system's appointment may start at any
    # minute (test_appointments): these start whenever the test runs.
    item = live.api("GET", "/items", params={"q": "临时救助"}).json()[0]
    now = datetime.now(UTC)
    codes = {
        when: live.api(
            "POST", "/appointments", "manager", json={"item_id": item["id"], "slot_start": start.isoformat()}
        ).json()["code"]
        for when, start in (("now", now - timedelta(minutes=5)), ("later", now + timedelta(hours=2)))
    }

    def enter(code: str) -> None:
        kiosk.locator(".codepad .key", has_text="✕").tap()
        for char in code:
            kiosk.locator(f'.codepad .key:text-is("{char}")').tap()
        assert kiosk.get_by_test_id("code").inner_text() == code
        kiosk.locator(".codepad .confirm").tap()

    kiosk.get_by_test_id("checkin").tap()
    enter("ZZZZZZZZ")
    kiosk.wait_for_selector(".pin-message:has-text('未找到该预约码')", timeout=TIMEOUT)
    enter(codes["later"])
    kiosk.wait_for_selector(".pin-message:has-text('预约签到将于')", timeout=TIMEOUT)
    enter(codes["now"])
    ticket_screen = kiosk.get_by_test_id("ticket")
    ticket_screen.wait_for(timeout=TIMEOUT)
    assert kiosk.get_by_test_id("priority-badge").inner_text() == "优先"
    ticket = live.api("GET", f"/tickets/{ticket_screen.get_attribute('data-ticket')}").json()
    assert ticket["priority"] == "appointment" and ticket["item_name"] == item["name"]
    assert kiosk.locator(".ticket + .section .checklist li").count() >= 1


def test_a_per_person_limit_asks_for_the_id_number(browser, live):
    limited = "UPDATE queue SET id_limit = 1 WHERE code = 'G'"
    with hall_changed(live, [limited], ["UPDATE queue SET id_limit = NULL WHERE code = 'G'"]):
        context, page = open_kiosk(browser, live.url, live.tokens["K1"])
        try:
            open_item(page, "国家税务总局青山县税务局", "契税申报")
            page.get_by_test_id("take").tap()
            for char in "110105194912310021":  # a wrong check digit, on the screen's pad
                page.locator(f'.pinpad .key:text-is("{char}")').tap()
            page.get_by_role("button", name="确认").tap()
            page.wait_for_selector(".pin-message:has-text('身份证号码有误')", timeout=TIMEOUT)
            page.locator('.pinpad .key:text-is("⌫")').tap()
            page.keyboard.type("X")  # the rest as an ID card reader types it: characters, then Enter
            # Shown with its birth date masked: nobody reads it off the screen over a shoulder.
            assert page.get_by_test_id("id-number").inner_text() == "110105********002X"
            page.keyboard.press("Enter")
            page.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
            page.get_by_role("button", name="完成").tap()
            open_item(page, "国家税务总局青山县税务局", "契税申报")
            page.get_by_test_id("take").tap()
            page.keyboard.type("11010519491231002x")
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("again")).to_contain_text("您刚取过号，确定再取一张吗？")
            page.get_by_role("button", name="再取一张").tap()
            refusal = page.get_by_test_id("refusal")
            refusal.wait_for(timeout=TIMEOUT)
            assert "该身份证号码今日在本业务的取号次数已达上限。" in refusal.inner_text()
        finally:
            context.close()


def today_in_the_hall(sessions: list[str]) -> dict[str, str]:
    """The live hall's calendar with today's sessions set (today made a working day, whatever
    the date the suite runs on), and its calendar as the demo has it, to put back."""
    usual = load_hall(DEMO_CONFIG).full_calendar()
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    changed = usual.model_copy(update={"days": [CalendarDay(date=today, sessions=sessions)]})
    return {"rules": changed.rules_text(), "usual": usual.rules_text()}


KEEP_HOURS = ["UPDATE hall SET enforce_hours = true, calendar_rules = :rules"]
RESTORE_HOURS = ["UPDATE hall SET enforce_hours = false, calendar_rules = :usual"]


def refusal_text(kiosk, live, sessions: list[str]) -> str:
    with hall_changed(live, KEEP_HOURS, RESTORE_HOURS, **today_in_the_hall(sessions)):
        open_item(kiosk, "青山县公安局出入境管理大队", "")
        kiosk.get_by_test_id("take").tap()
        refusal = kiosk.get_by_test_id("refusal")
        refusal.wait_for(timeout=TIMEOUT)
        return refusal.inner_text()


def test_after_its_last_session_a_queue_says_when_it_reopens(kiosk, live):
    now = datetime.now(ZoneInfo("Asia/Shanghai")).time()
    if now < time(0, 2):
        pytest.skip("the hall's day has just begun: no session can be over yet")
    said = refusal_text(kiosk, live, ["00:00-00:01"])
    assert "该业务当前不在取号时间内。" in said
    assert "08:30 以后再来办理。" in said  # the next working day, from opening time


def test_over_lunch_the_kiosk_says_when_the_afternoon_opens(kiosk, live):
    now = datetime.now(ZoneInfo("Asia/Shanghai")).time()
    if not time(0, 2) <= now < time(23, 57):
        pytest.skip("too near midnight for a break between two sessions of today")
    said = refusal_text(kiosk, live, ["00:00-00:01", "23:58-23:59"])
    assert "午休时间，23:58 起取号。" in said and "再来办理" not in said


def test_the_line_now_shows_before_taking_a_ticket(kiosk, live):
    """The item list and the item page say how many wait and whether the queue takes tickets,
    before 取号: over lunch, when it opens again."""
    waiting = next(q["waiting"] for q in live.api("GET", "/queues").json() if q["code"] == "E")
    kiosk.locator(".departments .tile", has_text="青山县市场监督管理局").tap()
    row = kiosk.locator(".list .item").first
    expect(row.get_by_test_id("line-now")).to_contain_text(f"当前等候 {waiting} 人")
    row.tap()
    expect(kiosk.locator(".detail").get_by_test_id("line-now")).to_contain_text(f"当前等候 {waiting} 人")
    now = datetime.now(ZoneInfo("Asia/Shanghai")).time()
    if not time(0, 2) <= now < time(23, 57):
        return  # too near midnight for a break between two sessions of today
    with hall_changed(live, KEEP_HOURS, RESTORE_HOURS, **today_in_the_hall(["00:00-00:01", "23:58-23:59"])):
        kiosk.locator('[data-action="back"]').tap()
        kiosk.locator(".list .item").first.tap()
        line = kiosk.locator(".detail").get_by_test_id("line-now")
        expect(line).to_have_text("午休时间，23:58 起取号。")
        expect(line).to_have_class(re.compile(r"\bclosed\b"))


def test_a_citizen_needing_more_time_moves_back_from_the_phone(browser, live):
    mine, *behind = [live.api("POST", "/tickets", "K1", json={"queue": "G"}).json() for _ in range(3)]
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(f"{live.url}/t/{mine['key']}")
        before = int(phone.locator(".ahead").inner_text())
        phone.get_by_role("button", name="我需要多一点时间").tap()
        expect(phone.locator(".postpone-explain")).to_have_text(
            "您的号票将在队列中后移 5 位，仅可使用一次。确定后移吗？"
        )
        phone.get_by_role("button", name="确定后移").tap()
        expect(phone.locator(".postpone-said")).to_have_text(f"已后移，您前面现在有 {before + 2} 人。")
        expect(phone.locator(".ahead")).to_have_text(str(before + 2))
        expect(phone.get_by_role("button", name="我需要多一点时间")).to_be_hidden()  # once only
        assert live.api("GET", f"/tickets/{mine['id']}").json()["waiting_ahead"] == before + 2
    finally:
        context.close()
        for ticket in (mine, *behind):
            live.api("POST", f"/tickets/{ticket['id']}/cancel", "manager")


def test_help_on_every_screen_calls_a_guide(kiosk, live):
    open_item(kiosk, "青山县民政局", "")
    kiosk.get_by_test_id("help").tap()  # from an item's page, as from any screen
    expect(kiosk.locator(".banner")).to_have_text("已通知引导员，马上就到，请在此稍候。")
    called = [
        a for a in live.api("GET", "/alarms?open=true", "manager").json() if a["kind"] == "help_requested"
    ]
    assert [a["message"] for a in called] == ["大厅入口取号机（K1）有群众求助，请引导员前往协助"]
    assert live.api("POST", f"/alarms/{called[0]['id']}/acknowledge", "manager").ok  # a guide is going
