"""The kiosk's screen keyboards within reach, and Chinese typed three ways (issue 22): a QWERTY
keyboard at the foot of the screen with keys of 15 mm, a pinyin candidate bar made of the
catalogue's words, and an input method's (or a handwriting pad's) composed text. In Debian's
Chromium at the kiosk's portrait 1080×1920 and landscape 1920×1080, against a real `hallq serve`."""

from __future__ import annotations

from itertools import pairwise
from urllib.parse import parse_qs, urlparse

import pytest

from tests.live.test_kiosk import SCREENS, TIMEOUT, hall_changed, open_item, open_kiosk

pytestmark = pytest.mark.browser

# A 21.5" kiosk at 1080×1920 has some 0.248 mm to a CSS px: a 15 mm key is 61 px, 2 mm are 8.
KEY_PX = 61
GAP_PX = 8
FOOT_PX = 64  # "at the foot of the screen": its last row ends this close to the bottom
QWERTY = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
SOCIAL_SECURITY_CARD = "社会保障卡申领（即时制卡）"


@pytest.fixture(
    params=[(screen, large) for screen in SCREENS for large in (False, True)],
    ids=lambda p: p[0] + ("-large" if p[1] else ""),
)
def kiosk(request, browser, live):
    """The kiosk at each orientation, in normal type and in large-text mode (大字模式)."""
    screen, large = request.param
    context, page = open_kiosk(browser, live.url, live.tokens["K1"], screen)
    if large:
        page.locator('[data-action="elderly"]').tap()
    yield page
    context.close()


def keys_by_row(page, keyboard: str) -> list[list[dict]]:
    """The keys' boxes, row by row (the keys whose tops are within a key's height), each row left
    to right."""
    boxes = page.locator(f"{keyboard} .key").evaluate_all(
        """keys => keys.map((k) => { const r = k.getBoundingClientRect();
                     return { text: k.textContent, x: r.x, y: r.y, width: r.width, height: r.height }; })"""
    )
    rows: list[list[dict]] = []
    for box in sorted(boxes, key=lambda b: (b["y"], b["x"])):
        if rows and abs(rows[-1][0]["y"] - box["y"]) < KEY_PX / 2:
            rows[-1].append(box)
        else:
            rows.append([box])
    return rows


def assert_within_reach(page, keyboard: str) -> None:
    """Keys of 15 mm with 2 mm between, the whole keyboard on the screen at its foot, and in
    portrait in its lower half (a landscape screen is some 27 cm high: all of it is in reach)."""
    viewport = page.viewport_size
    rows = keys_by_row(page, keyboard)
    for row in rows:
        for key in row:
            assert key["width"] >= KEY_PX and key["height"] >= KEY_PX, key
        for left, right in pairwise(row):
            assert right["x"] - (left["x"] + left["width"]) >= GAP_PX, (left, right)
    for upper, lower in pairwise(rows):
        assert min(k["y"] for k in lower) - max(k["y"] + k["height"] for k in upper) >= GAP_PX
    top = min(k["y"] for k in rows[0])
    bottom = max(k["y"] + k["height"] for k in rows[-1])
    assert bottom <= viewport["height"] and min(k["x"] for row in rows for k in row) >= 0
    assert max(k["x"] + k["width"] for row in rows for k in row) <= viewport["width"]
    assert bottom >= viewport["height"] - FOOT_PX, f"the keyboard ends at {bottom} of {viewport['height']} px"
    if viewport["height"] > viewport["width"]:
        assert top >= viewport["height"] / 2, f"the keyboard's top is at {top} of {viewport['height']} px"


def tap_keys(page, letters: str) -> None:
    for letter in letters:
        page.locator(f'.letters .key:text-is("{letter}")').tap()


def results_for(page, query: str) -> list[str]:
    """The names of the items found, once the answer for the query is on screen."""
    page.wait_for_selector(f'.results[data-query="{query}"]', timeout=TIMEOUT)
    return page.locator(".results .item .name").all_inner_texts()


def assert_in_view_above_the_keyboard(page, element) -> None:
    """Seen, and tappable: inside the screen, above the keyboard, and on top where it is."""
    box = element.bounding_box()
    dock = page.locator(".dock").bounding_box()
    viewport = page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    beside = dock["x"] >= box["x"] + box["width"]  # landscape: the keyboard is on the right
    assert beside or box["y"] + box["height"] <= dock["y"], (box, dock)
    assert element.evaluate(
        """e => { const r = e.getBoundingClientRect();
                  return e.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"""
    )


