"""The crawler: every citizen page, in every state this test can reach, and every error a
citizen's screen can meet, in Chinese (zh-CN, the kiosk's default), holds no English: no
sentence of Latin-letter words and no Latin word outside code identifiers, numbers, units
and a few names (tests/english_words.py). What it reads is what a person meets: the visible
text, the title, and the title, aria-label, placeholder and alt attributes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask_babel import Babel, force_locale, gettext

import hallq
from hallq.error_texts import STATUS_TEXTS, STATUS_TITLES, TEXTS, page_error
from tests.english_words import english_in
from tests.live.conftest import LiveHall, answer_help_calls

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
PAGE = {**CHINESE, "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {**CHINESE, "Accept": "application/json"}

# What a person meets on the page now: its title, its visible text, and the attributes a
# screen reader says or a pointer shows.
SCREEN_TEXT = """() => [
  document.title,
  document.body.innerText,
  ...[...document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")].flatMap((node) =>
    ["title", "aria-label", "placeholder", "alt"].map((name) => node.getAttribute(name) || "")),
].join("\\n")"""


class Crawl:
    """What was read, page by page, and the English found there."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.read: list[str] = []

    def page(self, where: str, page, typed: frozenset[str] = frozenset()) -> None:
        """typed: what the citizen typed, which the screen shows back."""
        page.wait_for_load_state("networkidle")
        self.text(where, page.evaluate(SCREEN_TEXT), typed)

    def text(self, where: str, text: str, identifiers: frozenset[str] = frozenset()) -> None:
        assert re.search(r"[\u4e00-\u9fff]", text), f"{where}: no Chinese read: {text!r}"
        self.read.append(where)
        english = english_in(text, identifiers)
        if english:
            self.found[where] = english


@pytest.fixture
def crawl():
    return Crawl()


