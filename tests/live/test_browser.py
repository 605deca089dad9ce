"""The front page in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_front_page_speaks_chinese_and_switches_to_english(live, page):
    live.api("POST", "/windows/5/sign-in", "clerk5")
    for _ in range(2):
        live.api("POST", "/tickets", "K1", json={"queue": "D"})
    live.api("POST", "/windows/5/call-next", "clerk5")

    page.goto(live.url + "/")
    assert page.locator("h1").inner_text() == "青山县政务服务中心"
    assert page.locator("html").get_attribute("lang") == "zh-CN"  # even for an English browser
    queue_d = page.locator('li[data-queue="D"]')
    assert queue_d.locator(".name").inner_text() == "社保医保"
    assert queue_d.locator(".waiting").inner_text() == "1 人等候"
    window5 = page.locator('tr[data-window="5"]')
    assert "呼叫中" in window5.inner_text() and "clerk5名" in window5.inner_text()
    assert window5.locator(".current").inner_text() == "D001"

    page.get_by_role("link", name="English").click()
    assert queue_d.locator(".name").inner_text() == "Social and medical insurance"
    assert queue_d.locator(".waiting").inner_text() == "1 waiting"
    assert "Calling" in window5.inner_text()
    page.goto(live.url + "/")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "en"


def test_staff_login_form(live, page):
    page.goto(live.url + "/login")
    page.get_by_label("用户名").fill("manager")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误。"
    page.get_by_label("密码").fill("password-123")
    page.get_by_role("button", name="登录").click()
    assert page.locator(".who").inner_text() == "张敏"
    page.get_by_role("button", name="退出").click()
    assert page.get_by_role("link", name="工作人员登录").is_visible()
