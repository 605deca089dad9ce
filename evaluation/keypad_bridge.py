"""`hallq keypad-bridge KEYPAD_ID`: a window's physical five-key evaluation keypad (评价器), read
key press by key press and sent to the server as the citizen's rating (好差评) of the service
just finished at that window.

A separate small process, one per physical keypad, on the machine the keypad is plugged into.
It talks to the server only over its JSON API with the keypad's device token, like any other
device, and imports neither Flask nor the app. Most windows rate on a tablet showing
/keypad/<window> instead; those need no bridge.

The devices, `device` of the keypad's ``[[keypads]]`` entry in hall.toml:

- ``serial:///dev/ttyUSB3?baudrate=9600`` (baudrate defaults to 9600): a keypad on a serial line
  (RS-232, or a USB serial adapter) that sends one character per key press, such as ``1`` … ``5``
  or ``A`` … ``E``. A CR or LF after it is ignored. The key's name is the character.
- ``input:///dev/input/event3``: a keypad that is a USB keyboard to the computer (a HID device).
  The bridge reads its Linux input events (``struct input_event``) and takes each key going
  down (EV_KEY with value 1; releases and autorepeats are ignored). It grabs the device
  (EVIOCGRAB) so that the presses do not also type into a console, and goes on without the grab
  where the device refuses it. The key's name is its name in linux/input-event-codes.h without
  ``KEY_``: ``1`` … ``0``, ``KP1`` … ``KP0`` (the number pad), ``F1`` … ``F12``, ``A`` … ``Z``,
  ``ENTER``, ``KPENTER``, ``SPACE``, ``ESC``, ``UP`` … (`KEY_NAMES`); any other key is
  ``CODE<n>`` with its code, ``CODE183`` for instance.

`keys` maps key names to levels: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意. The default
is ``{"1" = 1, "2" = 2, "3" = 3, "4" = 4, "5" = 5}``; a keyboard-like keypad whose keys send the
number pad's digits wants ``{"KP1" = 1, …}``. A key not in `keys` is logged (DEBUG) and ignored.

Each mapped press becomes ``POST /api/v1/windows/<window>/evaluation`` with ``{"score": level}``:

- 201: rated; logged with the ticket's number.
- 409: nothing at the window awaits a rating (nothing finished lately, or already rated by an
  earlier press): logged (INFO), never retried.
- 401 or 403: the token is wrong, withdrawn, or not this window's keypad's: logged as an ERROR
  for each press, and the bridge goes on reading (a new token needs a restart).
- No answer, or a 5xx (or 429): the same press is sent again every second for up to ten seconds,
  then logged and dropped. A press is never sent again once the server has answered it.

Presses are sent one after the other, in the order they were made. When the device fails or
disappears (the keypad unplugged), the bridge logs it once, tries to open it again every two
seconds and goes on reading once it is back; presses made while it was away are lost. It stops
cleanly on SIGTERM (systemd) or Ctrl-C (SIGINT).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import select
import signal
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPException
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import serial

from queue_core.spec import KeypadSpec

log = logging.getLogger("hallq.keypad")

REOPEN_SECONDS = 2.0  # between attempts to open a device that failed or is away
READ_SECONDS = 0.2  # the longest a read waits, so that a stop is noticed
RETRY_SECONDS = 1.0  # between attempts to send a press the server did not answer
RETRY_FOR_SECONDS = 10.0  # after this long, a press the server did not answer is dropped
HTTP_TIMEOUT = 5.0

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

# struct input_event: struct timeval (two longs), __u16 type, __u16 code, __s32 value; native
# sizes and alignment, so 24 bytes on 64-bit Linux and 16 on 32-bit.
INPUT_EVENT = struct.Struct("llHHi")
EV_KEY = 1
KEY_DOWN = 1  # value: 0 is a release, 2 an autorepeat
EVIOCGRAB = 0x40044590  # _IOW('E', 0x90, int)

# Key codes of linux/input-event-codes.h and their names without KEY_.
KEY_NAMES: dict[int, str] = {
    1: "ESC",
    2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0",
    12: "MINUS", 13: "EQUAL", 14: "BACKSPACE", 15: "TAB",
    16: "Q", 17: "W", 18: "E", 19: "R", 20: "T", 21: "Y", 22: "U", 23: "I", 24: "O", 25: "P",
    28: "ENTER",
    30: "A", 31: "S", 32: "D", 33: "F", 34: "G", 35: "H", 36: "J", 37: "K", 38: "L",
    44: "Z", 45: "X", 46: "C", 47: "V", 48: "B", 49: "N", 50: "M",
    51: "COMMA", 52: "DOT", 53: "SLASH", 55: "KPASTERISK", 57: "SPACE",
    59: "F1", 60: "F2", 61: "F3", 62: "F4", 63: "F5", 64: "F6", 65: "F7", 66: "F8", 67: "F9", 68: "F10",
    71: "KP7", 72: "KP8", 73: "KP9", 74: "KPMINUS",
    75: "KP4", 76: "KP5", 77: "KP6", 78: "KPPLUS",
    79: "KP1", 80: "KP2", 81: "KP3", 82: "KP0", 83: "KPDOT",
    87: "F11", 88: "F12", 96: "KPENTER", 98: "KPSLASH",
    103: "UP", 105: "LEFT", 106: "RIGHT", 108: "DOWN",
}  # fmt: skip


def key_name(code: int) -> str:
    """The name `keys` gives an input device's key: KEY_KP5 (76) is "KP5"."""
    return KEY_NAMES.get(code, f"CODE{code}")


