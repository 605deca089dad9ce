"""Every attack of tests/svg_attacks.py uploaded as the hall's floor plan, against a real
`hallq serve`, and looked at in Chromium as a citizen does (an item's page on the kiosk, the
plan hovered and tapped) and as anyone can (/kiosk/map.svg opened on its own, clicked): no
dialog, no global set, no navigation, no request to the "evil" origin (a real server on another
port, which would hear any fetch, stylesheet, image or navigation), and the kiosk looks as it did.

The browser's contexts bypass the pages' Content Security Policy (tests/live/conftest.py), so
what is shown here holds without it: the sanitiser and the <img> are the defences under test.
A control opens the raw attacks from the evil origin, where they do run and are heard."""

from __future__ import annotations

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError

from tests.live.conftest import loaded_image_width
from tests.live.test_kiosk import open_item
from tests.svg_attacks import ATTACKS, DEMO_PLAN

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
KIOSK: dict[str, Any] = {"viewport": {"width": 1080, "height": 1920}, "has_touch": True, "locale": "zh-CN"}
# The middle of the screen: a plan opened on its own is drawn centred in it (the attacks' bait
# covers the whole drawing).
CENTRE = (KIOSK["viewport"]["width"] // 2, KIOSK["viewport"]["height"] // 2)
BY_NAME = {attack.name: attack for attack in ATTACKS}


class EvilOrigin:
    """An HTTP server on another port that records every request it hears; it serves the raw
    attacks at /raw/<name>.svg for the control, and an empty 200 for anything else."""

    def __init__(self) -> None:
        heard: list[str] = []
        self.heard = heard

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                heard.append(self.path)
                name = self.path.removeprefix("/raw/").removesuffix(".svg")
                body = BY_NAME[name].plan(origin.url).encode() if name in BY_NAME else b""
                self.send_response(200)
                self.send_header("Content-Type", "image/svg+xml" if name in BY_NAME else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815 (http.server names its methods so): a script might POST

            def log_message(self, *args: object) -> None:
                pass

        origin = self
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def evil():
    origin = EvilOrigin()
    yield origin
    origin.server.shutdown()
    origin.server.server_close()


@pytest.fixture
def config_plan_afterwards(live):
    yield
    assert live.api("DELETE", "/hall/map", "manager").ok


def upload(live, text: str) -> requests.Response:
    return live.api(
        "PUT", "/hall/map", "manager", files={"file": ("plan.svg", text.encode(), "image/svg+xml")}
    )


class Watched:
    """A browser context whose requests, dialogs and pages are recorded."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(**KIOSK)
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))

    def page(self):
        page = self.context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.on("dialog", self._dialog)
        return page

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        with contextlib.suppress(PlaywrightError):  # the page may have navigated away meanwhile
            dialog.dismiss()


def kiosk_look(page) -> dict[str, object]:
    """What a script or stylesheet in the plan would change first: the kiosk's colours and its
    取号 button."""
    return {
        "ground": page.evaluate("getComputedStyle(document.documentElement).backgroundColor"),
        "bar": page.locator(".bar").evaluate("bar => getComputedStyle(bar).backgroundColor"),
        "take": page.get_by_test_id("take").is_visible(),
        "take_colour": page.get_by_test_id("take").evaluate("b => getComputedStyle(b).backgroundColor"),
        "pwned": page.evaluate("typeof window.pwned"),
    }


def item_page(page, live) -> None:
    page.goto(f"{live.url}/kiosk/K1?token={live.tokens['K1']}")
    page.wait_for_selector(".departments .tile")
    open_item(page, "青山县民政局", "结婚登记")


@pytest.fixture(scope="module")
def demo_look(live, browser):
    """The kiosk's look with the config folder's plan, before any attack."""
    watched = Watched(browser)
    page = watched.page()
    item_page(page, live)
    look = kiosk_look(page)
    watched.context.close()
    assert look["take"] and look["pwned"] == "undefined"
    return look


@pytest.mark.parametrize("attack", [a for a in ATTACKS if not a.refused], ids=lambda a: a.name)
def test_a_hostile_plan_cannot_reach_the_kiosk_or_the_network(
    attack, live, browser, evil, demo_look, config_plan_afterwards
):
    answer = upload(live, attack.plan(evil.url))
    assert answer.status_code == 200, answer.text
    assert set(attack.left_out) <= {r["what"] for r in answer.json()["removed"]}
    watched = Watched(browser)
    try:
        kiosk = watched.page()
        item_page(kiosk, live)
        plan = kiosk.locator(".hall-map img")
        assert loaded_image_width(plan) > 0  # the plan is drawn...
        plan.hover()
        plan.tap()
        plan.click()
        kiosk.wait_for_load_state("networkidle")
        assert kiosk_look(kiosk) == demo_look  # ...and the kiosk is as it was
        assert kiosk.url == f"{live.url}/kiosk/K1"

        alone = watched.page()  # the plan opened at its own address, hovered and clicked
        alone.goto(f"{live.url}/kiosk/map.svg")
        alone.mouse.move(*CENTRE)
        alone.mouse.click(*CENTRE)
        alone.wait_for_load_state("networkidle")
        assert alone.url == f"{live.url}/kiosk/map.svg"
        assert alone.evaluate("typeof window.pwned") == "undefined"
        assert alone.evaluate("document.documentElement.localName") == "svg"

        assert watched.dialogs == []
        assert evil.heard == []
        assert [url for url in watched.requests if not url.startswith(live.url)] == []
    finally:
        watched.context.close()
        evil.heard.clear()


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.refused], ids=lambda a: a.name)
def test_a_plan_with_entities_is_refused_and_nothing_fetched(attack, live, evil, config_plan_afterwards):
    answer = upload(live, attack.plan(evil.url))
    assert answer.status_code == 422
    assert answer.json()["problems"][0].startswith("plan.svg：不允许使用 XML 实体和外部引用")
    assert requests.get(f"{live.url}/kiosk/map.svg", timeout=10).text.count("<title") == DEMO_PLAN.count(
        "<title"
    )
    assert evil.heard == []


def test_the_plan_on_its_own_may_neither_script_nor_fetch(live):
    answer = requests.get(f"{live.url}/kiosk/map.svg", timeout=10)
    assert answer.headers["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert answer.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
    )
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["script", "svg-onload", "event-handlers", "javascript-tab"])
def test_control_the_raw_attack_does_run_where_nothing_sanitises_it(name, browser, evil):
    """Served as written, from the evil origin itself: the payload runs and is heard, so the
    silence above is the defences' doing, not a deaf test.

    Only calls that time out: a payload's alert blocks the page, and an untimed call (a raw
    mouse click, an evaluate) made while the page is blocked or navigating away waits forever
    (it once held CI for over an hour). The context has no dialog listener, so Playwright
    dismisses the alerts itself."""
    context = browser.new_context(**KIOSK)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        with contextlib.suppress(PlaywrightError):  # the payload may navigate away mid-load
            page.goto(f"{evil.url}/raw/{name}.svg")
        if 'id="bait"' in BY_NAME[name].added:  # this payload waits for a click on the drawing
            with contextlib.suppress(PlaywrightError):  # the click's navigation may end the page
                page.locator("#bait").click(no_wait_after=True)
        # It ran: the page went to the evil origin's /ran (heard there; a loaded machine may
        # take longer than an expect's 5 s to finish that navigation, so the hearing is waited
        # for, the page's own timer keeping Playwright's events flowing).
        deadline = time.monotonic() + 20
        while "/ran" not in evil.heard and time.monotonic() < deadline:
            with contextlib.suppress(PlaywrightError):
                page.wait_for_timeout(50)
        assert "/ran" in evil.heard
    finally:
        context.close()
        evil.heard.clear()
