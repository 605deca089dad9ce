"""`hallq led-bridge`: the framings' exact bytes, the text per window state and its encoding, a
hall's own framing, the serial line on a real pseudo-terminal unplugged and plugged back, and
the whole bridge between a real `hallq serve` and a pty, across a server restart."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from hall_display.led_bridge import (
    LedError,
    LedLine,
    PlainFraming,
    StxXorFraming,
    encode_text,
    load_framing,
    window_text,
)
from hallq.cli import main
from queue_core.models import Role
from queue_core.spec import LedSpec, LedTexts
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import add_device_token, add_staff, new_hall
from tests.serial_ports import PluggedPty, Pty

CALLED = "请A012号".encode("gb18030")


def frames(*modules: tuple[int, str]) -> bytes:
    """What the plain framing puts on the line for these (address, text) in GB18030."""
    return b"".join(b"%03d" % address + text.encode("gb18030") + b"\r\n" for address, text in modules)


# -- framings ----------------------------------------------------------------------------------


def test_plain_framing_is_the_address_in_three_digits_the_text_and_crlf():
    assert PlainFraming().frame(3, CALLED) == bytes.fromhex("303033 c7eb41303132bac5 0d0a")
    assert PlainFraming().frame(255, b"A1") == b"255A1\r\n"
    assert PlainFraming().frame(0, b"") == b"000\r\n"


def test_stx_xor_framing_is_stx_address_text_etx_and_the_xor_of_address_to_etx():
    assert StxXorFraming().frame(3, CALLED) == bytes.fromhex("02 03 c7eb41303132bac5 03 21")
    # 0x10 ^ 0x41 ^ 0x31 ^ 0x03 = 0x63
    assert StxXorFraming().frame(0x10, b"A1") == bytes.fromhex("02 10 4131 03 63")


def test_a_framing_is_chosen_by_name():
    assert isinstance(load_framing("plain"), PlainFraming)
    assert isinstance(load_framing("stx-xor"), StxXorFraming)
    with pytest.raises(LedError, match=r'led.framing "xor": use plain, stx-xor or "package.module:Class"'):
        load_framing("xor")


@pytest.fixture
def hall_framing(tmp_path, monkeypatch):
    """A hall's own framing module, importable as `hall_led`."""
    (tmp_path / "hall_led.py").write_text(
        "class Bracketed:\n"
        "    def frame(self, address, text):\n"
        "        return b'[' + bytes([address]) + text + b']'\n"
        "\n"
        "class NoFrame:\n"
        "    pass\n"
        "\n"
        "class NeedsPort:\n"
        "    def __init__(self, port):\n"
        "        self.port = port\n"
        "\n"
        "    def frame(self, address, text):\n"
        "        return text\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("hall_led", None)


def test_a_halls_own_framing_is_loaded_from_package_module_class(hall_framing):
    assert load_framing("hall_led:Bracketed").frame(7, CALLED) == b"[\x07" + CALLED + b"]"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("no_such_led:Framing", r'led.framing "no_such_led:Framing": cannot import no_such_led: No module'),
        ("hall_led:Missing", r'led.framing "hall_led:Missing": hall_led has no class Missing'),
        ("hall_led:NoFrame", r'"hall_led:NoFrame": NoFrame has no frame\(address, text\) method'),
        ("hall_led:NeedsPort", r'"hall_led:NeedsPort": NeedsPort\(\) needs no arguments'),
        ("hall_led:", r'led.framing "hall_led:": use plain, stx-xor or "package.module:Class"'),
    ],
)
def test_a_halls_framing_that_cannot_be_loaded_says_why(hall_framing, name, error):
    with pytest.raises(LedError, match=error):
        load_framing(name)


# -- texts and encoding ------------------------------------------------------------------------


