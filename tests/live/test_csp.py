"""Every page works under the Content Security Policy (hallq.headers): Chromium reports no
violation on any of them, and each still draws what it is for."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.live.conftest import log_in

pytestmark = pytest.mark.browser

PUBLIC = ["/", "/login", "/pair", "/board/hall", "/board/window/3"]
STAFF = [
    "/manager/",
    "/manager/reports",
    "/manager/audit",
    "/manager/admin/windows",
    "/manager/admin/queues",
    "/manager/admin/items",
    "/manager/admin/staff",
    "/manager/admin/devices",
    "/manager/admin/map",
    "/manager/admin/notices",
    "/evaluation/cases",
    "/guide/",
    "/password",
]


@pytest.fixture
def page(browser):
    """A page that keeps the policy (the other tests' contexts bypass it for their probes)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", bypass_csp=False)
    yield context.new_page()
    context.close()


def violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None)
    return found


def test_public_and_device_pages_run_under_the_policy(live, page):
    seen = violations(page)
    ticket = live.api("POST", "/tickets", "K1", json={"queue": "A"}).json()
    for path in [*PUBLIC, f"/t/{ticket['key']}", f"/kiosk/K1?token={live.tokens['K1']}"]:
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("search")).to_be_visible()  # the kiosk drew its home
    assert seen == []


def test_staff_pages_run_under_the_policy(live, page):
    seen = violations(page)
    log_in(page, live.url, STAFF[0])
    for path in STAFF:
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state("networkidle")
    assert seen == []