def test_the_letter_keyboard_is_qwerty_within_reach_and_the_results_stay_in_view(kiosk):
    kiosk.get_by_test_id("search").tap()
    rows = keys_by_row(kiosk, ".letters")
    assert ["".join(k["text"] for k in row) for row in rows[:2]] == QWERTY[:2]
    assert [k["text"] for k in rows[2]] == [*QWERTY[2], "删除"]
    assert [k["text"] for k in rows[3]] == ["清空", "空格"]
    assert_within_reach(kiosk, ".letters")
    tap_keys(kiosk, "sbk")
    assert kiosk.get_by_test_id("typed").input_value() == "sbk"
    assert results_for(kiosk, "sbk")[0] == SOCIAL_SECURITY_CARD
    assert_in_view_above_the_keyboard(kiosk, kiosk.locator(".results .item").first)
    assert_in_view_above_the_keyboard(kiosk, kiosk.get_by_test_id("typed"))
    kiosk.locator('.letters .key:text-is("删除")').tap()
    assert kiosk.get_by_test_id("typed").input_value() == "sb"
    kiosk.locator('.letters .key:text-is("清空")').tap()
    assert kiosk.get_by_test_id("typed").input_value() == ""
    assert kiosk.locator(".results .item").count() == 0


def test_the_booking_code_pad_is_within_reach(kiosk):
    kiosk.get_by_test_id("checkin").tap()
    assert_within_reach(kiosk, ".codepad")


def test_the_id_number_pad_is_within_reach(browser, live):
    limited = "UPDATE queue SET id_limit = 1 WHERE code = 'G'"
    with hall_changed(live, [limited], ["UPDATE queue SET id_limit = NULL WHERE code = 'G'"]):
        for screen in SCREENS:
            context, page = open_kiosk(browser, live.url, live.tokens["K1"], screen)
            try:
                for large in (False, True):
                    if large:
                        page.locator('[data-action="elderly"]').tap()
                    open_item(page, "国家税务总局青山县税务局", "契税申报")
                    page.get_by_test_id("take").tap()
                    page.wait_for_selector(".pinpad", timeout=TIMEOUT)
                    assert_within_reach(page, ".pinpad")
                    page.locator('[data-action="home"]').tap()
            finally:
                context.close()


def test_pinyin_offers_the_catalogues_words_and_a_tap_searches_the_chinese(kiosk, live):
    kiosk.get_by_test_id("search").tap()
    candidates = kiosk.get_by_test_id("candidates")
    assert candidates.locator(".candidate").count() == 0
    tap_keys(kiosk, "shebao")
    kiosk.wait_for_selector(".candidate", timeout=TIMEOUT)
    offered = candidates.locator(".candidate").all_inner_texts()
    assert offered[0] == "社保"  # spelled in full; the words it begins follow
    assert "社保卡" in offered and offered.index("社保卡") > 0
    for candidate in candidates.locator(".candidate").all():
        box = candidate.bounding_box()
        assert box["height"] >= KEY_PX and box["width"] >= KEY_PX
    candidates.locator(".candidate", has_text="社保").first.tap()
    assert kiosk.get_by_test_id("typed").input_value() == "社保"
    expected = [i["name"] for i in live.api("GET", "/items", params={"q": "社保", "limit": 30}).json()]
    assert expected[0] == SOCIAL_SECURITY_CARD
    assert results_for(kiosk, "社保") == expected
    assert candidates.locator(".candidate").count() == 0  # no pinyin left to choose for
    # Initials offer words too, and a chosen word takes the place of the pinyin after Chinese.
    tap_keys(kiosk, "zy")
    candidates.locator(".candidate", has_text="转移").first.tap()
    assert kiosk.get_by_test_id("typed").input_value() == "社保转移"
    assert results_for(kiosk, "社保转移")[0] == "基本养老保险关系转移接续"


def test_an_input_method_searches_the_composed_chinese_not_its_pinyin(kiosk, live):
    """As a physical keyboard's pinyin input method or a handwriting pad types: it composes
    (shown in the box, underlined), then commits the Chinese."""
    searched: list[str] = []
    kiosk.on(
        "request",
        lambda r: (
            searched.extend(parse_qs(urlparse(r.url).query).get("q", []))
            if "/api/v1/items?" in r.url
            else None
        ),
    )
    kiosk.get_by_test_id("search").tap()
    box = kiosk.get_by_test_id("typed")
    box.focus()
    ime = kiosk.context.new_cdp_session(kiosk)
    for composing in ("s", "sh", "she", "sheb", "shebao"):
        ime.send(
            "Input.imeSetComposition",
            {"text": composing, "selectionStart": len(composing), "selectionEnd": len(composing)},
        )
    assert box.input_value() == "shebao"  # composing in the box...
    ime.send("Input.insertText", {"text": "社保"})  # ...then committed
    assert box.input_value() == "社保"
    assert results_for(kiosk, "社保")[0] == SOCIAL_SECURITY_CARD
    assert searched == ["社保"]  # nothing was searched on the way
    # Pasted (or typed by a pad that commits at once), Chinese is searched as it comes.
    kiosk.locator('.letters .key:text-is("清空")').tap()
    kiosk.keyboard.insert_text("身份证丢了")
    assert results_for(kiosk, "身份证丢了")[0] == "居民身份证补领"
    assert searched[-1] == "身份证丢了"