def window(
    state: str, current_number: str | None = None, clerk: bool = True, **changes: object
) -> dict[str, object]:
    """A window_state message as the server sends it (the API's window)."""
    current = {"id": 1, "number": current_number, "queue": "A", "status": state, "item": None, "since": None}
    return {
        "number": 3,
        "name": "3号出入境窗口",
        "queues": ["B"],
        "state": state,
        "pause_reason": None,
        "since": "2026-11-23T01:00:00+00:00",
        "clerk": {"name": "王芳", "badge": "1001"} if clerk else None,
        "current": current if current_number else None,
    } | changes


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (window("called", current_number="A012"), "请A012号"),
        (window("serving", current_number="A012"), "A012正在办理"),
        (window("idle"), "3号窗口"),
        (window("paused", pause_reason="会议"), "暂停服务 会议"),
        (window("paused"), "暂停服务"),  # no reason: no trailing space
        (window("closed", clerk=False), "暂停服务"),
        (window("paused", pause_reason="培训\n学习\t中"), "暂停服务 培训 学习 中"),  # one line
    ],
)
def test_the_default_text_of_each_state(message, text):
    assert window_text(LedTexts(), message) == text


def test_a_halls_own_texts_take_every_field():
    texts = LedTexts(
        called="{number}请到{window_name}", idle="{clerk}({badge})为您服务", paused="{window:02d}号{reason}"
    )
    assert window_text(texts, window("called", current_number="B007")) == "B007请到3号出入境窗口"
    assert window_text(texts, window("idle")) == "王芳(1001)为您服务"
    assert window_text(texts, window("paused", pause_reason="午休")) == "03号午休"


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("请{num}号", r"called\n  Value error, no field \{num\}; the fields are \{number\} \{window\}"),
        ("请{}号", r"called\n  Value error, Replacement index 0 out of range"),
    ],
)
def test_a_template_with_an_unknown_field_is_refused_with_the_config(template, error):
    with pytest.raises(ValidationError, match=error):
        LedTexts(called=template)


def test_texts_are_encoded_for_the_modules():
    assert encode_text("请A012号", "gb18030") == bytes.fromhex("c7eb 41303132 bac5")
    assert encode_text("请A012号", "gb2312") == bytes.fromhex("c7eb 41303132 bac5")
    assert encode_text("暂停服务 会议", "gb18030") == bytes.fromhex("d4dd cda3 b7fe cef1 20 bbe1 d2e9")
    assert encode_text("请𠀀", "gb18030") == bytes.fromhex("c7eb 95328236")  # four bytes in GB18030


def test_a_character_the_encoding_cannot_carry_becomes_a_question_mark_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="hallq.led"):
        assert encode_text("请王喆办理", "gb2312") == "请王".encode("gb2312") + b"?" + "办理".encode("gb2312")
    assert "gb2312 cannot carry 喆 in '请王喆办理': sent as ?" in caplog.text


# -- the serial line ---------------------------------------------------------------------------


@pytest.fixture
def adapter(tmp_path):
    adapter = PluggedPty(tmp_path / "ttyLED")  # a USB RS-485 adapter at a stable name
    yield adapter
    adapter.close()


def led_line(port: Path, framing: str = "plain") -> LedLine:
    spec = LedSpec.model_validate(
        {
            "port": str(port),
            "framing": framing,
            "modules": [{"window": 3, "address": 13}, {"window": 4, "address": 14}],
        }
    )
    return LedLine(spec, load_framing(spec.framing))


def test_a_module_is_written_when_its_text_changes_or_when_forced(adapter):
    line = led_line(adapter.link, framing="stx-xor")
    line.keep_open()
    line.show(3, "请A012号")
    line.show(3, "请A012号")  # unchanged: nothing
    line.show(9, "请A013号")  # no module at window 9: nothing
    line.show(4, "暂停服务")
    line.show(3, "请A012号", force=True)  # a recall
    line.show(4, "完")  # ends what the line carries here
    expected = b"".join(
        StxXorFraming().frame(address, text.encode("gb18030"))
        for address, text in [(13, "请A012号"), (14, "暂停服务"), (13, "请A012号"), (14, "完")]
    )
    assert adapter.pty.read(len(expected)) == expected
    line.close()


def test_a_write_to_an_unplugged_adapter_is_kept_and_every_module_is_rewritten_when_it_is_back(
    adapter, caplog
):
    line = led_line(adapter.link)
    line.keep_open()
    line.show(3, "3号窗口")
    assert adapter.pty.read(len(frames((13, "3号窗口")))) == frames((13, "3号窗口"))

    adapter.unplug()
    line.show(4, "暂停服务")  # fails: kept
    line.show(3, "请A012号")  # the port is closed: kept
    line.keep_open()  # the adapter is still away
    assert line.port is None
    assert "writing to" in caplog.text and "Input/output error" in caplog.text

    adapter.plug()
    line.keep_open()
    rewritten = frames((13, "请A012号"), (14, "暂停服务"))
    assert adapter.pty.read(len(rewritten)) == rewritten
    line.close()


