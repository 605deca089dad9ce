"""`hallq keypad-bridge`: key presses on a real pseudo-terminal (a serial keypad) and a real FIFO
of Linux input events (a keyboard-like keypad) become ratings sent over a real TCP socket to a
small HTTP server that answers as the test wants (201, 409, 401, 403, 500, a cut connection);
keypads unplugged and plugged back; the command's errors and its stop on SIGTERM; and, once the
server has the evaluation API, the bridge rating a finished service on a real `hallq serve`."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evaluation.keypad_bridge import (
    EV_KEY,
    INPUT_EVENT,
    KEY_NAMES,
    InputKeys,
    KeypadBridge,
    KeypadError,
    RatingClient,
    SerialKeys,
    key_name,
    open_device,
)
from hallq.cli import main
from queue_core.models import Role
from queue_core.spec import KeypadSpec
from tests.conftest import DEMO_CONFIG
from tests.live.conftest import add_device_token, add_staff, new_hall
from tests.serial_ports import PluggedPty

TOKEN = "keypad-token-P3"
RATED = {"ticket": {"number": "A012"}, "score": 4, "window": 3}
FAST = {"reopen_seconds": 0.05, "retry_seconds": 0.05, "retry_for_seconds": 1.0}

KEY_4, KEY_KP1, KEY_KP2, KEY_KP5, KEY_A, KEY_ENTER = 5, 79, 80, 76, 30, 28
EV_SYN = 0


def wait_for(condition: Callable[[], object], timeout: float = 10, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.01)


# -- the server: a real HTTP server on 127.0.0.1 ----------------------------------------------


class FakeServer:
    """Records every request and answers each with the next of `answers` (status, JSON body),
    then 201; a status of None closes the connection without an answer."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[tuple[int | None, dict[str, Any]]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake._lock:
                    fake.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "authorization": self.headers.get("Authorization"),
                            "content_type": self.headers.get("Content-Type"),
                            "json": json.loads(body),
                        }
                    )
                    status, answer = fake.answers.pop(0) if fake.answers else (201, RATED)
                if status is None:
                    self.close_connection = True
                    return
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def scores(self) -> list[int]:
        with self._lock:
            return [r["json"]["score"] for r in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


def keypad(device: str | None = None, **keys: int) -> KeypadSpec:
    return KeypadSpec.model_validate(
        {"id": "P3", "window": 3, "device": device} | ({"keys": keys} if keys else {})
    )


# -- the devices -----------------------------------------------------------------------------


class SerialKeypad(PluggedPty):
    """A USB serial keypad at a stable name; the test presses keys by writing to its line."""

    def press(self, data: bytes) -> None:
        assert self.pty is not None
        self.pty.write(data)


@pytest.fixture
def serial_keypad(tmp_path) -> Iterator[SerialKeypad]:
    device = SerialKeypad(tmp_path / "ttyKEYPAD")
    yield device
    device.close()


def event(kind: int, code: int, value: int) -> bytes:
    return INPUT_EVENT.pack(1_764_000_000, 123_456, kind, code, value)


def key(code: int) -> bytes:
    """A key as a keyboard reports it: down, a SYN_REPORT, an autorepeat, up."""
    return (
        event(EV_KEY, code, 1)
        + event(EV_SYN, 0, 0)
        + event(EV_KEY, code, 2)
        + event(EV_KEY, code, 0)
        + event(EV_SYN, 0, 0)
    )


class InputKeypad:
    """A FIFO standing in for /dev/input/eventN: the test writes input_event structs into it.
    The test's end is opened read-write, so that the bridge's open never waits for a writer;
    closing it is an unplug (the bridge reads the end of the stream)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.fd: int | None = None
        self.plug()

    def plug(self) -> None:
        self.fd = os.open(self.path, os.O_RDWR)

    def unplug(self) -> None:
        assert self.fd is not None
        os.close(self.fd)
        self.fd = None

    def write(self, data: bytes) -> None:
        assert self.fd is not None
        os.write(self.fd, data)


@pytest.fixture
def input_keypad(tmp_path) -> Iterator[InputKeypad]:
    device = InputKeypad(tmp_path / "event3")
    yield device
    if device.fd is not None:
        device.unplug()


@contextmanager
def running(bridge: KeypadBridge) -> Iterator[KeypadBridge]:
    """The bridge reading in a thread of its own, stopped (as SIGTERM does) at the end."""
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), name="keypad-bridge")
    thread.start()
    try:
        wait_for(bridge.opened.is_set, what="the bridge to open its device")
        yield bridge
    finally:
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the bridge did not stop"
    assert not bridge.keys.is_open


# -- key names and device URLs ---------------------------------------------------------------


def test_input_key_names_are_those_of_the_kernel_header_without_key_():
    assert [key_name(code) for code in (2, 3, 4, 5, 6)] == ["1", "2", "3", "4", "5"]
    assert [key_name(code) for code in (79, 80, 81, 75, 76)] == ["KP1", "KP2", "KP3", "KP4", "KP5"]
    assert [key_name(code) for code in range(59, 64)] == ["F1", "F2", "F3", "F4", "F5"]
    assert (key_name(30), key_name(44), key_name(28), key_name(96)) == ("A", "Z", "ENTER", "KPENTER")
    assert key_name(183) == "CODE183"  # KEY_F13: not in the table, still mappable
    assert sorted(v for v in KEY_NAMES.values() if len(v) == 1) == sorted(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )

    header = Path("/usr/include/linux/input-event-codes.h")
    if header.exists():  # Debian's linux-libc-dev: every name in the table is the kernel's
        defined = dict(re.findall(r"^#define KEY_(\w+)\s+(\d+)\b", header.read_text(), re.MULTILINE))
        assert {code: name for code, name in KEY_NAMES.items() if int(defined[name]) != code} == {}


def test_a_device_url_names_a_serial_line_or_an_input_device():
    serial_keys = open_device("serial:///dev/ttyUSB3?baudrate=19200")
    assert isinstance(serial_keys, SerialKeys)
    assert (serial_keys.path, serial_keys.baudrate) == ("/dev/ttyUSB3", 19200)
    by_id = open_device("serial:///dev/serial/by-id/usb-1a86-port0")
    assert isinstance(by_id, SerialKeys) and by_id.baudrate == 9600
    input_keys = open_device("input:///dev/input/by-id/usb-keypad-event-kbd")
    assert isinstance(input_keys, InputKeys)
    assert input_keys.path == "/dev/input/by-id/usb-keypad-event-kbd"


@pytest.mark.parametrize(
    ("device", "error"),
    [
        (
            "serial://dev/ttyUSB0",
            r'"serial://dev/ttyUSB0": give the path after serial:// as in "serial:///dev/ttyUSB0"',
        ),
        ("input://", r'"input://": give the path after input:// as in "input:///dev/input/event3"'),
        ("serial:///dev/ttyUSB0?baudrate=fast", r'baudrate "fast" is not a number of baud'),
        ("serial:///dev/ttyUSB0?parity=E", r"unknown option parity; only baudrate"),
        ("input:///dev/input/event3?grab=0", r"an input device takes no options"),
    ],
)
def test_a_device_url_the_bridge_cannot_use_is_refused_saying_why(device, error):
    with pytest.raises(KeypadError, match=error):
        open_device(device)


def test_a_tablet_keypad_has_no_bridge():
    with pytest.raises(
        KeypadError, match=r"keypad P3 has no device: it is a tablet keypad, open /keypad/3 on it"
    ):
        KeypadBridge(keypad(), "http://127.0.0.1:5000", TOKEN)


# -- sending a rating ------------------------------------------------------------------------


def client(url: str, **timing: float) -> RatingClient:
    return RatingClient(url, keypad("serial:///dev/null"), TOKEN, **({"retry_seconds": 0.05} | timing))


def test_a_press_is_posted_as_the_windows_rating_with_the_keypads_token(server, caplog):
    with caplog.at_level(logging.INFO, logger="hallq.keypad"):
        assert client(server.url).rate(4, "4") == "rated"
    assert server.requests == [
        {
            "method": "POST",
            "path": "/api/v1/windows/3/evaluation",
            "authorization": f"Bearer {TOKEN}",
            "content_type": "application/json",
            "json": {"score": 4},
        }
    ]
    assert 'window 3: A012 rated key "4" (4 满意)' in caplog.text
    assert TOKEN not in caplog.text


def test_the_rated_tickets_number_is_logged_as_the_server_gives_it(server, caplog):
    server.answers = [(201, {"ticket": "B007", "ticket_id": 9, "score": 3}), (201, {})]
    with caplog.at_level(logging.INFO, logger="hallq.keypad"):
        assert client(server.url).rate(3, "3") == "rated"
        assert client(server.url).rate(5, "5") == "rated"
    assert 'window 3: B007 rated key "3" (3 基本满意)' in caplog.text
    assert 'window 3: ? rated key "5" (5 非常满意)' in caplog.text


def test_a_server_error_is_retried_until_the_press_is_rated_once(server, caplog):
    server.answers = [(500, {"error": "internal"}), (503, {}), (None, {})]  # then 201
    with caplog.at_level(logging.INFO, logger="hallq.keypad"):
        assert client(server.url).rate(2, "2") == "rated"
    assert server.scores() == [2, 2, 2, 2]
    assert "trying again every 0.05s for 10s" in caplog.text
    assert caplog.text.count("rated") == 1


def test_a_press_nothing_awaits_is_logged_and_not_retried(server, caplog):
    server.answers = [(409, {"error": "invalid_state", "message": "nothing at window 3 awaits a rating"})]
    with caplog.at_level(logging.INFO, logger="hallq.keypad"):
        assert client(server.url).rate(5, "5") == "refused"
    assert server.scores() == [5]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", 'window 3: key "5" (5 非常满意) not taken: nothing at window 3 awaits a rating')
    ]


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (401, "the server refused keypad P3's token (401: bad token); issue a new one with "
         "`hallq token issue --device P3` and restart the bridge with it"),
        (403, "the token may not rate window 3 (403: bad token); give the bridge keypad P3's own token"),
        (422, "refused (422: bad token)"),
    ],
)  # fmt: skip
def test_a_refused_token_is_an_error_for_each_press_and_never_retried(server, caplog, status, says):
    server.answers = [(status, {"error": "unauthorized", "message": "bad token"})] * 2
    rater = client(server.url)
    with caplog.at_level(logging.INFO, logger="hallq.keypad"):
        assert rater.rate(1, "1") == "refused"
        assert rater.rate(3, "3") == "refused"
    assert server.scores() == [1, 3]
    assert [r.levelname for r in caplog.records] == ["ERROR", "ERROR"]
    assert says in caplog.records[0].getMessage()


def test_a_press_the_server_never_answers_is_dropped_after_a_while(caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="hallq.keypad"):
        assert client(url, retry_for_seconds=0.3).rate(4, "4") == "dropped"
    assert 0.25 < time.monotonic() - started < 3
    assert "Connection refused" in caplog.text
    assert re.search(r'key "4" \(4 满意\) dropped after \d+ attempts', caplog.text)


def test_a_server_back_within_the_retries_gets_the_press_once(caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    servers: list[FakeServer] = []
    starting = threading.Timer(0.3, lambda: servers.append(FakeServer(port)))
    starting.start()
    try:
        assert client(f"http://127.0.0.1:{port}", retry_for_seconds=5).rate(3, "3") == "rated"
    finally:
        starting.join()
        for server in servers:
            server.close()
    assert servers[0].scores() == [3]


def test_a_stop_ends_the_retries(server):
    server.answers = [(500, {})] * 1000
    stop = threading.Event()
    stopping = threading.Timer(0.2, stop.set)
    stopping.start()
    assert client(server.url, retry_seconds=0.05, retry_for_seconds=30).rate(4, "4", stop) == "stopped"
    stopping.join()


# -- a serial keypad -------------------------------------------------------------------------


def test_a_serial_keypads_presses_become_ratings_and_line_ends_are_ignored(server, serial_keypad):
    bridge = KeypadBridge(keypad(f"serial://{serial_keypad.link}"), server.url, TOKEN, **FAST)
    with running(bridge):
        serial_keypad.press(b"4\r\n")
        wait_for(lambda: server.scores() == [4])
        serial_keypad.press(b"1\r\n9X\r\n5\n")  # 9 and X give no level
        wait_for(lambda: server.scores() == [4, 1, 5])
    assert server.requests[0]["authorization"] == f"Bearer {TOKEN}"
    assert server.requests[0]["path"] == "/api/v1/windows/3/evaluation"


def test_a_keypad_sending_letters_uses_the_halls_mapping(server, serial_keypad, caplog):
    spec = keypad(f"serial://{serial_keypad.link}?baudrate=19200", A=5, B=4, C=3, D=2, E=1)
    with (
        caplog.at_level(logging.DEBUG, logger="hallq.keypad"),
        running(KeypadBridge(spec, server.url, TOKEN, **FAST)),
    ):
        serial_keypad.press(b"E1A")  # "1" gives no level here
        wait_for(lambda: server.scores() == [1, 5])
    assert "keypad P3: key '1' gives no level: ignored" in caplog.text
    assert f"{serial_keypad.link} at 19200 baud open" in caplog.text


def test_only_the_press_that_failed_is_retried_and_a_409_is_not(server, serial_keypad):
    server.answers = [
        (500, {}),
        (502, {}),
        (201, RATED),
        (409, {"error": "invalid_state", "message": "rated"}),
    ]
    with running(KeypadBridge(keypad(f"serial://{serial_keypad.link}"), server.url, TOKEN, **FAST)):
        serial_keypad.press(b"4\r\n")
        wait_for(lambda: len(server.requests) == 3)
        serial_keypad.press(b"2\r\n")  # a second press: already rated
        serial_keypad.press(b"5\r\n")
        wait_for(lambda: len(server.requests) == 5)
        time.sleep(0.2)  # anything more would come by now
    assert server.scores() == [4, 4, 4, 2, 5]


def test_an_unplugged_serial_keypad_is_reopened_when_it_is_back(server, serial_keypad, caplog):
    bridge = KeypadBridge(keypad(f"serial://{serial_keypad.link}"), server.url, TOKEN, **FAST)
    with caplog.at_level(logging.INFO, logger="hallq.keypad"), running(bridge):
        serial_keypad.press(b"3")
        wait_for(lambda: server.scores() == [3])

        serial_keypad.unplug()
        wait_for(lambda: not bridge.opened.is_set(), what="the bridge to notice the unplug")
        time.sleep(0.2)  # a few attempts to reopen, each failing
        assert not bridge.opened.is_set()

        serial_keypad.plug()  # a new pty: another name behind the same link
        wait_for(bridge.opened.is_set, what="the bridge to reopen the keypad")
        serial_keypad.press(b"5\r\n")
        wait_for(lambda: server.scores() == [3, 5])
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings  # once per outage, not once per attempt to reopen
    assert "ttyKEYPAD at 9600 baud failed" in warnings[0] and "reopening every 0.05s" in warnings[0]


# -- a keyboard-like (input device) keypad ---------------------------------------------------


def test_an_input_keypads_key_downs_become_ratings(server, input_keypad, caplog):
    spec = keypad(f"input://{input_keypad.path}", KP1=1, KP2=2, KP3=3, KP4=4, KP5=5)
    with (
        caplog.at_level(logging.DEBUG, logger="hallq.keypad"),
        running(KeypadBridge(spec, server.url, TOKEN, **FAST)),
    ):
        input_keypad.write(key(KEY_KP5))  # down, autorepeat and up: one press
        wait_for(lambda: server.scores() == [5])
        input_keypad.write(key(KEY_4) + key(KEY_A) + key(KEY_ENTER))  # not mapped here
        both = key(KEY_KP2) + key(KEY_KP1)
        input_keypad.write(both[:30])  # an event split across reads
        time.sleep(0.05)
        input_keypad.write(both[30:])
        wait_for(lambda: server.scores() == [5, 2, 1])
    assert "key '4' gives no level" in caplog.text and "key 'ENTER' gives no level" in caplog.text
    assert f"cannot grab {input_keypad.path}" in caplog.text  # a FIFO refuses EVIOCGRAB: read anyway


def test_an_input_keypad_uses_the_digit_keys_by_default(server, input_keypad):
    with running(KeypadBridge(keypad(f"input://{input_keypad.path}"), server.url, TOKEN, **FAST)):
        input_keypad.write(key(KEY_4) + key(KEY_KP1) + key(2))  # KEY_4, KEY_KP1 (no level), KEY_1
        wait_for(lambda: server.scores() == [4, 1])


def test_an_unplugged_input_keypad_is_reopened_when_it_is_back(server, input_keypad):
    bridge = KeypadBridge(keypad(f"input://{input_keypad.path}"), server.url, TOKEN, **FAST)
    with running(bridge):
        input_keypad.write(key(KEY_4))
        wait_for(lambda: server.scores() == [4])
        input_keypad.unplug()
        wait_for(lambda: not bridge.opened.is_set(), what="the bridge to notice the unplug")
        input_keypad.plug()
        input_keypad.write(key(6))  # KEY_5
        wait_for(lambda: server.scores() == [4, 5])


def test_a_keypad_that_is_not_there_at_start_is_read_once_it_is(server, tmp_path):
    link = tmp_path / "ttyLATE"
    bridge = KeypadBridge(keypad(f"serial://{link}"), server.url, TOKEN, **FAST)
    stop = threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,))
    thread.start()
    device = None
    try:
        time.sleep(0.15)
        assert not bridge.opened.is_set()
        device = SerialKeypad(link)
        wait_for(bridge.opened.is_set)
        device.press(b"2")
        wait_for(lambda: server.scores() == [2])
    finally:
        stop.set()
        thread.join(timeout=5)
        if device and device.pty:
            device.pty.close()


# -- the command -----------------------------------------------------------------------------


def demo_config_with_keypad(directory: Path, device: str) -> Path:
    """A copy of the demo's config in which keypad P3 (window 3) is a physical one on `device`;
    its hall.toml."""
    shutil.copytree(DEMO_CONFIG, directory)
    toml = directory / "hall.toml"
    text = toml.read_text(encoding="utf-8")
    declared = '[[keypads]]\nid = "P3"\nwindow = 3\n'
    assert declared in text
    toml.write_text(text.replace(declared, f'{declared}device = "{device}"\n'), encoding="utf-8")
    return toml


@pytest.fixture
def config(tmp_path, monkeypatch) -> Path:
    """The demo's config, where keypad P3 is a serial keypad on ttyKEYPAD in tmp_path."""
    toml = demo_config_with_keypad(tmp_path / "config", f"serial://{tmp_path / 'ttyKEYPAD'}")
    monkeypatch.setenv("HALLQ_CONFIG", str(tmp_path / "config"))
    monkeypatch.delenv("HALLQ_DEVICE_TOKEN", raising=False)
    return toml


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["P3"], r"give keypad P3's device token with --token or in HALLQ_DEVICE_TOKEN \(hallq token issue"),
        (["P99", "--token", "t"], r'declares no keypad "P99" \(its keypads: P1, P2, P3, P4'),
        (["P4", "--token", "t"], r"keypad P4 has no device: it is a tablet keypad, open /keypad/4 on it"),
        (["P3", "--token", "t", "--url", "127.0.0.1:5000"], r"give the server as http://HOST:PORT"),
    ],
)
def test_the_command_says_what_is_missing(config, args, error):
    result = CliRunner().invoke(main, ["keypad-bridge", *args])
    assert result.exit_code != 0
    assert re.search(error, result.output), result.output


