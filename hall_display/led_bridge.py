"""`hallq led-bridge`: the text of every window, from the server's /hall namespace to the
serial LED modules above the windows (one RS-485 line, one address per module).

A separate small process: it talks to the server only over Socket.IO, like a hall board, and
imports neither Flask nor the app. On every (re)connection it subscribes as a hall board and
rewrites every module from the window states in the acknowledgement; after that it writes a
module only when its text changes, or again on a recall (the module flashes the number anew).
When the serial port fails (an adapter unplugged), it keeps each module's latest text, reopens
the port every few seconds and rewrites every module once the port is back.

Framings (how one module's text goes on the line), `[led] framing` in hall.toml:

- ``plain`` (the default): the address as three ASCII decimal digits, the text, CR LF.
  Address 3, 请A012号 in GB18030: ``30 30 33 c7 eb 41 30 31 32 ba c5 0d 0a``.
- ``stx-xor``: STX (02), the address as one byte, the text, ETX (03), then one checksum byte,
  the XOR of every byte from the address to the ETX. Address 3, 请A012号:
  ``02 03 c7 eb 41 30 31 32 ba c5 03 21``.
- ``package.module:Class``: a hall's own class, made without arguments, with a method
  ``frame(address: int, text: bytes) -> bytes``.

The text never holds a control character (line breaks and tabs become spaces), and GB2312 and
GB18030 encode every other character as bytes of 0x20 or more, so CR, LF, STX and ETX occur in
a frame only where the framing puts them.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Mapping
from typing import Any, Protocol

import serial
import socketio

from queue_core.spec import LedSpec, LedTexts

log = logging.getLogger("hallq.led")

NAMESPACE = "/hall"
RETRY_SECONDS = 2.0  # between attempts to reach the server or to reopen the serial port
WRITE_TIMEOUT = 2.0  # a line that takes longer to accept a frame counts as failed


class LedError(Exception):
    """A problem with the [led] settings, in words for the hall's IT person."""


class Framing(Protocol):
    def frame(self, address: int, text: bytes) -> bytes:
        """The bytes that put `text` (already encoded) on the module at `address`."""
        ...


class PlainFraming:
    """Three ASCII decimal digits of address, the text, CR LF."""

    def frame(self, address: int, text: bytes) -> bytes:
        return b"%03d" % address + text + b"\r\n"


class StxXorFraming:
    """STX, address byte, text, ETX, XOR of every byte from the address to the ETX."""

    def frame(self, address: int, text: bytes) -> bytes:
        body = bytes([address]) + text + b"\x03"
        checksum = 0
        for byte in body:
            checksum ^= byte
        return b"\x02" + body + bytes([checksum])


FRAMINGS: dict[str, type[Framing]] = {"plain": PlainFraming, "stx-xor": StxXorFraming}


