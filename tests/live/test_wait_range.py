"""The expected wait as a range, in Debian's Chromium: the kiosk's item page and ticket screen
and the citizen's phone page read "约 X–Y 分钟" from the forecast the API gives, and "暂无估计"
where nothing honest can be said. A hall of its own: the test opens windows and serves
citizens, which the shared live hall's other modules must not see."""

from __future__ import annotations

import math
import re

import pytest
from playwright.sync_api import expect

from queue_core.models import Role
from tests.live.conftest import add_staff, lengthen_service, new_hall
from tests.live.test_kiosk import TIMEOUT, open_item, open_kiosk

pytestmark = pytest.mark.browser

# The waits reach the boards once a minute: a board opened now hears them within a pass.
SWEEPER_PASS_MS = 90_000
REAL_ESTATE = "青山县自然资源局（不动产登记中心）"  # its items wait in F, which window 10 serves alone


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    root = tmp_path_factory.mktemp("wait")
    hall = new_hall(root)
    hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
    hall.tokens |= add_staff(hall.env["DATABASE_URL"], [("clerk10", Role.CLERK), ("manager", Role.MANAGER)])
    server = hall.serve(root / "server.log")
    yield hall
    server.terminate()
    server.wait(timeout=15)


def minutes(seconds: int) -> int:
    """As the pages round (Math.round), at least 1."""
    return max(1, math.floor(seconds / 60 + 0.5))


def said(wait_range: list[int], lang: str = "zh") -> str:
    low, high = (minutes(s) for s in wait_range)
    if lang == "en":
        return f"about {low} min" if low == high else f"about {low}–{high} min"
    return f"约 {low} 分钟" if low == high else f"约 {low}–{high} 分钟"


def test_the_ticket_and_the_phone_page_show_the_forecasts_range(browser, hall):
    api = hall.api
    assert api("POST", "/windows/10/sign-in", "clerk10").ok
    served = api("POST", "/tickets", "K1", json={"queue": "F"}).json()
    for step in ("call-next", "start", "finish"):
        assert api("POST", f"/windows/10/{step}", "clerk10", json={}).ok, step
    # Its service took 12 minutes (the test cannot wait that long: the row says so).
    lengthen_service(hall.env["DATABASE_URL"], served["id"], 720)
    for _ in range(3):
        assert api("POST", "/tickets", "K1", json={"queue": "F"}).ok
    line = next(q for q in api("GET", "/queues").json() if q["code"] == "F")
    low, high = line["estimated_wait_range"]
    assert minutes(low) < minutes(high)  # a range: 3 ahead at 12 minutes each

    context, kiosk = open_kiosk(browser, hall.url, hall.tokens["K1"])
    try:
        open_item(kiosk, REAL_ESTATE, "")
        expect(kiosk.get_by_test_id("line-now")).to_have_text(
            f"当前等候 3 人 · {said(line['estimated_wait_range'])}"
        )
        kiosk.get_by_test_id("take").tap()
        screen = kiosk.get_by_test_id("ticket")
        screen.wait_for(timeout=TIMEOUT)
        ticket = api("GET", f"/tickets/{screen.get_attribute('data-ticket')}").json()
        assert ticket["waiting_ahead"] == 3
        shown = kiosk.get_by_test_id("wait").inner_text()
        assert re.fullmatch(r"约 \d+–\d+ 分钟", shown) and shown == said(ticket["estimated_wait_range"])
        phone_url = kiosk.locator(".ticket img.qr").get_attribute("alt")
    finally:
        context.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True
    ).new_page()
    try:
        phone.goto(phone_url)
        expect(phone.locator(".wait")).to_have_text(said(ticket["estimated_wait_range"]))
        phone.locator(".language").tap()
        expect(phone.locator(".wait")).to_have_text(said(ticket["estimated_wait_range"], "en"))
        # One ahead is called: the page moves up the line over its socket and scales the range
        # to the people still ahead, with no request of its own.
        assert api("POST", "/windows/10/call-next", "clerk10").ok
        expect(phone.locator(".ahead")).to_have_text("2")
        low, high = (math.floor(seconds * 2 / 3 + 0.5) for seconds in ticket["estimated_wait_range"])
        expect(phone.locator(".wait")).to_have_text(said([low, high], "en"))
    finally:
        phone.context.close()


def test_without_a_window_open_nothing_is_promised(browser, hall):
    """Queue C (婚姻登记): its windows are all closed, so its ticket has no forecast."""
    context, kiosk = open_kiosk(browser, hall.url, hall.tokens["K1"])
    try:
        open_item(kiosk, "青山县民政局", "结婚登记")
        kiosk.get_by_test_id("take").tap()
        kiosk.get_by_test_id("ticket").wait_for(timeout=TIMEOUT)
        expect(kiosk.get_by_test_id("wait")).to_have_text("暂无估计")
        ticket_id = kiosk.get_by_test_id("ticket").get_attribute("data-ticket")
        assert hall.api("GET", f"/tickets/{ticket_id}").json()["estimated_wait_range"] is None
    finally:
        context.close()


def test_the_hall_board_shows_each_queues_wait(browser, hall):
    """The sweeper tells the boards every minute (hallq.sweeper): within a pass of opening, F's
    line on the board reads what a kiosk would say of a ticket taken now."""
    line = next(q for q in hall.api("GET", "/queues").json() if q["code"] == "F")
    assert line["estimated_wait_range"] is not None  # the first test served F
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        board = context.new_page()
        board.goto(f"{hall.url}/board/hall")
        expect(board.locator('li[data-queue="F"] .wait')).to_have_text(
            said(line["estimated_wait_range"]), timeout=SWEEPER_PASS_MS
        )
        expect(board.locator('li[data-queue="C"] .wait')).to_have_text("暂无估计")  # no window open
    finally:
        context.close()