class KeypadError(Exception):
    """A problem with the keypad's settings, in words for the hall's IT person."""


class DeviceGone(OSError):
    """The device ended its stream: unplugged, or (a FIFO) nobody writes to it any more."""


class Keys(Protocol):
    """A keypad device: opened, read for the names of the keys pressed, closed."""

    name: str  # for the log: "/dev/ttyUSB3 at 9600 baud"

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None:
        """Open the device; OSError (or serial.SerialException) when it cannot be."""
        ...

    def read(self, timeout: float) -> list[str]:
        """The keys pressed since the last read, waiting up to `timeout` seconds for one;
        OSError (or serial.SerialException) when the device failed."""
        ...

    def close(self) -> None: ...


class SerialKeys:
    """A keypad on a serial line: one character per key, CR and LF ignored."""

    def __init__(self, path: str, baudrate: int = 9600) -> None:
        self.path = path
        self.baudrate = baudrate
        self.name = f"{path} at {baudrate} baud"
        self.port: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        return self.port is not None

    def open(self) -> None:
        # Opening empties the input buffer: presses from before the bridge ran are not sent.
        self.port = serial.Serial(self.path, self.baudrate, timeout=READ_SECONDS, exclusive=True)

    def read(self, timeout: float) -> list[str]:
        assert self.port is not None
        self.port.timeout = timeout
        data = self.port.read(1)  # waits for the first byte, then takes whatever has come
        if data and self.port.in_waiting:
            data += self.port.read(self.port.in_waiting)
        return [ch for ch in data.decode("latin-1") if ch not in "\r\n"]

    def close(self) -> None:
        if self.port is not None:
            port, self.port = self.port, None
            # A device that is gone may fail to close; it is closed all the same.
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()


