"""The window boards and the hall board in Debian's Chromium against a real `hallq serve`:
calls, recalls, pauses and transfers reach them over /hall, they come back by themselves
after a server restart, and they fit their screens (640×160 and 1280×320 over a window,
1920×1080 and 3840×2160 in the hall). The shared live hall's windows 10-16 are theirs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect

from queue_core import Database, SystemClock, make_engine, windows
from queue_core.halls import hall_by_code
from queue_core.models import Role
from tests.live.conftest import LiveHall, add_staff, new_hall

TIMEOUT = 10_000  # ms
WINDOW_SCREENS = [(640, 160), (1280, 320)]
HALL_SCREENS = [(1920, 1080), (3840, 2160)]
PORTRAIT = (1080, 1920)  # a hall board hung upright
BLINKING = re.compile(r"\bblink\b")

# Records what the hall board asks the voice to announce, and passes it on to the voice.
VOICE_SPY = """
window.announced = [];
(() => {
  let voice;
  const spy = (call) => {
    window.announced.push(call.number);
    return voice && voice.announce(call);
  };
  Object.defineProperty(window, "hallqVoice", {
    configurable: true,
    get: () => new Proxy(voice || {}, { get: (target, name) => (name === "announce" ? spy : target[name]) }),
    set: (value) => { voice = value; },
  });
})();
"""

# Everything a board shows lies within the screen, and every text that shrinks to fit does.
OVERFLOWS = """
(scrolling) => {
  const [width, height] = [innerWidth, innerHeight];
  const name = (e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "");
  const found = [];
  const page = document.scrollingElement;
  if (page.scrollWidth > width || page.scrollHeight > height) found.push(`page ${page.scrollWidth}×${page.scrollHeight}`);
  for (const e of document.body.querySelectorAll("*")) {
    if (scrolling && e.closest(scrolling)) continue;
    const box = e.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.left < -0.5 || box.top < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5) {
      found.push(`${name(e)} at ${Math.round(box.left)},${Math.round(box.top)}-${Math.round(box.right)},${Math.round(box.bottom)}`);
    }
  }
  for (const e of document.querySelectorAll(".fit")) {
    if (e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight) {
      found.push(`${name(e)} content ${e.scrollWidth}×${e.scrollHeight} in ${e.clientWidth}×${e.clientHeight}`);
    }
  }
  return found;
}
"""


@pytest.fixture(scope="module")
def clerks(live: LiveHall) -> None:
    """board10 … board16, one for each window these tests use."""
    live.tokens |= add_staff(live.env["DATABASE_URL"], [(f"board{n}", Role.CLERK) for n in range(10, 17)])


@pytest.fixture
def open_board(browser):
    contexts = []

    def open_page(url: str, size: tuple[int, int], voice_spy: bool = False):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]})
        contexts.append(context)
        page = context.new_page()
        if voice_spy:
            page.add_init_script(VOICE_SPY)
        page.goto(url)
        expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=TIMEOUT)
        return page

    yield open_page
    for context in contexts:
        context.close()


def call_new_ticket(live: LiveHall, window: int, queue: str) -> str:
    """Issues a ticket and calls it at the window by its number (leftovers may wait in queue)."""
    number = live.api("POST", "/tickets", "K1", json={"queue": queue}).json()["number"]
    called = live.api("POST", f"/windows/{window}/call", f"board{window}", json={"number": number})
    assert called.ok, called.text
    return number


def act(live: LiveHall, window: int, action: str, /, **body: object) -> None:
    done = live.api("POST", f"/windows/{window}/{action}", f"board{window}", json=body)
    assert done.ok, done.text


def waiting_in(live: LiveHall, queue: str) -> int:
    return next(q["waiting"] for q in live.api("GET", "/queues").json() if q["code"] == queue)


def window_tile(page, window: int):
    return page.get_by_test_id("windows").locator(f'li[data-window="{window}"]')


@pytest.mark.browser
def test_a_call_and_its_recalls_blink_on_the_window_board_and_reach_the_hall_board(live, clerks, open_board):
    act(live, 10, "sign-in")
    first = call_new_ticket(live, 10, "F")
    board = open_board(f"{live.url}/board/window/10", (1280, 320))
    hall = open_board(f"{live.url}/board/hall", (1920, 1080), voice_spy=True)
    number = board.get_by_test_id("number")

    # What was true before they connected comes from the state, without blinking or a voice.
    expect(board.locator("body")).to_have_attribute("data-state", "called")
    expect(number).to_have_text(first)
    expect(number).to_have_attribute("data-calls", "0")
    expect(number).not_to_have_class(BLINKING)
    expect(board.get_by_test_id("clerk-name")).to_have_text("board10名")
    expect(board.get_by_test_id("clerk-badge")).to_contain_text("Bboard10")
    expect(hall.get_by_test_id("latest").locator(".number")).to_have_text(first)
    assert hall.evaluate("window.announced") == []

    act(live, 10, "recall")
    expect(number).to_have_attribute("data-calls", "1")
    expect(number).to_have_class(BLINKING)
    expect(hall.locator("body")).to_have_attribute("data-calls", "1")
    hall.wait_for_function(f"window.announced.join() === {first!r}")
    expect(number).not_to_have_class(BLINKING, timeout=TIMEOUT)  # the blink ends...
    act(live, 10, "recall")
    expect(number).to_have_attribute("data-calls", "2")
    expect(number).to_have_class(BLINKING)  # ...and a recall blinks again

    act(live, 10, "start")
    expect(board.locator("body")).to_have_attribute("data-state", "serving")
    act(live, 10, "finish", outcome="completed")
    expect(board.locator("body")).to_have_attribute("data-state", "idle")
    expect(number).to_be_hidden()

    second = call_new_ticket(live, 10, "F")
    expect(number).to_have_text(second)
    expect(number).to_have_attribute("data-calls", "3")
    expect(hall.get_by_test_id("latest").locator(".number")).to_have_text(second)
    expect(hall.get_by_test_id("latest")).to_contain_text("10号不动产登记窗口")
    expect(hall.get_by_test_id("recent").locator("li").first).to_have_attribute("data-number", first)
    expect(window_tile(hall, 10)).to_have_attribute("data-state", "called")
    expect(window_tile(hall, 10).locator(".detail")).to_have_text(second)
    expect(hall.locator('li[data-queue="F"] .number')).to_have_text(str(waiting_in(live, "F")))
    hall.wait_for_function(f"window.announced.join() === {','.join([first, first, second])!r}")


@pytest.mark.browser
def test_a_pause_shows_its_reason_until_the_window_resumes(live, clerks, open_board):
    act(live, 11, "sign-in")
    board = open_board(f"{live.url}/board/window/11", (640, 160))
    hall = open_board(f"{live.url}/board/hall", (1920, 1080))
    expect(board.locator("body")).to_have_attribute("data-state", "idle")

    act(live, 11, "pause", reason="会议")
    expect(board.locator("body")).to_have_attribute("data-state", "paused")
    expect(board.get_by_test_id("headline")).to_have_text("暂停服务")
    expect(board.get_by_test_id("status")).to_have_text("会议")
    expect(window_tile(hall, 11)).to_have_attribute("data-state", "paused")
    expect(window_tile(hall, 11).locator(".detail")).to_have_text("会议")

    act(live, 11, "resume")
    expect(board.locator("body")).to_have_attribute("data-state", "idle")
    expect(board.get_by_test_id("headline")).not_to_have_text("暂停服务")
    expect(board.get_by_test_id("status")).to_have_text("")
    expect(window_tile(hall, 11)).to_have_attribute("data-state", "idle")


@pytest.mark.browser
def test_a_transfer_empties_the_first_window_board(live, clerks, open_board):
    act(live, 12, "sign-in")
    number = call_new_ticket(live, 12, "G")
    board = open_board(f"{live.url}/board/window/12", (1280, 320))
    hall = open_board(f"{live.url}/board/hall", (1920, 1080))
    expect(board.get_by_test_id("number")).to_have_text(number)

    act(live, 12, "transfer", window=13, note="需要税务核定")
    expect(board.locator("body")).to_have_attribute("data-state", "idle")
    expect(board.get_by_test_id("number")).to_be_hidden()
    expect(window_tile(hall, 12)).to_have_attribute("data-state", "idle")
    expect(window_tile(hall, 12).locator(".detail")).not_to_have_text(number)


@pytest.mark.browser
def test_boards_show_the_truth_again_after_the_server_restarts(tmp_path, open_board):
    hall = new_hall(tmp_path)
    hall.tokens |= add_staff(hall.env["DATABASE_URL"], [("clerk3", Role.CLERK)])
    server = hall.serve(tmp_path / "server.log")
    boards = []
    try:
        assert hall.api("POST", "/windows/3/sign-in", "clerk3").ok
        board = open_board(f"{hall.url}/board/window/3", (640, 160))
        hall_board = open_board(f"{hall.url}/board/hall", (1920, 1080))
        boards += [board, hall_board]
        expect(board.locator("body")).to_have_attribute("data-state", "idle")
        expect(board.get_by_test_id("offline")).to_be_hidden()

        server.terminate()
        server.wait(timeout=15)
        expect(board.get_by_test_id("offline")).to_be_visible()
        expect(hall_board.get_by_test_id("offline")).to_be_visible()
        database = Database(make_engine(hall.env["DATABASE_URL"]), SystemClock())  # no publisher
        with database.write() as uow:
            windows.pause(uow, hall_by_code(uow, "qingshan"), 3, None, "系统维护")
        database.engine.dispose()

        server = hall.serve(tmp_path / "server2.log")
        # The requirement: within 5 s of the server's return, without a reload.
        expect(board.locator("body")).to_have_attribute("data-state", "paused", timeout=5000)
        expect(board.get_by_test_id("status")).to_have_text("系统维护")
        expect(board.get_by_test_id("offline")).to_be_hidden()
        expect(window_tile(hall_board, 3)).to_have_attribute("data-state", "paused", timeout=5000)
        expect(hall_board.get_by_test_id("offline")).to_be_hidden()
    finally:
        for page in boards:
            page.context.close()  # a graceful stop would wait for their sockets
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.browser
def test_posted_notices_scroll_on_the_hall_board_until_withdrawn_or_over(live, browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    hall = context.new_page()
    hall.clock.install()  # the board's own time, to let a notice's hour pass
    try:
        hall.goto(f"{live.url}/board/hall")
        notices = hall.get_by_test_id("notices").locator(".group").first.locator(".notice")
        expect(notices.filter(has_text="办公时间")).to_have_count(1)  # the hall's standing notices

        def post(title: str, **more: object) -> int:
            posted = live.api(
                "POST", "/notices", "manager", json={"title": title, "text": "今日16:00后停止取号", **more}
            )
            assert posted.status_code == 201
            return posted.json()["id"]

        withdrawn = post("系统升级")
        expect(notices.first).to_contain_text("系统升级")
        hourly = post("临时通知", minutes=60)
        expect(notices.first).to_contain_text("临时通知")  # the newest first
        assert live.api("DELETE", f"/notices/{withdrawn}", "manager").ok
        expect(notices.filter(has_text="系统升级")).to_have_count(0)
        expect(notices.filter(has_text="临时通知")).to_have_count(1)
        hall.clock.set_system_time(datetime.now(UTC) + timedelta(minutes=61))  # no timers fire early
        expect(notices.filter(has_text="临时通知")).to_have_count(0)
        expect(notices.filter(has_text="办公时间")).to_have_count(1)
        assert live.api("DELETE", f"/notices/{hourly}", "manager").ok
    finally:
        context.close()


def assert_fits(page, scrolling: str | None = None) -> None:
    assert page.evaluate(OVERFLOWS, scrolling) == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_window_board_fits_and_is_legible_at_its_sizes(live, clerks, open_board, lang):
    window = 14 if lang == "zh" else 15
    act(live, window, "sign-in")
    boards = [open_board(f"{live.url}/board/window/{window}?lang={lang}", size) for size in WINDOW_SCREENS]
    for board in boards:
        expect(board.locator("body")).to_have_attribute("data-state", "idle")
        assert_fits(board)

    number = call_new_ticket(live, window, "H")
    for board in boards:
        expect(board.get_by_test_id("number")).to_have_text(number)
        assert_fits(board)
        size = board.evaluate(
            "(() => parseFloat(getComputedStyle(document.querySelector('.number')).fontSize) / innerHeight)()"
        )
        assert size >= 0.4, f"the number is {size:.0%} of the board's height"

    act(live, window, "no-show", requeue=False)
    act(live, window, "pause", reason="请到相邻窗口办理" * 10)  # the longest reason there is: 80
    for board in boards:
        expect(board.locator("body")).to_have_attribute("data-state", "paused")
        assert_fits(board)
    act(live, window, "resume")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_hall_board_fits_at_its_sizes(live, clerks, open_board, lang):
    # A full board: twelve tickets called (the last recalled twice: it shows once), a long pause
    # reason, every queue; on landscape screens and a portrait one.
    act(live, 16, "sign-in")
    for n in range(12):
        number = call_new_ticket(live, 16, "A")
        if n < 11:
            act(live, 16, "no-show", requeue=False)
    act(live, 16, "recall")
    act(live, 16, "recall")
    boards = [open_board(f"{live.url}/board/hall?lang={lang}", size) for size in [*HALL_SCREENS, PORTRAIT]]
    act(live, 16, "no-show", requeue=False)
    act(live, 16, "pause", reason="系统维护中，预计三十分钟后恢复服务，请到其他窗口办理")
    for board in boards:
        expect(window_tile(board, 16)).to_have_attribute("data-state", "paused")
        recent = board.get_by_test_id("recent").locator("li")
        expect(recent).to_have_count(11)
        listed = [recent.nth(n).get_attribute("data-number") for n in range(11)]
        assert number not in listed and len(set(listed)) == 11  # each ticket once
        expect(board.get_by_test_id("latest").locator(".number")).to_have_text(number)
        expect(board.get_by_test_id("notices")).to_be_visible()
        assert_fits(board, scrolling=".notices")
    act(live, 16, "resume")


# The contrast of each window tile's texts on the board's black, through any fading.
TILE_CONTRASTS = r"""
() => {
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const found = {};
  for (const tile of document.querySelectorAll(".window-grid li")) {
    for (const part of tile.querySelectorAll(".no, .state, .detail")) {
      let opacity = 1;
      for (let e = part; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const [r, g, b] = getComputedStyle(part).color.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
      const seen = [r, g, b].map((c) => c * opacity + 13 * (1 - opacity));  // over the panel, #0d0d0d
      const ratio = (luminance(seen) + 0.05) / (luminance([13, 13, 13]) + 0.05);
      const key = `${tile.dataset.state} ${part.className}`;
      found[key] = Math.min(found[key] ?? Infinity, Math.round(ratio * 100) / 100);
    }
  }
  return found;
}
"""


@pytest.mark.browser
def test_a_closed_window_is_not_a_paused_one_and_every_state_is_legible(live, clerks, open_board):
    hall = open_board(f"{live.url}/board/hall", (1920, 1080))
    closed = open_board(f"{live.url}/board/window/13", (1280, 320))
    expect(closed.get_by_test_id("headline")).to_have_text("未开放")
    expect(window_tile(hall, 13).locator(".state")).to_have_text("未开放")
    act(live, 12, "sign-in")
    act(live, 12, "pause", reason="会议")
    try:
        expect(window_tile(hall, 12).locator(".state")).to_have_text("暂停服务")
        contrasts = hall.evaluate(TILE_CONTRASTS)
        assert {key.split()[0] for key in contrasts} >= {"closed", "paused"}
        assert all(ratio >= 4.5 for ratio in contrasts.values()), contrasts
        # Plain zeros: the numbers are set in DejaVu Sans, whose zero has no dot (its Mono's has).
        family = hall.evaluate("getComputedStyle(document.querySelector('.latest .number')).fontFamily")
        assert family.startswith('"DejaVu Sans"') and "Mono" not in family
    finally:
        act(live, 12, "resume")
        act(live, 12, "sign-out")


@pytest.mark.browser
def test_english_labels_with_lang_en(live, clerks, open_board):
    board = open_board(f"{live.url}/board/window/13?lang=en", (1280, 320))
    expect(board.locator("html")).to_have_attribute("lang", "en")
    expect(board.get_by_test_id("window-no")).to_have_text("Window 13")
    expect(board.get_by_test_id("window-name")).to_have_text("Taxation")
    act(live, 13, "sign-in")
    try:
        called = call_new_ticket(live, 13, "G")
        hall = open_board(f"{live.url}/board/hall?lang=en", (1920, 1080))
        expect(hall.locator("h2").first).to_have_text("Now calling")
        expect(hall.locator('li[data-queue="F"] .name')).to_contain_text("Real estate registration")
        # The call names the window by its number and what it does, not by its Chinese name.
        latest = hall.get_by_test_id("latest")
        expect(latest.locator(".number")).to_have_text(called)
        expect(latest.locator(".where")).to_have_text("Please go to window 13 (Taxation)")
        chinese = open_board(f"{live.url}/board/hall", (1920, 1080))
        expect(chinese.get_by_test_id("latest").locator(".where")).to_have_text("请到13号税务窗口")
        act(live, 13, "start")  # served, so that no ticket is left waiting for the next module
        act(live, 13, "finish", outcome="completed")
    finally:
        act(live, 13, "sign-out")
    chinese = open_board(f"{live.url}/board/window/13", (1280, 320))
    expect(chinese.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(chinese.get_by_test_id("window-name")).to_have_text("13号税务窗口")


def test_a_window_the_hall_does_not_have_has_no_board(live):
    assert requests.get(f"{live.url}/board/window/99", timeout=5).status_code == 404
    assert requests.get(f"{live.url}/board/window/16", timeout=5).status_code == 200
