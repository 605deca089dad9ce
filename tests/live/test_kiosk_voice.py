"""The kiosk's voice guidance (语音引导) in Debian's Chromium against the live hall: kiosk K2 has
`voice_guidance = true` in the demo's hall.toml, K1 does not. What is spoken is read from the
voice's log (kiosk-voice.js) and from the Web Audio sources the page starts, counted by a probe
put into the page before its scripts."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.live.conftest import add_device_token
from tests.live.test_kiosk import SCREENS, TIMEOUT
from tests.test_voice import default_clips  # noqa: F401 - the clips are built before the server serves them

pytestmark = pytest.mark.browser

DEPARTMENT = "青山县医疗保障局"  # its items take tickets in queue D
# Every Web Audio clip the page starts, whoever starts it.
AUDIO_PROBE = """
window.startedClips = [];
const start = AudioBufferSourceNode.prototype.start;
AudioBufferSourceNode.prototype.start = function (...args) {
  window.startedClips.push(this.buffer.duration);
  return start.apply(this, args);
};
"""
ZH_DIGITS = "零一二三四五六七八九"


def zh_count(n: int) -> str:
    """A count as the voice says it (the board's clips): 3 三, 12 十二, 40 四十."""
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGITS[tens]) + "十" + (ZH_DIGITS[ones] if ones else "")


@pytest.fixture
def kiosk_page(browser, live, default_clips):  # noqa: F811 - the session fixture imported above
    """Opens a kiosk (K1 or K2) with its device token and the audio probe; cancels the tickets
    the test takes, so the shared hall's line D stays as other modules expect it."""
    opened: list[BrowserContext] = []
    taken: list[str | None] = []

    def open_kiosk(kiosk: str):
        token = live.tokens.get(kiosk) or add_device_token(live.env["DATABASE_URL"], "kiosk", kiosk)
        live.tokens[kiosk] = token
        context = browser.new_context(viewport=SCREENS["portrait"], has_touch=True, locale="zh-CN")
        context.add_init_script(AUDIO_PROBE)
        opened.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(f"{live.url}/kiosk/{kiosk}?token={token}")
        page.wait_for_selector(".departments .tile")
        return page

    yield open_kiosk, taken
    for context in opened:
        context.close()
    for ticket_id in taken:
        live.api("POST", f"/tickets/{ticket_id}/cancel", "manager")


def reading(page, index: int, until: str = "entry.via !== null") -> dict:
    """The voice's log entry `index`, once `until` holds for it."""
    page.wait_for_function(
        f"(() => {{ const entry = hallqKioskVoice.log[{index}]; return entry && ({until}); }})()",
        timeout=30_000,
    )
    return page.evaluate(f"hallqKioskVoice.log[{index}]")


def test_with_voice_guidance_the_titles_the_item_and_the_ticket_are_spoken(kiosk_page, live):
    open_kiosk, taken = kiosk_page
    page = open_kiosk("K2")
    assert page.evaluate("hallqKioskVoice.log") == []  # nothing said before anyone touches it

    page.locator(".departments .tile", has_text=DEPARTMENT).tap()
    department = reading(page, 0)
    assert (department["what"], department["text"], department["via"]) == ("title", DEPARTMENT, "clips")

    page.locator(".list .item").first.tap()
    item_name = page.locator(".detail h2.title").inner_text()
    item = reading(page, 1, "entry.endedAt !== null")
    assert (item["what"], item["text"], item["via"], item["hushed"]) == ("title", item_name, "clips", False)

    page.get_by_test_id("take").tap()
    card = page.get_by_test_id("ticket")
    card.wait_for()
    taken.append(card.get_attribute("data-ticket"))
    number = page.get_by_test_id("number").inner_text()
    ahead = int(page.get_by_test_id("ahead").inner_text())
    ticket = reading(page, 2, "entry.endedAt !== null")
    spelled = "".join(ZH_DIGITS[int(c)] if c.isdigit() else c for c in number)
    windows = live.api("GET", f"/tickets/{taken[0]}").json()["windows"]
    assert ticket["what"] == "ticket" and ticket["via"] == "clips" and not ticket["hushed"]
    assert ticket["text"] == (
        f"您的号码是{spelled}号，前面还有{zh_count(ahead)}人，请到{''.join(w['name'] for w in windows)}等候叫号"
    )
    # The number is said with the hall board's clips, letter by letter and digit by digit.
    board_clips = [clip.rsplit("/", 1)[1] for clip in ticket["clips"] if clip.startswith("/board/voice/zh/")]
    assert board_clips[: len(number)] == list(number)
    # Every clip of every reading was started in the page's Web Audio, and nothing else was.
    log = page.evaluate("hallqKioskVoice.log")
    assert page.evaluate("startedClips.length") == sum(len(entry["clips"]) for entry in log) > len(number)


