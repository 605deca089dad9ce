"""The crawler's detector finds English on a Chinese screen, and lets pass what a Chinese
screen rightly writes in Latin letters."""

from __future__ import annotations

import pytest

from tests.english_words import english_in


@pytest.mark.parametrize(
    "text",
    [
        "请A012号到3号窗口办理",
        "GA001 居民身份证申领",
        "扫描二维码（QR）用手机查看 · K1 · 8:30-12:00",
        "输入拼音首字母，如 hydj（婚姻登记）",
        "q w e r t y ⌫ ✕",
        "English",
        "Hallq 青山县政务服务中心",
        "约 15 min · 2.5 km",
        "http://127.0.0.1:5000/t/3f9a2b 身份证号 11010119900307X",
    ],
)
def test_what_a_chinese_screen_may_write_in_latin_letters_passes(text):
    assert english_in(text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # The planted strings: a sentence, and lone words among Chinese.
        (
            "抱歉，未能取号：log in or send Authorization: Bearer <token>",
            ["log in or send Authorization Bearer", "token"],
        ),
        ("Not Found", ["Not", "Found"]),
        ("The requested URL was not found on the server.", ["The requested URL was not found on the server"]),
        ("1 services", ["services"]),
        ("For：自然人", ["For"]),
        ("请到 window 4 办理", ["window"]),
        ("请检查以下填写项：colour。", ["colour"]),
    ],
)
def test_english_on_a_chinese_screen_is_found(text, found):
    assert english_in(text) == found


def test_the_identifiers_an_error_names_may_be_named():
    assert english_in("请检查以下填写项：colour、id_number。", frozenset({"colour"})) == []
