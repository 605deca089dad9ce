"""The hall's floor plan replaced in the browser, in Chromium against a real `hallq serve`: a
plan with a shape for a window the hall lacks is refused with the problem named and changes
nothing; one with a script is taken without it, and the page names what was left out; it is
what the kiosk shows next; the config folder's plan comes back with one button. The live hall
is shared: the config's plan is put back afterwards."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.conftest import DEMO_CONFIG
from tests.live.conftest import loaded_image_width, log_in
from tests.live.test_kiosk import open_item, open_kiosk

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
CONFIG_PLAN = (DEMO_CONFIG / "hall-map.svg").read_text(encoding="utf-8")
# The demo's plan with window 16's shape gone and a mark to recognise it by.
NEW_PLAN = CONFIG_PLAN.replace('id="window-16"', 'id="lounge"').replace(
    "</svg>", '<text id="new-plan" x="10" y="20">新平面图</text><script>alert(1)</script></svg>'
)
BAD_PLAN = NEW_PLAN.replace('id="lounge"', 'id="window-99"')


@pytest.fixture
def config_plan_afterwards(live):
    yield
    assert live.api("DELETE", "/hall/map", "manager").ok


def kiosk_plan(live) -> str:
    return requests.get(f"{live.url}/kiosk/map.svg", timeout=10).text


def upload(page, name: str, text: str) -> None:
    page.get_by_test_id("map-form").locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "image/svg+xml", "buffer": text.encode()}]
    )
    page.get_by_test_id("map-form").locator("button[type=submit]").click()


def test_a_manager_replaces_the_floor_plan_and_the_kiosk_shows_it(
    live, page, browser, config_plan_afterwards
):
    assert 'id="window-16"' in CONFIG_PLAN and "<script" not in CONFIG_PLAN
    log_in(page, live.url, "/manager/admin/map", "manager", TIMEOUT)
    expect(page.get_by_test_id("map-image")).to_be_visible()
    expect(page.get_by_test_id("map-missing")).to_have_count(0)  # the demo's plan draws all 16

    upload(page, "bad.svg", BAD_PLAN)
    problems = page.get_by_test_id("problems")
    expect(problems).to_have_text('bad.svg：id="window-99"：大厅没有 99 号窗口')
    assert "new-plan" not in kiosk_plan(live)  # nothing was changed

    upload(page, "new.svg", NEW_PLAN)
    expect(page.get_by_test_id("map-missing")).to_contain_text("16")  # the page reloaded
    expect(page.get_by_test_id("map-removed").locator("li")).to_have_text(
        ["<script>: 元素已去掉：平面图只保留图形、文字、分组、渐变、裁剪和滤镜"]
    )
    assert loaded_image_width(page.get_by_test_id("map-image")) > 0
    plan = kiosk_plan(live)
    assert "新平面图" in plan and "script" not in plan and "alert" not in plan
    context, kiosk = open_kiosk(browser, live.url, live.tokens["K1"])
    try:
        open_item(kiosk, "青山县民政局", "")
        image = kiosk.locator(".hall-map img")
        assert loaded_image_width(image) > 0
        assert requests.get(image.evaluate("img => img.src"), timeout=10).text.count("新平面图") == 1
    finally:
        context.close()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("map-reset").locator("button").click()
    expect(page.get_by_test_id("map-missing")).to_have_count(0)
    expect(page.get_by_test_id("map-removed")).to_have_count(0)
    assert "new-plan" not in kiosk_plan(live)
