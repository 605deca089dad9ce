"""好差评 in Chromium against a real `hallq serve`: the window's keypad (/keypad/<n>, a touch
tablet facing the citizen) wakes when its clerk finishes a service, rates it once, asks the
reasons of a bad rating and goes back to sleep when its time is up; the ticket's phone page
rates the service afterwards. Each test checks what the citizen sees, and what the API then
reports. Windows 3 and 4 (and 10 for the phone page) of the shared hall are used here."""

from __future__ import annotations

import contextlib
import re
import shutil

import pytest
import requests
from playwright.sync_api import expect

from queue_core.models import Role
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import add_device_token, add_staff, new_hall

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms
LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]  # 5 .. 1
PASSPORT = "普通护照签发（首次申领）"  # item CRJ001, queue B (window 3)


@pytest.fixture(scope="module")
def tokens(live) -> dict[str, str]:
    """Window 4's keypad and a clerk for window 10, besides the session's tokens."""
    url = live.env["DATABASE_URL"]
    return {
        **live.tokens,
        "P4": add_device_token(url, "keypad", "P4"),
        **add_staff(url, [("rater10", Role.CLERK)]),
    }


@pytest.fixture
def tablet(browser):
    """Opens a keypad tablet (1280×800 unless told) at a window, with its token unless None,
    and waits until it is subscribed (unless told not to)."""
    opened = []

    def open_keypad(url, window: int, token: str | None, size=(1280, 800), query="", wait=True):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=True)
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        params = "&".join(p for p in (query, f"token={token}" if token else "") if p)
        page.goto(f"{url}/keypad/{window}" + (f"?{params}" if params else ""))
        if token and wait:
            expect(page.locator("body")).to_have_attribute("data-live", "true")
        return page

    yield open_keypad
    for context in opened:
        with contextlib.suppress(Exception):  # closed already
            context.close()


