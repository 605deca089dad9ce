"""The hall board's voice in Debian's Chromium: the board's include (voice.html, rendered with
the hall's real setup) on the live server's origin, announcer.js and the clips from the live
server, and the Web Audio they play through. Headless Chromium has no speech voices, so every
announcement here is said with the clips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import render_template

from hallq import create_app
from queue_core.models import Role
from tests.conftest import app_settings
from tests.live.conftest import LiveHall, add_staff
from tests.test_voice import default_clips  # noqa: F401 - the clips are built before the server serves them

pytestmark = pytest.mark.browser

WAIT = 60_000  # ms: how long an announcement may take before the test gives up on it
A012 = ["qing", "A", "0", "1", "2", "hao", "dao", "3", "hao_chuangkou_banli"]
A012_EN = ["number", "A", "0", "1", "2", "please_go_to_window", "3"]
PAUSE_S = 0.15  # announcer.js: between the chime and the sentence, and between sentences


def voice_include(live: LiveHall, root: Path, voice: str = "") -> str:
    """voice.html as the live hall's board renders it; `voice` is a [voice] table for hall.toml."""
    config = root / "config"
    shutil.copytree(live.env["HALLQ_CONFIG"], config)
    if voice:
        with (config / "hall.toml").open("a", encoding="utf-8") as toml:
            toml.write(f"\n[voice]\n{voice}\n")
    app = create_app(app_settings(root, config_dir=config))
    with app.test_request_context("/board/hall"):
        html = render_template("hall_display/voice.html")
    app.extensions["hallq"].printing.close()
    app.extensions["hallq"].db.engine.dispose()
    return html


