"""Take the README's screenshots from a running demo hall.

    .venv/bin/hallq demo &                       # in one terminal (or ./dev demo)
    .venv/bin/python docs/screenshots.py         # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots.py URL --desk   # only the keypad and the manager's pages

The kiosk's portrait screen (1080×1920), with touch, in normal type and in 大字模式, a window
board (1280×320), the hall board (1920×1080, and portrait 1080×1920), a phone's ticket page as
its citizen is called (390×844) and that window's clerk panel (1280×800); a window's evaluation keypad
asking (1280×800), a bad rating's follow-up case, the manager's dashboard and a report
(1920×1080), in Debian's Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
URL = next((a for a in sys.argv[1:] if not a.startswith("--")), "http://127.0.0.1:5000")
HALLQ = Path(sys.executable).with_name("hallq")


def issue_token(*args: str) -> str:
    return subprocess.run(
        [HALLQ, "token", "issue", *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    hallq = HALLQ
    token = subprocess.run(
        [hallq, "token", "issue", "--device", "K1"], capture_output=True, text=True, check=True
    )
    out = HERE / "screenshots"
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-background-networking"]
        )
        page = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True).new_page()
        page.goto(f"{URL}/kiosk/K1?token={token.stdout.strip()}")
        page.wait_for_selector(".departments .tile")
        page.screenshot(path=out / "kiosk-home.png")
        page.locator('[data-action="elderly"]').tap()  # 大字模式, then back to normal type
        page.wait_for_selector("html.elderly")
        page.screenshot(path=out / "kiosk-large.png")
        page.locator('[data-action="elderly"]').tap()
        page.locator(".departments .tile", has_text="青山县民政局").tap()
        page.locator(".list .item", has_text="结婚登记").first.tap()
        page.wait_for_selector(".detail")
        page.screenshot(path=out / "kiosk-item.png")
        page.get_by_test_id("take").tap()
        page.get_by_test_id("ticket").wait_for()
        page.screenshot(path=out / "kiosk-ticket.png")
        # The boards: a window board (1280×320) with a number just called, and the hall board.
        manager = subprocess.run(
            [hallq, "token", "issue", "manager"], capture_output=True, text=True, check=True
        )
        api = p.request.new_context(base_url=f"{URL}/api/v1/")
        window = next(w for w in api.get("windows").json() if w["state"] in ("called", "idle"))
        if window["state"] == "idle":
            kiosk = {"Authorization": f"Bearer {token.stdout.strip()}"}
            ticket = api.post("tickets", data={"queue": window["queues"][0]}, headers=kiosk).json()
            call = {"Authorization": f"Bearer {manager.stdout.strip()}"}
            api.post(f"windows/{window['number']}/call", data={"number": ticket["number"]}, headers=call)
        page = browser.new_context(viewport={"width": 1280, "height": 320}).new_page()
        page.goto(f"{URL}/board/window/{window['number']}")
        page.wait_for_selector("body[data-state=called]")
        page.screenshot(path=out / "board-window.png")
        page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        page.goto(f"{URL}/board/hall")
        page.wait_for_selector("body[data-live=true]")
        page.screenshot(path=out / "board-hall.png")
        page = browser.new_context(viewport={"width": 1080, "height": 1920}).new_page()
        page.goto(f"{URL}/board/hall")
        page.wait_for_selector("body[data-live=true]")
        page.screenshot(path=out / "board-hall-portrait.png")
        phone_called(browser, api, token.stdout.strip(), manager.stdout.strip(), out)
        # The clerk's panel of that window, logged in as its clerk (the demo's clerkN is at window N).
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(f"{URL}/login?next=/panel/")
        page.fill("input[name=username]", f"clerk{window['number']}")
        page.fill("input[name=password]", "Hallq-demo")
        page.click("button[type=submit]")
        page.wait_for_selector(".panel[data-yours=true]")
        page.screenshot(path=out / "panel.png")
        browser.close()


def phone_called(browser, api, kiosk_token: str, manager_token: str, out: Path) -> None:
    """A ticket's phone page (390×844) as its citizen is called: the alert banner."""
    idle = [w for w in api.get("windows").json() if w["state"] == "idle"]
    if not idle:
        print("no idle window: phone-called.png not retaken")
        return
    window = idle[0]
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    ticket = api.post("tickets", data={"queue": window["queues"][0]}, headers=kiosk).json()
    page = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    ).new_page()
    page.goto(f"{URL}/t/{ticket['key']}")
    page.wait_for_selector("main.ticket")
    call = {"Authorization": f"Bearer {manager_token}"}
    api.post(f"windows/{window['number']}/call", data={"number": ticket["number"]}, headers=call)
    page.wait_for_selector("[data-testid=alert]:not([hidden])")
    page.screenshot(path=out / "phone-called.png")


def manager_desk() -> None:
    """A keypad asking after a service, a follow-up case, the dashboard and a report."""
    out = HERE / "screenshots"
    manager = {"Authorization": f"Bearer {issue_token('manager')}"}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-background-networking"]
        )
        api = p.request.new_context(base_url=f"{URL}/api/v1/")
        window = next(w for w in api.get("windows").json() if w["state"] in ("idle", "called", "serving"))
        number = window["number"]
        keypad = f"P{number}"  # the demo's keypad of window n
        page = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True).new_page()
        page.goto(f"{URL}/keypad/{number}?token={issue_token('--device', keypad)}")
        page.wait_for_selector("body[data-live=true]")
        if window["state"] == "idle":
            kiosk = {"Authorization": f"Bearer {issue_token('--device', 'K1')}"}
            ticket = api.post("tickets", data={"queue": window["queues"][0]}, headers=kiosk).json()
            api.post(f"windows/{number}/call", data={"number": ticket["number"]}, headers=manager)
        if window["state"] != "serving":
            api.post(f"windows/{number}/start", headers=manager)
        api.post(f"windows/{number}/finish", data={"outcome": "completed"}, headers=manager)
        page.wait_for_selector("body[data-mode=asking]")
        page.screenshot(path=out / "keypad.png")

        page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        page.goto(f"{URL}/login?next=/manager/")
        page.fill("input[name=username]", "manager")
        page.fill("input[name=password]", "Hallq-demo")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-live=true]")
        page.wait_for_timeout(1500)  # the charts' animation
        page.screenshot(path=out / "dashboard.png")
        page.goto(f"{URL}/manager/reports?group_by=window")
        page.wait_for_selector("#chart-served")
        page.wait_for_timeout(1500)
        page.screenshot(path=out / "report.png", full_page=True)
        page.goto(f"{URL}/evaluation/cases")
        page.locator("a[href*='/evaluation/cases/']").first.click()
        page.wait_for_selector("[data-testid=stage]")
        page.screenshot(path=out / "case.png", full_page=True)
        browser.close()
    print(f"written: {', '.join(sorted(p.name for p in out.glob('*.png')))}")


if __name__ == "__main__":
    if "--desk" not in sys.argv:
        main()
    manager_desk()