def api(hall, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{hall.url}/api/v1{path}", headers=headers, timeout=10, **kw)


def ready(hall, tokens, window: int, clerk: str, keypad: str | None = None) -> None:
    """The clerk signed in at the window, nothing at it, and nothing awaiting its keypad
    (other tests of the shared hall may have left a ticket or an open question there)."""
    assert api(hall, "POST", f"/windows/{window}/sign-in", tokens[clerk]).ok
    state = next(w for w in api(hall, "GET", "/windows").json() if w["number"] == window)
    if state["state"] == "paused":
        assert api(hall, "POST", f"/windows/{window}/resume", tokens[clerk]).ok
    elif state["state"] == "called":
        assert api(hall, "POST", f"/windows/{window}/no-show", tokens[clerk], json={}).ok
    elif state["state"] == "serving":
        assert api(hall, "POST", f"/windows/{window}/finish", tokens[clerk], json={}).ok
    if keypad:
        answer = api(hall, "POST", f"/windows/{window}/evaluation", tokens[keypad], json={"score": 3})
        assert answer.status_code in (201, 409), answer.text


def serve(hall, tokens, window: int, clerk: str, queue: str, item: str | None = None) -> dict:
    """A new ticket called by its number at the window, served and finished; its issue answer."""
    body = {"queue": queue}
    if item:
        found = api(hall, "GET", "/items", params={"q": item}).json()
        body = {"item_id": next(i["id"] for i in found if i["name"] == item)}
    ticket = api(hall, "POST", "/tickets", tokens["K1"], json=body).json()
    called = api(hall, "POST", f"/windows/{window}/call", tokens[clerk], json={"number": ticket["number"]})
    assert called.ok, called.text
    assert api(hall, "POST", f"/windows/{window}/start", tokens[clerk]).ok
    assert api(hall, "POST", f"/windows/{window}/finish", tokens[clerk], json={}).ok
    return ticket


def ratings(hall, tokens, window: int, number: str, manager: str = "manager") -> list[dict]:
    listed = api(hall, "GET", "/evaluations", tokens[manager], params={"window": window})
    assert listed.ok, listed.text
    return [e for e in listed.json() if e["ticket"] == number]


def expect_idle(page) -> None:
    expect(page.get_by_test_id("idle")).to_be_visible()
    expect(page.get_by_test_id("asking")).to_be_hidden()
    expect(page.get_by_role("button", name="满意", exact=True)).to_have_count(0)


def test_a_finish_wakes_its_windows_keypad_and_no_other(live, tokens, tablet):
    ready(live, tokens, 3, "clerk3", "P3")
    ready(live, tokens, 4, "clerk4", "P4")
    three = tablet(live.url, 3, tokens["P3"])
    four = tablet(live.url, 4, tokens["P4"], size=(800, 480))
    # Idle: the window and who serves there, and no question.
    expect(three.get_by_test_id("idle-line")).to_have_text("3号窗口 · 为您服务：clerk3名（工号 Bclerk3）")
    expect(four.get_by_test_id("idle-line")).to_have_text("4号窗口 · 为您服务：clerk4名（工号 Bclerk4）")
    expect_idle(three)
    expect(three.get_by_text("请对本次服务作出评价")).to_be_hidden()

    ticket = serve(live, tokens, 3, "clerk3", "B")
    expect(three.get_by_test_id("asking")).to_be_visible()
    expect(three.get_by_test_id("clerk-name")).to_have_text("clerk3名")
    expect(three.locator(".who .clerk-initial")).to_have_text("c")  # no photo: the name's first character
    expect(three.get_by_test_id("clerk-badge")).to_have_text("工号 Bclerk3")
    expect(three.get_by_test_id("ticket")).to_have_text(f"{ticket['number']}号 · 出入境业务")
    expect(three.get_by_test_id("prompt")).to_have_text("请对本次服务作出评价")
    expect(three.get_by_test_id("countdown")).to_have_text(re.compile(r"^剩余 \d+ 秒$"))
    assert 45 <= int(three.get_by_test_id("countdown").get_attribute("data-seconds")) <= 60
    levels = three.locator(".level")
    expect(levels).to_have_text(LEVELS)
    for name in LEVELS:
        expect(three.get_by_role("button", name=name, exact=True)).to_be_visible()
    # No hint: nothing focused or preselected, and the five look alike but for the scale's colours.
    assert three.evaluate("document.activeElement === document.body")
    looks = levels.evaluate_all(
        """buttons => buttons.map((b) => {
             const s = getComputedStyle(b), w = getComputedStyle(b.querySelector('.word'));
             const r = b.getBoundingClientRect();
             return [s.borderWidth, s.opacity, s.outlineStyle, w.fontSize, w.fontWeight,
                     Math.round(r.width), Math.round(r.height), Math.round(r.top)];
           })"""
    )
    assert all(look == looks[0] for look in looks), looks
    assert_the_scale_in_colour(levels)

    # Window 4's keypad heard nothing: a pause at window 4, sent after the finish at 3, reaches
    # it while it is still idle (one client gets its messages in the order they were sent).
    assert api(live, "POST", "/windows/4/pause", tokens["clerk4"], json={"reason": "会议"}).ok
    expect(four.get_by_test_id("idle-status")).to_have_text("暂停服务 · 会议")
    expect_idle(four)
    assert api(live, "POST", "/windows/4/resume", tokens["clerk4"]).ok
    expect(four.get_by_test_id("idle-status")).to_have_text("")


# The national scale's colours, as the keys show them: (face, key, word), 非常满意 .. 非常不满意.
SCALE = {
    "非常满意": ((0x1E, 0x8C, 0x45), (0xE0, 0xEF, 0xE5), (0x18, 0x69, 0x34)),  # deep green
    "满意": ((0x6A, 0xB0, 0x4C), (0xEA, 0xF4, 0xE6), (0x2D, 0x6A, 0x1E)),  # green
    "基本满意": ((0xF5, 0xC5, 0x18), (0xFE, 0xF7, 0xDF), (0x73, 0x52, 0x00)),  # amber
    "不满意": ((0xF5, 0x89, 0x2A), (0xFE, 0xEE, 0xE1), (0x8F, 0x42, 0x00)),  # orange
    "非常不满意": ((0xE0, 0x48, 0x3C), (0xFB, 0xE5, 0xE4), (0x9E, 0x2A, 0x20)),  # red
}


def rgb(css: str) -> tuple[int, ...]:
    """'rgb(30, 140, 69)' as the browser computes a colour."""
    return tuple(int(n) for n in re.findall(r"\d+", css)[:3])


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2's contrast ratio of two sRGB colours."""

    def luminance(colour):
        srgb = [c / 255 for c in colour]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_the_scale_in_colour(levels) -> None:
    """Each key in its level's colour (face, tint, word), read from the browser's computed
    styles; its word at 4.5:1 or more on its tint and its face's features at 3:1 or more on the
    disc; and evenly: no key's word or tint stands out from the others'."""
    shown = levels.evaluate_all(
        """buttons => buttons.map((b) => [
             b.querySelector('.word').textContent,
             getComputedStyle(b.querySelector('.face .disc')).fill,
             getComputedStyle(b).backgroundColor,
             getComputedStyle(b.querySelector('.word')).color,
             getComputedStyle(b.querySelector('.face')).color,
           ])"""
    )
    assert [word for word, *_ in shown] == list(SCALE)
    words = []
    for word, disc, key, ink, features in shown:
        assert (rgb(disc), rgb(key), rgb(ink)) == SCALE[word], word
        words.append(contrast(rgb(ink), rgb(key)))
        assert contrast(rgb(features), rgb(disc)) >= 3, word
    assert all(ratio >= 4.5 for ratio in words), words
    assert max(words) - min(words) < 1.5, words  # none much bolder than another
    tints = [contrast(rgb(key), (255, 255, 255)) for _, _, key, _, _ in shown]
    assert max(tints) < 1.25, tints  # each tint a light wash of its colour, none a block of it


def test_pressing_satisfied_stores_one_rating_of_the_service(live, tokens, tablet):
    ready(live, tokens, 3, "clerk3", "P3")
    page = tablet(live.url, 3, tokens["P3"])
    ticket = serve(live, tokens, 3, "clerk3", "B", item=PASSPORT)
    expect(page.get_by_test_id("ticket")).to_have_text(f"{ticket['number']}号 · {PASSPORT}")
    with page.expect_response(lambda r: r.url.endswith("/windows/3/evaluation")) as answer:
        page.get_by_role("button", name="满意", exact=True).click()
    assert answer.value.status == 201
    expect(page.get_by_test_id("done-text")).to_have_text("感谢您的评价")
    expect_idle(page)

    (rating,) = ratings(live, tokens, 3, ticket["number"])
    assert (rating["status"], rating["score"], rating["channel"]) == ("rated", 4, "keypad")
    assert (rating["window"], rating["ticket_id"], rating["item"]) == (3, ticket["id"], PASSPORT)
    assert rating["clerk"] == {"name": "clerk3名", "badge": "Bclerk3"}
    assert rating["requested_at"] <= rating["rated_at"] and rating["case_id"] is None

    # One rating per service: the keypad cannot rate it again, and stays idle.
    again = api(
        live, "POST", "/windows/3/evaluation", tokens["P3"], json={"score": 1, "reasons": ["服务态度"]}
    )
    assert again.status_code == 409
    assert again.json()["message"] == "no service awaits a rating at window 3"
    expect_idle(page)
    assert [r["score"] for r in ratings(live, tokens, 3, ticket["number"])] == [4]


def test_a_bad_rating_asks_for_a_reason_and_opens_a_case(live, tokens, tablet):
    ready(live, tokens, 3, "clerk3", "P3")
    ticket = serve(live, tokens, 3, "clerk3", "B")
    # Opened (or reconnected) after the finish: the subscription's state brings the question.
    page = tablet(live.url, 3, tokens["P3"], size=(800, 480))
    expect(page.get_by_test_id("ticket")).to_have_text(f"{ticket['number']}号 · 出入境业务")

    page.get_by_role("button", name="非常不满意").click()
    expect(page.get_by_text("您的评价：非常不满意")).to_be_visible()
    reason = page.get_by_role("button", name="服务态度")
    expect(reason).to_be_visible()
    expect(page.get_by_role("button", name="办事指南")).to_be_visible()
    expect(page.get_by_label("您的意见（选填）")).to_be_visible()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("alert").filter(has_text="请至少选择一项原因或填写意见。")).to_be_visible()
    assert ratings(live, tokens, 3, ticket["number"])[0]["status"] == "awaiting"

    reason.click()
    expect(reason).to_have_attribute("aria-pressed", "true")
    with page.expect_response(lambda r: r.url.endswith("/windows/3/evaluation")) as answer:
        page.get_by_role("button", name="提交评价").click()
    assert answer.value.status == 201
    expect(page.get_by_test_id("done-text")).to_have_text("感谢您的评价")
    expect_idle(page)

    cases = api(live, "GET", "/evaluations/cases", tokens["manager"], params={"stage": "verify"}).json()
    (case,) = [c for c in cases if c["evaluation"]["ticket"] == ticket["number"]]
    assert (case["evaluation"]["score"], case["evaluation"]["reasons"]) == (1, ["服务态度"])
    assert case["evaluation"]["channel"] == "keypad" and case["stage"] == "verify"