def test_a_touch_silences_the_reading(kiosk_page):
    open_kiosk, taken = kiosk_page
    page = open_kiosk("K2")
    page.locator(".departments .tile", has_text=DEPARTMENT).tap()
    page.locator(".list .item").first.tap()
    reading(page, 1)
    page.get_by_test_id("take").tap()
    page.get_by_test_id("ticket").wait_for()
    taken.append(page.get_by_test_id("ticket").get_attribute("data-ticket"))
    reading(page, 2, "entry.via === 'clips'")  # the ticket is being read (several seconds)...
    page.get_by_test_id("number").tap()  # ...when the citizen touches the screen
    ticket = reading(page, 2, "entry.endedAt !== null")
    assert ticket["hushed"] is True
    # 完成 leads home: a screen the citizen opened, so its title is said, the hall's name first.
    page.get_by_role("button", name="完成").tap()
    home = reading(page, 3)
    assert home["text"] == "青山县政务服务中心请选择或搜索您要办理的事项"


def test_the_citizen_can_switch_the_voice_off_and_on(kiosk_page):
    open_kiosk, _ = kiosk_page
    page = open_kiosk("K2")
    switch = page.get_by_test_id("voice-toggle")
    expect(switch).to_have_text("关闭语音")
    expect(switch).to_have_attribute("aria-pressed", "true")
    switch.tap()
    expect(switch).to_have_text("开启语音")
    expect(switch).to_have_attribute("aria-pressed", "false")
    page.locator(".departments .tile", has_text=DEPARTMENT).tap()
    expect(page.locator(".list .item").first).to_be_visible()
    assert page.evaluate("hallqKioskVoice.log") == []  # nothing said while it is off
    switch.tap()  # on again: the screen's title is read
    expect(switch).to_have_text("关闭语音")
    assert reading(page, 0)["text"] == DEPARTMENT
    page.locator('[data-action="language"]').tap()
    expect(switch).to_have_text("Voice off")


def test_in_english_the_voice_speaks_english(kiosk_page):
    open_kiosk, _ = kiosk_page
    page = open_kiosk("K2")
    page.locator('[data-action="language"]').tap()
    home = reading(page, 0)
    assert (home["lang"], home["text"]) == (
        "en",
        "青山县政务服务中心 Please choose the service you need, or search for it",
    )
    page.get_by_test_id("search").tap()
    search = reading(page, 1)
    assert (search["text"], search["via"]) == ("Search for a service", "clips")


def test_without_voice_guidance_nothing_is_spoken(kiosk_page):
    open_kiosk, taken = kiosk_page
    page = open_kiosk("K1")
    heard = []
    page.on("request", lambda request: heard.append(request.url) if "/voice/" in request.url else None)
    page.locator(".departments .tile", has_text=DEPARTMENT).tap()
    page.locator(".list .item").first.tap()
    page.get_by_test_id("take").tap()
    card = page.get_by_test_id("ticket")
    card.wait_for()
    taken.append(card.get_attribute("data-ticket"))
    expect(page.get_by_test_id("print-note")).to_have_text("请从下方出票口取走号票。")
    assert page.evaluate("[window.hallqKioskVoice, window.hallqVoice, startedClips]") == [None, None, []]
    assert heard == []


def test_the_voice_runs_under_the_content_security_policy(browser, live, kiosk_page):
    open_kiosk, _ = kiosk_page
    open_kiosk("K2")  # its device token
    context = browser.new_context(viewport=SCREENS["portrait"], has_touch=True, bypass_csp=False)
    try:
        page = context.new_page()
        seen = []
        page.on("console", lambda m: seen.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(f"{live.url}/kiosk/K2?token={live.tokens['K2']}")
        page.locator(".departments .tile", has_text=DEPARTMENT).tap()
        expect(page.locator(".list .item").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert seen == []
        assert page.evaluate("hallqKioskVoice.log.map((entry) => [entry.text, entry.via])") == [
            [DEPARTMENT, "clips"]
        ]
    finally:
        context.close()