def load_framing(name: str) -> Framing:
    """A built-in framing by name, or a hall's own from "package.module:Class"."""
    if name in FRAMINGS:
        return FRAMINGS[name]()
    module_name, colon, class_name = name.partition(":")
    if not colon or not module_name or not class_name:
        raise LedError(
            f'led.framing "{name}": use {", ".join(FRAMINGS)} or "package.module:Class" for your own'
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LedError(f'led.framing "{name}": cannot import {module_name}: {exc}') from exc
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise LedError(f'led.framing "{name}": {module_name} has no class {class_name}')
    try:
        framing = cls()
    except TypeError as exc:
        raise LedError(f'led.framing "{name}": {class_name}() needs no arguments: {exc}') from exc
    if not callable(getattr(framing, "frame", None)):
        raise LedError(f'led.framing "{name}": {class_name} has no frame(address, text) method')
    return framing


def window_text(texts: LedTexts, window: Mapping[str, Any]) -> str:
    """The text for a window in the state a window_state message gives it."""
    templates = texts.model_dump()
    template = templates.get(window["state"], texts.closed)
    clerk, current = window.get("clerk") or {}, window.get("current") or {}
    text = template.format(
        number=current.get("number") or "",
        window=window["number"],
        window_name=window.get("name") or "",
        clerk=clerk.get("name") or "",
        badge=clerk.get("badge") or "",
        reason=window.get("pause_reason") or "",
    )
    return "".join(ch for ch in " ".join(text.split()) if ch.isprintable())


def encode_text(text: str, encoding: str) -> bytes:
    """The text in the modules' encoding; a character it cannot carry becomes "?" and is logged."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        missing = "".join(dict.fromkeys(ch for ch in text if not ch.encode(encoding, "ignore")))
        log.warning("%s cannot carry %s in %r: sent as ?", encoding, missing, text)
        return text.encode(encoding, "replace")


class LedLine:
    """The RS-485 line: the latest text of every module, written when it changes, and the
    port reopened (every module rewritten) after a failure."""

    def __init__(self, spec: LedSpec, framing: Framing) -> None:
        self.spec = spec
        self.framing = framing
        self.addresses = {m.window: m.address for m in spec.modules}
        self.wanted: dict[int, str] = {}  # window → its latest text
        self.shown: dict[int, str] = {}  # window → the text its module got last
        self.port: serial.Serial | None = None
        self._lock = threading.Lock()
        self._failure: str | None = None  # why the port is closed, logged once per outage

    def show(self, window: int, text: str, *, force: bool = False) -> None:
        """Put the text on the window's module, unless it shows it already (or `force`)."""
        if window not in self.addresses:
            return
        with self._lock:
            self.wanted[window] = text
            if force or self.shown.get(window) != text:
                self._write(window)

    def keep_open(self) -> None:
        """Open the port when it is closed (and rewrite every module); close it when the device
        is gone, so that a replugged adapter gets its name back."""
        with self._lock:
            if self.port is not None:
                try:
                    self.port.in_waiting  # noqa: B018 - an ioctl that fails once the device is gone
                except OSError as exc:
                    self._fail(f"{self.spec.port} is gone: {exc}")
                return
            try:
                self.port = serial.Serial(
                    self.spec.port, self.spec.baudrate, write_timeout=WRITE_TIMEOUT, exclusive=True
                )
            except (serial.SerialException, OSError) as exc:
                if self._failure is None:
                    log.warning("cannot open %s: %s; retrying every %gs", self.spec.port, exc, RETRY_SECONDS)
                self._failure = str(exc)
                return
            log.info("%s open at %d baud", self.spec.port, self.spec.baudrate)
            self._failure = None
            for window in sorted(self.wanted):
                self._write(window)

    def close(self) -> None:
        with self._lock:
            if self.port is not None:
                self.port.close()
                self.port = None

    def _write(self, window: int) -> None:
        if self.port is None:
            return
        text, address = self.wanted[window], self.addresses[window]
        try:
            self.port.write(self.framing.frame(address, encode_text(text, self.spec.encoding)))
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            self._fail(f"writing to {self.spec.port} failed: {exc}")
            return
        self.shown[window] = text
        log.info("window %d (address %d): %s", window, address, text)

    def _fail(self, reason: str) -> None:
        log.warning("%s; keeping the texts and reopening every %gs", reason, RETRY_SECONDS)
        self._failure = reason
        if self.port is not None:
            self.port.close()
        self.port = None


class LedBridge:
    """Subscribes to the hall's window states and puts each window's text on its module."""

    def __init__(self, spec: LedSpec, url: str) -> None:
        self.texts = spec.texts
        self.url = url
        self.line = LedLine(spec, load_framing(spec.framing))
        self.windows: dict[int, dict[str, Any]] = {}  # the latest window_state of each window
        self.client = socketio.Client(reconnection=False)  # _stay_connected reconnects
        self._connecting = threading.Lock()
        # The client calls these in its one reading thread, in the order the server sent them.
        self.client.on("connect", self._connected, namespace=NAMESPACE)
        self.client.on("disconnect", self._disconnected, namespace=NAMESPACE)
        self.client.on("window_state", self._window_state, namespace=NAMESPACE)
        self.client.on("ticket_called", self._ticket_called, namespace=NAMESPACE)

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: stay connected to the server and keep the port open."""
        connection = threading.Thread(target=self._stay_connected, args=(stop,), name="led-socketio")
        connection.start()
        self.line.keep_open()
        while not stop.wait(RETRY_SECONDS):
            self.line.keep_open()
        with self._connecting:
            if self.client.connected:
                self.client.disconnect()
        connection.join()
        self.line.close()
        log.info("stopped")

    def _stay_connected(self, stop: threading.Event) -> None:
        unreachable = False
        while not stop.is_set():
            try:
                with self._connecting:  # run() disconnects a connection made, not one being made
                    if stop.is_set():
                        return
                    self.client.connect(
                        self.url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10
                    )
            except socketio.exceptions.ConnectionError as exc:
                if not unreachable:
                    log.warning("cannot reach %s: %s; retrying every %gs", self.url, exc, RETRY_SECONDS)
                unreachable = True
                stop.wait(RETRY_SECONDS)
            else:
                unreachable = False
                self.client.wait()  # until the connection ends

    def _connected(self) -> None:
        log.info("connected to %s", self.url)
        self.client.emit("subscribe", {"board": "hall"}, namespace=NAMESPACE, callback=self._subscribed)

    def _disconnected(self, reason: Any = None) -> None:
        log.warning("disconnected from %s (%s); the modules keep their texts", self.url, reason)

    def _subscribed(self, ack: dict[str, Any]) -> None:
        if not ack.get("ok"):
            log.error("the server refused the hall board subscription: %s", ack.get("error"))
            return
        for window in ack["state"]["windows"]:
            self._window_state(window, force=True)

    def _window_state(self, window: dict[str, Any], force: bool = False) -> None:
        self.windows[window["number"]] = window
        self.line.show(window["number"], window_text(self.texts, window), force=force)

    def _ticket_called(self, call: dict[str, Any]) -> None:
        # The window_state that follows says the same; a recall is sent again to flash it anew.
        shown = self.windows.get(call["window"], {})
        called = {
            **shown,
            "number": call["window"],
            "name": call["window_name"],
            "state": "called",
            "current": {**(shown.get("current") or {}), "number": call["number"]},
        }
        self.line.show(call["window"], window_text(self.texts, called), force=call["recall"])


def serve(spec: LedSpec, url: str) -> None:
    """Run the bridge until SIGTERM or Ctrl-C (SIGINT)."""
    bridge = LedBridge(spec, url)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("%d modules on %s (%s framing, %s)", len(spec.modules), spec.port, spec.framing, spec.encoding)
    bridge.run(stop)
