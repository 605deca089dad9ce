"""The window's written notices and waiting list in Chromium against a real `hallq serve` of
its own, whose kiosk K1 prints on a TCP test printer (the demo's windows 1 to 8 name K1 as
their notice_printer): a clerk calls a ticket by clicking it in the waiting list, ticks two
missing materials, and the 一次性告知书 comes out in Chinese text mode; the citizen's phone
page then lists it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from queue_core.models import Role
from tests.live.conftest import LiveHall, add_device_token, add_staff, hall_printing_to, signed_in_panel
from tests.printer.escpos_decode import decode
from tests.printer.fake_printer import TcpPrinter

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
PASSWORD = "window-4-password"


@pytest.fixture(scope="module")
def printer():
    tcp = TcpPrinter()
    tcp.start()
    yield tcp
    tcp.stop()


@pytest.fixture(scope="module")
def hall(tmp_path_factory, printer) -> Iterator[LiveHall]:
    root: Path = tmp_path_factory.mktemp("notices")
    hall = hall_printing_to(root, printer.url)
    hall.hallq(
        "user", "add", "liuyang", "--role", "clerk", "--name", "刘洋", "--badge", "1004",
        "--password-stdin", input=f"{PASSWORD}\n",
    )  # fmt: skip
    hall.tokens["K2"] = add_device_token(hall.env["DATABASE_URL"], "kiosk", "K2")
    hall.tokens |= add_staff(hall.env["DATABASE_URL"], [("manager", Role.MANAGER)])
    server = hall.serve(root / "server.log")
    yield hall
    server.terminate()
    server.wait(timeout=15)


@pytest.fixture
def panel(browser, hall):
    """刘洋's browser on a 1920-px screen, signed in at window 4 (婚姻登记, queue C)."""
    page = signed_in_panel(browser, hall.url, 4, "liuyang", PASSWORD, width=1920)
    page.set_default_timeout(TIMEOUT)
    expect(page.locator("h1")).to_have_text("4号婚姻登记窗口")
    expect(page.get_by_test_id("state")).to_have_text("空闲")
    yield page
    # Window 4 closed and empty again for the next test.
    for action, body in (("no-show", {}), ("finish", {}), ("sign-out", None)):
        hall.api("POST", f"/windows/4/{action}", "manager", json=body)
    page.context.close()


def marriage_ticket(hall: LiveHall) -> dict:
    item = hall.api("GET", "/items", params={"q": "结婚登记"}).json()[0]
    response = hall.api("POST", "/tickets", "K2", json={"item_id": item["id"]})
    assert response.status_code == 201, response.text
    return {**response.json(), "materials": hall.api("GET", f"/items/{item['id']}").json()["materials"]}


def bare(text: str) -> str:
    return "".join(text.split())


def test_a_clerk_calls_from_the_waiting_list_and_prints_a_one_time_notice(hall, panel, printer):
    page = panel
    first, second = marriage_ticket(hall), marriage_ticket(hall)
    waiting = page.get_by_test_id("waiting")
    # Both arrive over Socket.IO, in the order they queued; a click calls the second.
    expect(waiting.locator("tbody tr")).to_have_count(2)
    expect(waiting.locator("tbody tr").first).to_contain_text(first["number"])
    expect(waiting.locator("tbody tr").first).to_contain_text("结婚登记")
    waiting.get_by_role("button", name=second["number"]).click()
    expect(page.get_by_test_id("number")).to_have_text(second["number"])
    expect(page.get_by_test_id("state")).to_have_text("呼叫中")
    expect(waiting.locator("tbody tr")).to_have_count(1)

    missing = second["materials"][:2]
    page.get_by_role("button", name="一次性告知书").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(second["number"])
    for material in missing:
        dialog.get_by_label(material).check()
    dialog.get_by_role("button", name="打印").click()
    message = page.get_by_test_id("message")
    expect(message).to_have_text(re.compile(r"一次性告知书 告知〔\d{4}〕第 0001 号"))

    def on_paper(data: bytes) -> bool:
        text = bare(decode(data).text)  # decoding fails on any byte outside Chinese text mode
        return all(bare(m) in text for m in missing)

    printer.wait_for(on_paper, timeout=10)
    paper = bare(decode(printer.payload()).text)
    for text in ("一次性告知书", second["number"], "刘洋（工号1004）", "4号婚姻登记窗口"):
        assert text in paper
    assert all(bare(m) not in paper for m in second["materials"][2:])  # only what was ticked

    phone = page.context.new_page()
    phone.goto(f"{hall.url}/t/{second['key']}")
    notices = phone.get_by_test_id("written-notices")
    expect(notices).to_contain_text("窗口书面告知")
    expect(notices).to_contain_text("一次性告知书")
    for material in missing:
        expect(notices).to_contain_text(material)

    # The next one is numbered on.
    page.get_by_role("button", name="一次性告知书").click()
    dialog.get_by_label(missing[0]).check()
    dialog.get_by_role("button", name="打印").click()
    expect(message).to_have_text(re.compile(r"第 0002 号"))
    expect(page.get_by_test_id("given-notices").locator("li")).to_have_count(2)
    assert hall.api("POST", f"/tickets/{first['id']}/cancel", "manager").ok  # none left waiting


def test_a_refusal_prints_the_picked_condition_and_an_acceptance_its_date(hall, panel, printer):
    page = panel
    ticket = marriage_ticket(hall)
    page.get_by_test_id("waiting").get_by_role("button", name=ticket["number"]).click()
    expect(page.get_by_test_id("state")).to_have_text("呼叫中")
    item = hall.api("GET", "/items", params={"q": "结婚登记"}).json()[0]
    condition = hall.api("GET", f"/items/{item['id']}").json()["conditions"][0]

    page.get_by_role("button", name="不予受理告知书").click()
    page.get_by_role("dialog").get_by_label(condition).check()
    page.get_by_role("dialog").get_by_role("button", name="打印").click()
    expect(page.get_by_test_id("message")).to_contain_text("不予受理〔")
    printer.wait_for(lambda data: bare(condition) in bare(decode(data).text), timeout=10)

    page.get_by_role("button", name="受理通知单").click()
    page.get_by_role("dialog").get_by_role("button", name="打印").click()
    expect(page.get_by_test_id("message")).to_contain_text("受理〔")
    printer.wait_for(lambda data: "承诺办结日期" in decode(data).text, timeout=10)
    phone = page.context.new_page()
    phone.goto(f"{hall.url}/t/{ticket['key']}")
    notices = phone.get_by_test_id("written-notices")
    expect(notices).to_contain_text(condition)
    expect(notices).to_contain_text("承诺办结日期")