def test_the_command_refuses_a_device_it_cannot_use(config):
    config.write_text(
        config.read_text(encoding="utf-8").replace('device = "serial://', 'device = "serial://dev'),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["keypad-bridge", "P3"], env={"HALLQ_DEVICE_TOKEN": "t"})
    assert result.exit_code == 1
    assert "give the path after serial://" in result.output


def test_the_command_sends_presses_with_the_token_from_the_environment_and_stops_on_sigterm(
    config, server, tmp_path
):
    device = SerialKeypad(tmp_path / "ttyKEYPAD")
    log = tmp_path / "bridge.log"
    bridge = subprocess.Popen(
        [sys.executable, "-m", "hallq", "keypad-bridge", "P3", "--url", server.url],
        env={**os.environ, "HALLQ_DEVICE_TOKEN": TOKEN},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "ttyKEYPAD at 9600 baud open" in log.read_text(), timeout=30, what=log)
        device.press(b"4\r\n")
        wait_for(lambda: server.scores() == [4], what=log)
        assert server.requests[0]["authorization"] == f"Bearer {TOKEN}"
        bridge.send_signal(signal.SIGTERM)
        assert bridge.wait(timeout=15) == 0
        text = log.read_text()
        assert 'window 3: A012 rated key "4" (4 满意)' in text
        assert "stopped" in text
        assert TOKEN not in text
    finally:
        bridge.kill()
        bridge.wait()
        device.pty.close()