def test_the_phone_page_rates_a_finished_ticket(live, tokens, browser):
    ready(live, tokens, 10, "rater10")
    ticket = api(live, "POST", "/tickets", tokens["K1"], json={"queue": "F"}).json()
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(TIMEOUT)
    try:
        phone.goto(f"{live.url}/t/{ticket['key']}")
        expect(phone.locator(".status")).to_have_text("等候中")
        expect(phone.get_by_test_id("rate")).to_be_hidden()
        number = ticket["number"]
        assert api(live, "POST", "/windows/10/call", tokens["rater10"], json={"number": number}).ok
        assert api(live, "POST", "/windows/10/start", tokens["rater10"]).ok
        assert api(live, "POST", "/windows/10/finish", tokens["rater10"], json={}).ok

        # Live, without a reload: finished, and the five levels to rate it (on a loaded machine
        # the page's socket may still be joining its rooms: it reads the ticket once it has).
        expect(phone.locator(".status")).to_have_text("已办结", timeout=TIMEOUT)
        expect(phone.get_by_test_id("rate-state")).to_have_text("请对本次服务作出评价")
        expect(phone.locator(".level")).to_have_text(LEVELS)
        expect(phone.get_by_test_id("rate-until")).to_contain_text("前评价")
        phone.get_by_role("button", name="非常满意").click()
        expect(phone.get_by_test_id("rate-state")).to_have_text("已评价：非常满意")
        expect(phone.locator(".level")).to_have_count(5)
        expect(phone.locator(".level").first).to_be_hidden()

        state = api(live, "GET", f"/tickets/by-key/{ticket['key']}/evaluation").json()
        assert (state["status"], state["score"], state["can_rate"]) == ("rated", 5, False)
        (rating,) = ratings(live, tokens, 10, number)
        assert (rating["channel"], rating["clerk"]["name"]) == ("phone", "rater10名")

        phone.reload()  # a finished ticket's page says how it was rated, and offers no rating
        expect(phone.get_by_test_id("rate-state")).to_have_text("已评价：非常满意")
        expect(phone.locator(".level")).to_have_count(0)
        phone.get_by_role("button", name="English").click()
        expect(phone.get_by_test_id("rate-state")).to_have_text("Rated: Very satisfied")
    finally:
        context.close()