@pytest.fixture
def chinese_browser(browser):
    contexts = []

    def open_page(size=(1080, 1920), **options):
        context = browser.new_context(
            viewport={"width": size[0], "height": size[1]},
            locale="zh-CN",
            extra_http_headers=CHINESE,
            has_touch=True,
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_the_kiosk_screens_are_all_chinese(live: LiveHall, chinese_browser, crawl):
    kiosk = chinese_browser()
    kiosk.goto(f"{live.url}/kiosk/K1?token={live.tokens['K1']}")
    kiosk.wait_for_selector(".departments .tile")
    crawl.page("kiosk: home", kiosk)
    kiosk.locator('.departments .tile[data-department="MZ"]').tap()
    kiosk.wait_for_selector(".list .item")
    crawl.page("kiosk: a department's items", kiosk)
    kiosk.locator('.list .item[data-item="MZ001"]').tap()
    kiosk.wait_for_selector(".detail")
    crawl.page("kiosk: an item's eight disclosures", kiosk)
    kiosk.get_by_test_id("priority").tap()
    crawl.page("kiosk: the green channel", kiosk)
    kiosk.locator('[data-action="home"]').tap()
    kiosk.locator(".topics .tile").first.tap()
    kiosk.wait_for_selector(".list .item")
    crawl.page("kiosk: a life event's items", kiosk)
    kiosk.locator('[data-action="home"]').tap()
    kiosk.get_by_test_id("search").tap()
    for letter in "hy":
        kiosk.locator(".keyboard .key", has_text=letter).first.tap()
    kiosk.wait_for_selector(".results .item, .results .empty")
    crawl.page("kiosk: search", kiosk, typed=frozenset({"hy"}))
    kiosk.locator('[data-action="home"]').tap()
    kiosk.get_by_test_id("checkin").tap()
    crawl.page("kiosk: appointment check-in", kiosk)
    kiosk.locator(".codepad .key", has_text="A").first.tap()
    kiosk.locator(".codepad .confirm").tap()
    kiosk.wait_for_selector(".pin-message:not(:empty)")
    crawl.page("kiosk: an unknown appointment code", kiosk)

    kiosk.locator('[data-action="home"]').tap()
    kiosk.locator('.departments .tile[data-department="MZ"]').tap()
    kiosk.locator('.list .item[data-item="MZ003"]').tap()
    kiosk.get_by_test_id("take").tap()
    ticket = kiosk.get_by_test_id("ticket")
    ticket.wait_for()
    ticket_id = ticket.get_attribute("data-ticket")
    try:
        crawl.page("kiosk: the ticket", kiosk)
        kiosk.locator('[data-action="home"]').tap()
        kiosk.locator('.departments .tile[data-department="MZ"]').tap()
        kiosk.locator('.list .item[data-item="MZ003"]').tap()
        kiosk.get_by_test_id("take").tap()
        kiosk.get_by_test_id("again").wait_for()
        crawl.page("kiosk: a second ticket asked about", kiosk)
        kiosk.get_by_test_id("again").locator(".done-not").tap()
        kiosk.locator('[data-action="help"]').tap()
        kiosk.wait_for_selector(".banner:not([hidden])")
        crawl.page("kiosk: help called", kiosk)
        kiosk.locator('[data-action="elderly"]').tap()
        crawl.page("kiosk: large text", kiosk)
    finally:
        assert live.api("POST", f"/tickets/{ticket_id}/cancel", "guide").ok
        answer_help_calls(live)

    unset = chinese_browser()
    unset.goto(f"{live.url}/kiosk/K2")
    unset.wait_for_selector(".departments .tile")
    crawl.page("kiosk: not set up", unset)
    withdrawn = chinese_browser()  # a kiosk whose token is not (or no longer) valid
    withdrawn.goto(f"{live.url}/kiosk/K2?token=withdrawn-token")
    withdrawn.locator('.departments .tile[data-department="MZ"]').tap()
    withdrawn.locator('.list .item[data-item="MZ003"]').tap()
    withdrawn.get_by_test_id("take").tap()
    withdrawn.get_by_test_id("refusal").wait_for()
    crawl.page("kiosk: a ticket refused", withdrawn)
    assert crawl.found == {}, crawl.found


def test_the_phone_booking_and_front_pages_are_all_chinese(live: LiveHall, chinese_browser, crawl):
    ticket = live.api("POST", "/tickets", "K1", json={"queue": "C"}).json()
    try:
        phone = chinese_browser((390, 844), is_mobile=True)
        phone.goto(f"{live.url}/t/{ticket['key']}")
        phone.wait_for_function("document.querySelector('.status').textContent !== ''")
        crawl.page("phone: a waiting ticket", phone)
        postpone = phone.get_by_test_id("postpone")
        if postpone.is_visible():
            postpone.locator(".postpone-ask").tap()
            crawl.page("phone: moving back asked about", phone)
    finally:
        assert live.api("POST", f"/tickets/{ticket['id']}/cancel", "guide").ok
    phone.reload()
    phone.wait_for_function("document.querySelector('.status').textContent !== ''")
    crawl.page("phone: a cancelled ticket", phone)

    served = live.api("POST", "/tickets", "K1", json={"queue": "C"}).json()
    assert live.api("POST", "/windows/4/sign-in", "clerk4").ok
    try:
        live.api("POST", "/windows/4/no-show", "clerk4", json={})  # what an earlier test left called
        assert live.api("POST", "/windows/4/call", "clerk4", json={"number": served["number"]}).ok
        phone.goto(f"{live.url}/t/{served['key']}")
        phone.wait_for_selector('.ticket[data-status="called"]')
        crawl.page("phone: called", phone)
        assert live.api("POST", "/windows/4/start", "clerk4").ok
        assert live.api("POST", "/windows/4/finish", "clerk4", json={"outcome": "completed"}).ok
        phone.get_by_test_id("rate").wait_for()
        crawl.page("phone: rating the service", phone)
    finally:
        assert live.api("POST", "/windows/4/sign-out", "clerk4").ok

    book = chinese_browser((390, 844), is_mobile=True)
    book.goto(f"{live.url}/book")
    book.wait_for_selector("button.choice")
    crawl.page("book: the services", book)
    book.locator("button.choice").first.tap()
    book.wait_for_load_state("networkidle")
    crawl.page("book: a service's days and times", book)
    free = book.locator("button.slot:not([disabled])")
    if free.count():
        free.first.tap()
        crawl.page("book: the booker's details", book)

    front = chinese_browser((1280, 900))
    front.goto(f"{live.url}/")
    crawl.page("front page", front)
    assert crawl.found == {}, crawl.found


def test_the_boards_and_the_keypad_are_all_chinese(live: LiveHall, chinese_browser, crawl):
    for path, size in (
        ("/board/hall", (1920, 1080)),
        ("/board/hall", (1080, 1920)),
        ("/board/window/4", (1280, 320)),
    ):
        board = chinese_browser(size)
        board.goto(f"{live.url}{path}")
        board.wait_for_selector("body[data-live='true']")
        crawl.page(f"board: {path} at {size[0]}×{size[1]}", board)
    keypad = chinese_browser((1280, 800))
    keypad.goto(f"{live.url}/keypad/3?token={live.tokens['P3']}")
    keypad.wait_for_load_state("networkidle")
    crawl.page("keypad", keypad)
    assert crawl.found == {}, crawl.found


def test_every_error_a_citizen_can_meet_is_chinese(live: LiveHall, crawl):
    """The API's refusals as a screen shows them (their `text`; the `message` is for
    integrators), and the error pages, as the server answers them; then every text of the
    error catalogue, the 429s and 503s that cannot be provoked here included."""

    def api(method: str, path: str, who: str | None = None, **kw: Any) -> requests.Response:
        headers = {**API, **({"Authorization": f"Bearer {live.tokens[who]}"} if who else {})}
        return requests.request(method, f"{live.url}/api/v1{path}", headers=headers, timeout=10, **kw)

    answers = {
        401: api("POST", "/tickets", json={"queue": "A"}),
        403: api("POST", "/notices", "K1", json={"title": "测试", "text": "测试"}),
        404: api("GET", "/tickets/999999", "guide"),
        405: api("DELETE", "/items"),
        409: api("POST", "/windows/8/finish", "clerk8", json={"outcome": "completed"}),
        422: api("POST", "/tickets", "K1", json={"queue": "A", "colour": "red"}),
    }
    for status, answer in answers.items():
        body = answer.json()
        assert answer.status_code in (status, 403), (status, body)  # 409: a clerk not signed in is refused
        fields = frozenset(str(f.get("field")) for f in body.get("fields", []))
        crawl.text(f"API {answer.status_code} {body['error']}", body["text"], fields)

    pages = {
        "unknown phone ticket": requests.get(f"{live.url}/t/not-a-key", headers=PAGE, timeout=10),
        "unknown kiosk": requests.get(f"{live.url}/kiosk/NOSUCH", headers=PAGE, timeout=10),
        "unknown page": requests.get(f"{live.url}/no/such/page", headers=PAGE, timeout=10),
        "wrong method": requests.post(f"{live.url}/book", headers=PAGE, timeout=10),
    }
    for where, answer in pages.items():
        assert answer.status_code >= 400 and answer.headers["Content-Type"].startswith("text/html"), where
        crawl.text(f"error page: {where}", visible_html(answer.text))

    with catalogue_app().test_request_context(), force_locale("zh_CN"):
        for key, message in {**TEXTS, **{str(s): t for s, t in STATUS_TEXTS.items()}}.items():
            filled = gettext(message) % FACTS if "%(" in message else gettext(message)
            crawl.text(f"error text {key}", filled)
        for status in (*STATUS_TITLES, 409, 413, 415, 422):
            crawl.text(f"error page {status}", " ".join(page_error(status)))
    assert len(crawl.read) > len(TEXTS)
    assert crawl.found == {}, crawl.found


def catalogue_app() -> Flask:
    """An application that only translates, with the hall's catalogue."""
    app = Flask(__name__)
    Babel(app, default_translation_directories=str(Path(hallq.__file__).with_name("translations")))
    return app


FACTS = {"time": "14:30", "reason": "国庆节", "day": "2026-12-08", "fields": "id_number", "file": "catalog.csv",
         "count": "3", "limit": "500"}  # fmt: skip


def visible_html(page: str) -> str:
    """An HTML page's title and the text of its body, as a browser shows it, roughly."""
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    body = page[page.find("<body") :]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return (title.group(1) if title else "") + "\n" + re.sub(r"<[^>]+>", " ", body)
