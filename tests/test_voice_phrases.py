"""The kiosk's voice guidance on the server: phrases (names, titles, the voice's sentences)
spoken by espeak-ng as the board's default clips are, kept on disk, and served only for texts a
kiosk shows, the catalogue's new items included."""

from __future__ import annotations

import json
import re
import wave

import pytest

from hall_display.voice_clips import phrase_clip, phrase_voice
from tests.api.test_catalogue_admin import NEW_ITEM

MARRIAGE = "内地居民婚姻登记（结婚登记）"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("婚姻登记", ("zh", "hun1 yin1 deng1 ji4")),
        # Digits are said as a number, brackets are a pause, Latin letters are said by name.
        ("12号婚姻登记窗口", ("zh", "shi2 er4 hao4 hun1 yin1 deng1 ji4 chuang1 kou3")),
        (MARRIAGE, ("zh", "nei4 di4 ju1 min2 hun1 yin1 deng1 ji4, jie2 hun1 deng1 ji4")),
        ("A区3号窗口", ("zh", "A qu1 san1 hao4 chuang1 kou3")),
        ("您的号码是", ("zh", "nin2 de5 hao4 ma3 shi4")),
        ("绿色通道", ("zh", "lü4 se4 tong1 dao4")),
        ("Your number is", ("en", "Your number is")),
    ],
)
def test_a_phrase_is_given_to_espeak_as_pinyin_with_tones(text, spoken):
    assert phrase_voice(text) == spoken


def test_a_phrase_clip_is_spoken_once_and_kept(tmp_path):
    path = phrase_clip("12号婚姻登记窗口", tmp_path)
    with wave.open(str(path), "rb") as clip:
        assert clip.getnchannels() == 1 and clip.getnframes() / clip.getframerate() > 0.8
    built = path.stat().st_mtime_ns
    assert phrase_clip("12号婚姻登记窗口", tmp_path) == path and path.stat().st_mtime_ns == built
    other = phrase_clip("婚姻登记", tmp_path)
    assert other != path
    # Only the finished clips are left: no half-written temporary file.
    assert sorted(p.name for p in (tmp_path / "zh").iterdir()) == sorted([path.name, other.name])


def phrase(client, text: str):
    return client.get("/kiosk/voice/phrase", query_string={"text": text})


def test_only_what_a_kiosk_shows_is_spoken(app):
    client = app.test_client()
    for text in (MARRIAGE, "Marriage registration", "青山县民政局", "婚姻", "4号婚姻登记窗口", "您的号码是", "前面还有", "人",
                 "请选择或搜索您要办理的事项", "Your number is", "people ahead of you", "搜索办事事项"):  # fmt: skip
        answer = phrase(client, text)
        assert (answer.status_code, answer.mimetype) == (200, "audio/wav"), text
        assert answer.data.startswith(b"RIFF")
    for text in ("", "请到3号窗口领取奖金", "../hall.toml", "x" * 201):
        answer = phrase(client, text)
        assert answer.status_code == 404 and b"RIFF" not in answer.data, text
    assert app.extensions["hallq"].settings.HALLQ_INSTANCE.joinpath("voice-phrases", "zh").is_dir()


def test_an_item_added_while_the_hall_is_open_can_be_spoken(app, api):
    client = app.test_client()
    assert phrase(client, "测试事项").status_code == 404
    assert api.request("PUT", "/catalogue/items/TEST-1", "manager", NEW_ITEM).status_code == 200
    assert phrase(client, "测试事项").status_code == 200
    api.request("PUT", "/catalogue/items/TEST-1/active", "manager", {"active": False})
    assert phrase(client, "测试事项").status_code == 404


def kiosk_setup(client, kiosk: str) -> tuple[dict, str]:
    page = client.get(f"/kiosk/{kiosk}").text
    return json.loads(re.search(r'id="kiosk-setup">(.*?)</script>', page, re.S).group(1)), page


def test_only_a_kiosk_with_voice_guidance_loads_the_voice(app):
    client = app.test_client()
    setup, page = kiosk_setup(client, "K2")  # voice_guidance = true in the demo's hall.toml
    assert setup["voice"]["phrase"] == "/kiosk/voice/phrase"
    assert setup["voice"]["strings"]["zh"]["number"] == "您的号码是 %(number)s 号"
    assert setup["voice"]["strings"]["en"]["ahead"] == "%(n)s people ahead of you"
    assert "kiosk-voice.js" in page and "announcer.js" in page and 'id="hallq-voice-setup"' in page
    setup, page = kiosk_setup(client, "K1")
    assert setup["voice"] is None
    assert "kiosk-voice.js" not in page and "announcer.js" not in page