def test_a_rating_on_the_keypad_reaches_the_open_phone_page(live, tokens, browser):
    ready(live, tokens, 3, "clerk3", "P3")
    ticket = serve(live, tokens, 3, "clerk3", "B")
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    phone = context.new_page()
    phone.set_default_timeout(TIMEOUT)
    try:
        phone.goto(f"{live.url}/t/{ticket['key']}")
        expect(phone.get_by_test_id("rate-state")).to_have_text("请对本次服务作出评价")
        rated = api(live, "POST", "/windows/3/evaluation", tokens["P3"], json={"score": 4})
        assert rated.status_code == 201
        # Without a reload: the page no longer offers to rate what the keypad rated.
        expect(phone.get_by_test_id("rate-state")).to_have_text("已评价：满意")
        expect(phone.locator(".level").first).to_be_hidden()
    finally:
        context.close()


def test_when_the_keypads_time_runs_out_the_service_is_unrated(browser, tablet, tmp_path):
    """A hall of its own whose keypad waits 5 s; its server restarts under the open keypad."""
    shutil.copytree(DEMO_CONFIG, tmp_path / "config")
    toml = tmp_path / "config" / "hall.toml"
    assert "keypad_seconds = 60\n" in toml.read_text(encoding="utf-8")
    toml.write_text(toml.read_text(encoding="utf-8").replace("keypad_seconds = 60\n", "keypad_seconds = 5\n"))
    hall = new_hall(tmp_path)
    url = hall.env["DATABASE_URL"]
    hall.tokens |= add_staff(url, [("clerk3", Role.CLERK), ("boss", Role.MANAGER)])
    hall.tokens |= {"P3": add_device_token(url, "keypad", "P3"), "K1": add_device_token(url, "kiosk", "K1")}
    server = hall.serve(tmp_path / "server.log")
    try:
        ready(hall, hall.tokens, 3, "clerk3")
        page = tablet(hall.url, 3, hall.tokens["P3"])
        expect(page.get_by_test_id("idle-line")).to_have_text("3号窗口 · 为您服务：clerk3名（工号 Bclerk3）")

        # The server restarts: the keypad subscribes again by itself.
        server.terminate()
        server.wait(timeout=15)
        expect(page.get_by_test_id("offline")).to_be_visible()
        server = hall.serve(tmp_path / "server2.log")
        expect(page.get_by_test_id("offline")).to_be_hidden()
        expect(page.locator("body")).to_have_attribute("data-live", "true")

        ticket = serve(hall, hall.tokens, 3, "clerk3", "B")
        expect(page.get_by_test_id("ticket")).to_have_text(f"{ticket['number']}号 · 出入境业务")
        assert int(page.get_by_test_id("countdown").get_attribute("data-seconds")) <= 5
        expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"^剩余 [0-3] 秒$"))
        expect_idle(page)
        (rating,) = ratings(hall, hall.tokens, 3, ticket["number"], manager="boss")
        assert (rating["status"], rating["score"], rating["channel"]) == ("unrated", None, None)
        late = api(hall, "POST", "/windows/3/evaluation", hall.tokens["P3"], json={"score": 5})
        assert late.status_code == 409
    finally:
        for context in browser.contexts:
            context.close()  # a graceful stop would wait for their sockets
        server.terminate()
        server.wait(timeout=15)


def test_setup_not_set_up_english_and_unknown_windows(live, tokens, tablet):
    page = tablet(live.url, 3, None)
    expect(page.get_by_test_id("unset-text")).to_have_text("未配置：请用 /keypad/3?token=… 打开")
    expect(page.get_by_test_id("idle")).to_be_hidden()

    ready(live, tokens, 3, "clerk3")
    english = tablet(live.url, 3, tokens["P3"], query="lang=en")
    assert english.url == f"{live.url}/keypad/3?lang=en"  # the token left the address bar
    expect(english.get_by_test_id("idle-line")).to_have_text(
        "Window 3 · Serving you: clerk3名 (badge Bclerk3)"
    )
    english.reload()  # kept in the browser
    expect(english.locator("body")).to_have_attribute("data-live", "true")
    expect(english.get_by_test_id("unset")).to_be_hidden()

    # Another window's token is refused, and says so.
    wrong = tablet(live.url, 4, tokens["P3"], wait=False)
    expect(wrong.get_by_test_id("unset-text")).to_contain_text("P3 is not the keypad of window 4")

    assert requests.get(f"{live.url}/keypad/99", timeout=5).status_code == 404
