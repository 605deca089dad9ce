"""The calendar's administration page in Chromium against a real `hallq serve`, in Chinese: a
manager enters a closure for a coming day, sees it in the coming two weeks and among the
dated days, and withdraws it; a day from calendar.toml cannot be withdrawn there.

The live hall is shared with the other modules: this module's day is 30 days ahead, and it
is withdrawn when done."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.live.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_manager_enters_a_closure_and_withdraws_it(live, page):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    day = today + timedelta(days=10)  # within the coming two weeks
    log_in(page, live.url, "/manager/admin/calendar")
    expect(page.get_by_role("heading", name="日历", exact=True)).to_be_visible()
    if date(today.year, 11, 1) <= today:  # next year's holidays: known to the package or not
        warning = page.get_by_test_id("calendar-warning")
        if warning.count():
            expect(warning).to_contain_text(f"{today.year + 1} 年的法定节假日尚未录入")

    form = page.get_by_test_id("day-form")
    form.get_by_label("日期").fill(day.isoformat())
    form.get_by_label("安排").select_option("closed")
    form.get_by_label("原因").fill("系统升级")
    form.get_by_role("button", name="录入").click()
    row = page.get_by_test_id("dated-days").locator(f'tr[data-date="{day}"]')
    expect(row).to_contain_text("休息")
    expect(row).to_contain_text("系统升级")
    expect(row).to_contain_text("本页")
    expect(page.get_by_test_id("coming-days").locator(f'tr[data-date="{day}"]')).to_contain_text(
        "休息（系统升级）"
    )
    refused = live.api("PUT", f"/calendar/days/{day}", "manager", json={"kind": "hours"})
    assert refused.status_code == 422
    try:
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="撤回").click()
        expect(page.get_by_test_id("dated-days").locator(f'tr[data-date="{day}"]')).to_have_count(0)
        coming = page.get_by_test_id("coming-days").locator(f'tr[data-date="{day}"]')
        expect(coming).not_to_contain_text("系统升级")
        expect(coming).to_contain_text(re.compile("工作日|休息（周末|休息（.+节|休息（元旦"))
    finally:  # the shared hall without this module's day, whatever happened
        live.api("DELETE", f"/calendar/days/{day}", "manager")