class InputKeys:
    """A keyboard-like keypad: the key-down events of a Linux input device."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = path
        self.fd: int | None = None
        self._pending = b""  # part of an event (a pipe may deliver less than one)

    @property
    def is_open(self) -> bool:
        return self.fd is not None

    def open(self) -> None:
        # Non-blocking: the reads wait in select() with a timeout instead, so a stop is noticed.
        self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self._pending = b""
        try:
            fcntl.ioctl(self.fd, EVIOCGRAB, 1)
        except OSError as exc:
            log.warning("cannot grab %s (%s): its keys may also reach a console", self.path, exc)

    def read(self, timeout: float) -> list[str]:
        assert self.fd is not None
        if not select.select([self.fd], [], [], timeout)[0]:
            return []
        try:
            data = os.read(self.fd, INPUT_EVENT.size * 64)
        except BlockingIOError:
            return []
        if not data:
            raise DeviceGone(errno.ENODEV, "end of file")
        data = self._pending + data
        whole = len(data) - len(data) % INPUT_EVENT.size
        self._pending = data[whole:]
        return [
            key_name(code)
            for _sec, _usec, kind, code, value in INPUT_EVENT.iter_unpack(data[:whole])
            if kind == EV_KEY and value == KEY_DOWN
        ]

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)  # closing also ends the grab


def open_device(device: str) -> Keys:
    """The keypad device a `device` URL of hall.toml names (not opened yet)."""
    url = urlsplit(device)
    if not url.path or url.netloc:
        raise KeypadError(
            f'keypad device "{device}": give the path after {url.scheme}:// '
            f'as in "{url.scheme}:///dev/{"ttyUSB0" if url.scheme == "serial" else "input/event3"}"'
        )
    options = dict(parse_qsl(url.query, keep_blank_values=True))
    if url.scheme == "serial":
        baudrate = options.pop("baudrate", "9600")
        if not baudrate.isdigit() or int(baudrate) == 0:
            raise KeypadError(f'keypad device "{device}": baudrate "{baudrate}" is not a number of baud')
        if options:
            raise KeypadError(f'keypad device "{device}": unknown option {", ".join(options)}; only baudrate')
        return SerialKeys(url.path, int(baudrate))
    if url.scheme == "input":
        if options or url.query:
            raise KeypadError(f'keypad device "{device}": an input device takes no options')
        return InputKeys(url.path)
    raise KeypadError(f'keypad device "{device}": use serial:// or input://')


class RatingClient:
    """Sends a keypad's presses as ratings of its window, with its device token."""

    def __init__(
        self,
        url: str,
        spec: KeypadSpec,
        token: str,
        *,
        retry_seconds: float = RETRY_SECONDS,
        retry_for_seconds: float = RETRY_FOR_SECONDS,
    ) -> None:
        self.endpoint = f"{url.rstrip('/')}/api/v1/windows/{spec.window}/evaluation"
        self.keypad = spec.id
        self.window = spec.window
        self.token = token
        self.retry_seconds = retry_seconds
        self.retry_for_seconds = retry_for_seconds

    def rate(self, level: int, key: str, stop: threading.Event | None = None) -> str:
        """Send one press. The outcome: "rated", "refused" (the server answered no), "dropped"
        (no answer in time) or "stopped" (the bridge stopped while retrying)."""
        stop = stop or threading.Event()
        press = f'key "{key}" ({level} {LEVELS[level]})'
        started: float | None = None
        attempts = 0
        while True:
            attempts += 1
            status, body, problem = self._post(level)
            if status is not None and 200 <= status < 300:
                ticket = body.get("ticket")  # its number, or the ticket with its number
                number = ticket.get("number", "?") if isinstance(ticket, dict) else ticket or "?"
                log.info("window %d: %s rated %s", self.window, number, press)
                return "rated"
            if status == 409:
                log.info("window %d: %s not taken: %s", self.window, press, _message(body, status))
                return "refused"
            if status == 401:
                log.error(
                    "window %d: %s not sent: the server refused keypad %s's token (401: %s); "
                    "issue a new one with `hallq token issue --device %s` and restart the bridge with it",
                    self.window, press, self.keypad, _message(body, status), self.keypad,
                )  # fmt: skip
                return "refused"
            if status == 403:
                log.error(
                    "window %d: %s not sent: the token may not rate window %d (403: %s); "
                    "give the bridge keypad %s's own token",
                    self.window, press, self.window, _message(body, status), self.keypad,
                )  # fmt: skip
                return "refused"
            if status is not None and status < 500 and status != 429:
                log.error(
                    "window %d: %s refused (%d: %s)", self.window, press, status, _message(body, status)
                )
                return "refused"
            # No answer, or the server failed: the same press again, for a while.
            reason = problem or f"{status}: {_message(body, status)}"
            now = time.monotonic()
            if started is None:
                started = now
                log.warning(
                    "window %d: %s not sent (%s); trying again every %gs for %gs",
                    self.window, press, reason, self.retry_seconds, self.retry_for_seconds,
                )  # fmt: skip
            if now + self.retry_seconds > started + self.retry_for_seconds:
                log.error(
                    "window %d: %s dropped after %d attempts in %.0fs: %s",
                    self.window, press, attempts, now - started, reason,
                )  # fmt: skip
                return "dropped"
            if stop.wait(self.retry_seconds):
                log.warning("window %d: %s not sent: stopping", self.window, press)
                return "stopped"

    def _post(self, level: int) -> tuple[int | None, dict[str, Any], str | None]:
        """(status, JSON body, None), or (None, {}, what went wrong) when there is no answer."""
        request = urllib.request.Request(
            self.endpoint,
            data=json.dumps({"score": level}).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"hallq-keypad-bridge ({self.keypad})",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                return response.status, _json(response.read()), None
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, _json(exc.read()), None
            finally:
                exc.close()
        except urllib.error.URLError as exc:
            return None, {}, f"cannot reach {self.endpoint}: {exc.reason}"
        except (OSError, HTTPException) as exc:  # a timeout, a connection cut mid-answer
            return None, {}, f"{self.endpoint}: {exc.__class__.__name__}: {exc}"


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _message(body: Mapping[str, Any], status: int | None) -> str:
    return str(body.get("message") or body.get("error") or f"HTTP {status}")


class KeypadBridge:
    """Reads a keypad's key presses and sends each mapped one as a rating of its window."""

    def __init__(
        self,
        spec: KeypadSpec,
        url: str,
        token: str,
        *,
        reopen_seconds: float = REOPEN_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        retry_for_seconds: float = RETRY_FOR_SECONDS,
    ) -> None:
        if spec.device is None:
            raise KeypadError(
                f"keypad {spec.id} has no device: it is a tablet keypad, open /keypad/{spec.window} on it"
            )
        self.spec = spec
        self.keys = open_device(spec.device)
        self.client = RatingClient(
            url, spec, token, retry_seconds=retry_seconds, retry_for_seconds=retry_for_seconds
        )
        self.reopen_seconds = reopen_seconds
        self.opened = threading.Event()  # set while the device is open (for tests and the curious)
        self._failure: str | None = None  # why the device is closed, logged once per outage

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: keep the device open, read it, send its presses."""
        while not stop.is_set():
            if not self.keys.is_open and not self._open():
                stop.wait(self.reopen_seconds)
                continue
            try:
                pressed = self.keys.read(READ_SECONDS)
            except (serial.SerialException, OSError) as exc:
                self._fail(f"{self.keys.name} failed: {exc}")
                stop.wait(self.reopen_seconds)
                continue
            for key in pressed:
                if stop.is_set():
                    break
                self.press(key, stop)
        self.keys.close()
        self.opened.clear()
        log.info("stopped")

    def press(self, key: str, stop: threading.Event | None = None) -> str | None:
        """Send the level of a key; None for a key that gives none."""
        level = self.spec.keys.get(key)
        if level is None:
            log.debug("keypad %s: key %r gives no level: ignored", self.spec.id, key)
            return None
        return self.client.rate(level, key, stop)

    def _open(self) -> bool:
        try:
            self.keys.open()
        except (serial.SerialException, OSError) as exc:
            if self._failure is None:
                log.warning(
                    "cannot open %s: %s; retrying every %gs", self.keys.name, exc, self.reopen_seconds
                )
            self._failure = str(exc)
            return False
        log.info("keypad %s of window %d: %s open", self.spec.id, self.spec.window, self.keys.name)
        self._failure = None
        self.opened.set()
        return True

    def _fail(self, reason: str) -> None:
        log.warning("%s; reopening every %gs", reason, self.reopen_seconds)
        self._failure = reason
        self.keys.close()
        self.opened.clear()


def serve(spec: KeypadSpec, url: str, token: str) -> None:
    """Run the bridge until SIGTERM or Ctrl-C (SIGINT)."""
    bridge = KeypadBridge(spec, url, token)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    mapping = ", ".join(f"{key}→{level}" for key, level in sorted(spec.keys.items(), key=lambda kv: -kv[1]))
    log.info(
        "keypad %s of window %d on %s (keys %s), rating at %s",
        spec.id,
        spec.window,
        spec.device,
        mapping,
        url,
    )
    bridge.run(stop)