def open_voice(browser, live: LiveHall, include: str, init_script: str | None = None):
    """A page on the live server's origin holding only the include: its script and clips come
    from the live server."""
    context = browser.new_context()
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    address = f"{live.url}/voice-test"
    html = f"<!doctype html>{include}"
    page.route(address, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
    page.goto(address)
    page.wait_for_function("window.hallqVoice !== undefined")
    return context, page


def said(page, count: int) -> list[dict]:
    """The log once `count` announcements have been said (or found blocked)."""
    page.wait_for_function(
        f"hallqVoice.log.length === {count} && hallqVoice.log.every((entry) => entry.endedAt !== null)",
        timeout=WAIT,
    )
    return page.evaluate("hallqVoice.log")


@pytest.fixture(scope="module")
def length(default_clips):  # noqa: F811 - the session fixture imported above
    """How long a list of (lang, name) clips plays, from the built set's manifest."""
    clips = json.loads((default_clips / "manifest.json").read_text("utf-8"))["languages"]
    return lambda said: sum(clips[lang]["clips"][name]["seconds"] for lang, name in said)


@pytest.fixture(scope="module")
def include(live, tmp_path_factory) -> str:
    return voice_include(live, tmp_path_factory.mktemp("voice-default"))


@pytest.fixture
def voice(browser, live, include):
    context, page = open_voice(browser, live, include)
    yield page
    context.close()


def test_two_calls_in_the_same_tick_are_both_said_in_order_never_overlapping(voice, length):
    voice.evaluate(
        """() => {
            hallqVoice.announce({ticket_id: 1, number: "A012", queue: "A", window: 3, recall: false});
            hallqVoice.announce({ticket_id: 2, number: "AB0007", queue: "AB", window: 12, recall: false});
        }"""
    )
    first, second = said(voice, 2)
    assert (first["number"], first["window"], second["number"], second["window"]) == ("A012", 3, "AB0007", 12)
    assert first["via"] == second["via"] == "clips"
    assert first["clips"] == ["chime", *A012]
    assert first["text"] == "请A零一二号到三号窗口办理"
    assert second["clips"] == ["chime", "qing", "A", "B", "0", "0", "0", "7", "hao", "dao", "10", "2",
                               "hao_chuangkou_banli"]  # fmt: skip
    assert second["text"] == "请AB零零零七号到十二号窗口办理"
    # Queued together, the second waited for the first to be said to its end.
    assert second["queuedAt"] < first["endedAt"] <= second["startedAt"]
    for entry in (first, second):
        played = [("zh", name) for name in entry["clips"]]
        assert entry["endedAt"] - entry["startedAt"] >= 1000 * (length(played) + PAUSE_S)


def test_a_recall_is_said_again(voice):
    call = {"ticket_id": 1, "number": "A012", "queue": "A", "window": 3, "recall": False}
    voice.evaluate("(call) => hallqVoice.announce(call)", call)
    said(voice, 1)
    voice.evaluate("(call) => hallqVoice.announce(call)", {**call, "recall": True})
    first, recall = said(voice, 2)
    assert (first["recall"], recall["recall"]) == (False, True)
    assert first["clips"] == recall["clips"] == ["chime", *A012]
    assert recall["via"] == "clips" and recall["startedAt"] >= first["endedAt"]


def test_repeat_and_english_follow_the_hall(browser, live, tmp_path, length):
    include = voice_include(live, tmp_path, "repeat = 2\nenglish = true")
    context, page = open_voice(browser, live, include)
    try:
        page.evaluate("hallqVoice.announce({number: 'A012', window: 3, recall: false})")
        (entry,) = said(page, 1)
    finally:
        context.close()
    assert entry["via"] == "clips"
    assert entry["clips"] == ["chime", *A012, *A012, *A012_EN]
    assert (
        entry["text"]
        == "请A零一二号到三号窗口办理 请A零一二号到三号窗口办理 Number A zero one two please go to window three"
    )
    played = [("zh", "chime"), *[("zh", name) for name in A012 * 2], *[("en", name) for name in A012_EN]]
    assert entry["endedAt"] - entry["startedAt"] >= 1000 * (length(played) + 3 * PAUSE_S)


def test_a_missing_clip_leaves_that_call_silent_and_the_next_is_said(voice):
    log = voice.evaluate(
        """async () => {
            const setup = JSON.parse(document.getElementById("hallq-voice-setup").textContent);
            delete setup.clips.zh["7"];  // as if nobody had recorded or built it
            const voice = new HallqAnnouncer(setup);
            voice.announce({number: "A017", window: 3, recall: false});
            await voice.announce({number: "A012", window: 3, recall: false});
            return voice.log;
        }"""
    )
    assert [(entry["via"], entry["number"]) for entry in log] == [("silent", "A017"), ("clips", "A012")]
    assert log[0]["error"] == "Error: missing clips: zh/7"
    assert log[0]["endedAt"] <= log[1]["startedAt"]


def test_every_window_and_ticket_number_is_said_with_clips_that_exist(voice):
    readings = voice.evaluate(
        """() => ({
            zh: [1, 3, 9, 10, 12, 20, 35, 99].map((n) => HallqAnnouncer.zhNumber(n)),
            en: [1, 3, 12, 19, 20, 35, 99].map((n) => HallqAnnouncer.enNumber(n)),
            spelt: ["A012", "AB0007", "b-12", "户A3"].map((number) => HallqAnnouncer.spell(number)),
        })"""
    )
    assert readings["zh"] == [["1"], ["3"], ["9"], ["10"], ["10", "2"], ["2", "10"], ["3", "10", "5"],
                              ["9", "10", "9"]]  # fmt: skip
    assert readings["en"] == [["1"], ["3"], ["12"], ["19"], ["20"], ["30", "5"], ["90", "9"]]
    assert readings["spelt"] == [
        ["A", "0", "1", "2"],
        ["A", "B", "0", "0", "0", "7"],
        ["B", "1", "2"],
        ["A", "3"],
    ]
    missing = voice.evaluate(
        """() => {
            const setup = JSON.parse(document.getElementById("hallq-voice-setup").textContent);
            const missing = [];
            for (const lang of ["zh", "en"]) {
                for (let window = 1; window <= 99; window++) {
                    for (const name of HallqAnnouncer.sentence(lang, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", window)) {
                        if (!setup.clips[lang][name]) missing.push(`${lang}/${name}`);
                    }
                }
            }
            return missing;
        }"""
    )
    assert missing == []


# Chromium's autoplay policy as a board browser started without
# --autoplay-policy=no-user-gesture-required meets it (headless Chromium never applies it): the
# page's AudioContext stays suspended and resume() waits, until the first real tap.
AUTOPLAY_POLICY = """(() => {
    let tapped = false;
    addEventListener("pointerdown", (event) => { tapped = tapped || event.isTrusted; }, true);
    window.AudioContext = class extends AudioContext {
        get state() { return tapped ? super.state : "suspended"; }
        resume() { return tapped ? super.resume() : new Promise(() => {}); }
    };
})()"""


def test_without_autoplay_permission_calls_are_logged_blocked_until_a_tap(browser, live, include):
    """The queue goes on (each call logged "blocked") instead of hanging, and a tap makes the
    board speak."""
    context, page = open_voice(browser, live, include, AUTOPLAY_POLICY)
    try:
        page.evaluate(
            """() => {
                hallqVoice.announce({number: "A012", window: 3, recall: false});
                hallqVoice.announce({number: "A013", window: 4, recall: false});
            }"""
        )
        first, second = said(page, 2)
        assert (first["via"], second["via"]) == ("blocked", "blocked")
        assert (first["clips"], first["text"]) == ([], "请A零一二号到三号窗口办理")
        assert first["endedAt"] <= second["startedAt"]
        page.mouse.click(10, 10)
        page.evaluate("hallqVoice.announce({number: 'A014', window: 5, recall: false})")
        assert said(page, 3)[2]["via"] == "clips"
    finally:
        context.close()


def test_the_hall_board_says_each_call_it_hears_and_a_recall_again(browser, live):
    """The whole way: a clerk calls at window 2, the hall board (/board/hall) hears
    ticket_called and its voice plays the sentence; what the board showed on connecting is
    not said."""
    live.tokens |= add_staff(live.env["DATABASE_URL"], [("voice2", Role.CLERK)])
    context = browser.new_context()
    try:
        board = context.new_page()
        board.goto(f"{live.url}/board/hall")
        board.wait_for_function("document.body.dataset.live === 'true'", timeout=WAIT)
        assert live.api("POST", "/windows/2/sign-in", "voice2").ok
        number = live.api("POST", "/tickets", "K1", json={"queue": "A"}).json()["number"]
        assert live.api("POST", "/windows/2/call", "voice2", json={"number": number}).ok
        (call,) = said(board, 1)
        assert live.api("POST", "/windows/2/recall", "voice2").ok
        _, recall = said(board, 2)
    finally:
        live.api("POST", "/windows/2/no-show", "voice2", json={})
        live.api("POST", "/windows/2/sign-out", "voice2")
        context.close()
    sentence = ["chime", "qing", *number, "hao", "dao", "2", "hao_chuangkou_banli"]
    assert (call["number"], call["window"], call["recall"], call["via"]) == (number, 2, False, "clips")
    assert call["clips"] == sentence
    assert (recall["recall"], recall["via"], recall["clips"]) == (True, "clips", sentence)


# Every 50 ms, whether the box shows the call the voice is saying (and what 即将呼叫 lists).
BOX_WATCH = """
() => {
  window.boxSeen = [];
  setInterval(() => {
    const speaking = hallqVoice.speaking;
    const box = document.querySelector(".latest .number").textContent;
    const upcoming = [...document.querySelectorAll(".upcoming-list li")].map((li) => li.dataset.number);
    if (speaking) window.boxSeen.push([speaking.number, box, upcoming.join()]);
  }, 50);
}
"""


def test_a_burst_of_calls_is_said_in_turn_with_the_box_showing_what_is_said(browser, live):
    """Four calls and two recalls in a second at window 9: four announcements (the recalls of
    the fourth, heard while it waited, are merged into it) within 20 s, the box showing each
    as it is said while the others wait in 即将呼叫."""
    live.tokens |= add_staff(live.env["DATABASE_URL"], [("burst9", Role.CLERK)])
    context = browser.new_context()
    numbers = [live.api("POST", "/tickets", "K1", json={"queue": "E"}).json()["number"] for _ in range(4)]
    try:
        board = context.new_page()
        board.goto(f"{live.url}/board/hall")
        board.wait_for_function("document.body.dataset.live === 'true'", timeout=WAIT)
        board.evaluate(BOX_WATCH)
        assert live.api("POST", "/windows/9/sign-in", "burst9").ok
        for n, number in enumerate(numbers):
            assert live.api("POST", "/windows/9/call", "burst9", json={"number": number}).ok
            if n < 3:
                assert live.api("POST", "/windows/9/no-show", "burst9", json={"requeue": False}).ok
        for _ in range(2):
            assert live.api("POST", "/windows/9/recall", "burst9").ok
        log = said(board, 4)
        seen = board.evaluate("window.boxSeen")
    finally:
        live.api("POST", "/windows/9/no-show", "burst9", json={"requeue": False})
        live.api("POST", "/windows/9/sign-out", "burst9")
        context.close()
    assert [entry["number"] for entry in log] == numbers
    assert [entry["via"] for entry in log] == ["clips"] * 4
    assert (log[3]["merged"], log[3]["recall"]) == (2, True)
    total = (log[-1]["endedAt"] - log[0]["queuedAt"]) / 1000
    assert total < 20, f"the burst took {total:.1f} s to say"
    for entry in log:
        assert (entry["endedAt"] - entry["startedAt"]) / 1000 <= 4.5  # at most 4 s said, and the lead
    assert seen and all(speaking == box for speaking, box, _ in seen), [s for s in seen if s[0] != s[1]][:5]
    said_first = [upcoming for speaking, _, upcoming in seen if speaking == numbers[0]]
    assert ",".join(numbers[1:]) in said_first  # the others waited in 即将呼叫 meanwhile