# -- end to end: a real `hallq serve`, the bridge as the operator runs it, a pty ---------------


def test_a_press_on_the_keypad_rates_the_service_just_finished_at_its_window(tmp_path):
    device = SerialKeypad(tmp_path / "ttyKEYPAD")
    demo_config_with_keypad(tmp_path / "config", f"serial://{device.link}")
    hall = new_hall(tmp_path)
    hall.tokens = add_staff(hall.env["DATABASE_URL"], [("clerk3", Role.CLERK), ("manager", Role.MANAGER)])
    hall.tokens["K1"] = add_device_token(hall.env["DATABASE_URL"], "kiosk", "K1")
    keypad_token = add_device_token(hall.env["DATABASE_URL"], "keypad", "P3")
    server = hall.serve(tmp_path / "server.log")
    log = tmp_path / "bridge.log"
    bridge = subprocess.Popen(
        [sys.executable, "-m", "hallq", "keypad-bridge", "P3", "--url", hall.url, "--token", keypad_token],
        env=hall.env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )

    def levels() -> dict[str, int]:
        answer = hall.api("GET", "/evaluations/summary?window=3", "manager")
        assert answer.status_code == 200, answer.text
        return answer.json()["levels"]

    try:
        wait_for(lambda: "ttyKEYPAD at 9600 baud open" in log.read_text(), timeout=30, what=log)
        device.press(b"4\r\n")  # nothing served yet: the server answers 409, the bridge goes on
        wait_for(lambda: "not taken" in log.read_text(), what=log)

        assert hall.api("POST", "/windows/3/sign-in", "clerk3").ok
        number = hall.api("POST", "/tickets", "K1", json={"queue": "B"}).json()["number"]
        assert hall.api("POST", "/windows/3/call-next", "clerk3").status_code == 200
        assert hall.api("POST", "/windows/3/start", "clerk3").ok
        assert hall.api("POST", "/windows/3/finish", "clerk3", json={"outcome": "completed"}).ok

        device.press(b"2\r\n")
        wait_for(lambda: f'{number} rated key "2" (2 不满意)' in log.read_text(), what=log)
        device.press(b"5")  # a second press: rated already
        wait_for(lambda: log.read_text().count("not taken") == 2, what=log)
        assert {level: count for level, count in levels().items() if count} == {"2": 1}

        bridge.send_signal(signal.SIGTERM)
        assert bridge.wait(timeout=15) == 0
        assert "ERROR" not in log.read_text()
    finally:
        bridge.kill()
        bridge.wait()
        server.terminate()
        server.wait(timeout=15)
        device.pty.close()