def test_an_adapter_unplugged_while_idle_is_noticed_and_every_module_rewritten_when_it_is_back(adapter):
    line = led_line(adapter.link)
    line.keep_open()
    line.show(3, "3号窗口")
    line.show(4, "4号窗口")
    shown = frames((13, "3号窗口"), (14, "4号窗口"))
    assert adapter.pty.read(len(shown)) == shown

    adapter.unplug()
    line.keep_open()  # notices the device is gone, without writing
    assert line.port is None
    adapter.plug()
    line.keep_open()
    assert adapter.pty.read(len(shown)) == shown
    line.close()


# -- the command -------------------------------------------------------------------------------


def test_the_bridge_needs_an_led_section(tmp_path, monkeypatch):
    shutil.copytree(DEMO_CONFIG, tmp_path / "config")
    monkeypatch.setenv("HALLQ_CONFIG", str(tmp_path / "config"))
    result = CliRunner().invoke(main, ["led-bridge"])
    assert result.exit_code == 1
    assert "hall.toml has no [led] section" in result.output


# -- end to end: a real server, the bridge as the operator runs it, a pty ---------------------


def test_the_bridge_shows_the_hall_on_the_modules_and_comes_back_after_a_server_restart(tmp_path):
    pty = Pty()
    shutil.copytree(DEMO_CONFIG, tmp_path / "config")
    with (tmp_path / "config" / "hall.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            f'\n[led]\nport = "{pty.name}"\n'
            "modules = [{ window = 1, address = 11 }, { window = 2, address = 12 }, { window = 3, address = 13 }]\n"
        )
    hall = new_hall(tmp_path)
    hall.tokens = add_staff(hall.env["DATABASE_URL"], [("clerk3", Role.CLERK)])
    hall.tokens["K1"] = add_device_token(hall.env["DATABASE_URL"], "kiosk", "K1")
    server = hall.serve(tmp_path / "server.log")
    bridge_log = tmp_path / "bridge.log"
    bridge = subprocess.Popen(
        [sys.executable, "-m", "hallq", "led-bridge", "--url", hall.url],
        env=hall.env,
        stdout=bridge_log.open("w"),
        stderr=subprocess.STDOUT,
    )

    def expect(*modules: tuple[int, str]) -> None:
        wanted = frames(*modules)
        got = pty.read(len(wanted))
        assert got == wanted, f"{got.decode('gb18030', 'replace')!r}\n{bridge_log.read_text()}"

    try:
        expect((11, "暂停服务"), (12, "暂停服务"), (13, "暂停服务"))  # every module, on connecting

        assert hall.api("POST", "/windows/3/sign-in", "clerk3").ok
        expect((13, "3号窗口"))
        number = hall.api("POST", "/tickets", "K1", json={"queue": "B"}).json()["number"]
        assert hall.api("POST", "/windows/3/call-next", "clerk3").status_code == 200
        expect((13, f"请{number}号"))
        assert hall.api("POST", "/windows/3/recall", "clerk3").ok
        expect((13, f"请{number}号"))  # again, so the module flashes it
        assert hall.api("POST", "/windows/3/start", "clerk3").ok
        expect((13, f"{number}正在办理"))
        assert hall.api("POST", "/windows/3/finish", "clerk3", json={}).ok
        expect((13, "3号窗口"))
        assert hall.api("POST", "/windows/3/pause", "clerk3", json={"reason": "会议"}).ok
        expect((13, "暂停服务 会议"))

        server.terminate()
        server.wait(timeout=15)
        server = hall.serve(tmp_path / "server-again.log")
        expect((11, "暂停服务"), (12, "暂停服务"), (13, "暂停服务 会议"))  # reconnected by itself

        bridge.send_signal(signal.SIGTERM)
        assert bridge.wait(timeout=15) == 0
        assert "stopped" in bridge_log.read_text()
    finally:
        bridge.kill()
        bridge.wait()
        server.terminate()
        server.wait(timeout=15)
        pty.close()
