"""Fake ESC/POS printers on a pseudo-terminal and on TCP that record the job and answer status queries.

They behave like the hardware where the driver can tell the difference: real-time status queries
(DLE EOT n) are answered wherever the three bytes appear in the stream, even inside image data, as
the printer's receive interrupt does; a printer can be "unplugged" mid-job so that the driver's
next write fails the way it does when a USB-serial cable or the network is pulled.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

DLE_EOT = b"\x10\x04"
STATUS_FUNCTIONS = (1, 2, 3, 4)
QUERY_LENGTH = 3
POLL_SECONDS = 0.05
BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit


@dataclass
class PrinterState:
    """What the printer reports; tests flip these while the driver is running."""

    offline: bool = False
    cover_open: bool = False
    paper_near_end: bool = False
    paper_out: bool = False
    mute: bool = False  # never answers a status query, like a printer with a broken return line

    def status_byte(self, n: int) -> int:
        """The reply to DLE EOT n; bits 1 and 4 are always set, as the Epson reference fixes them."""
        if n == 1:  # printer status
            return 0x12 | (0x08 if self.offline or self.cover_open or self.paper_out else 0)
        if n == 2:  # off-line cause
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
        if n == 3:  # error cause: this printer has no cutter or recoverable errors to report
            return 0x12
        if n == 4:  # roll paper sensors
            return 0x12 | (0x0C if self.paper_near_end else 0) | (0x60 if self.paper_out else 0)
        raise ValueError(f"DLE EOT {n} is not a status function")


@dataclass
class _Session:
    """One plugged-in period: the thread serving it and what unplugging must close."""

    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    close: Callable[[], None] = lambda: None


class _FakePrinter:
    """What both transports share: recording, status replies, unplugging and waiting."""

    def __init__(self, state: PrinterState | None, unplug_after: int | None) -> None:
        self.state = state or PrinterState()
        # After this many payload bytes the printer unplugs itself; it fires once and then resets to None.
        self.unplug_after = unplug_after
        self.received = bytearray()
        self._condition = threading.Condition()
        self._query_offsets: list[int] = []
        # received[:_resolved] is known to be payload or query; the rest may still become a query.
        self._resolved = 0
        self._payload_count = 0
        self._plug_lock = threading.Lock()
        self._session: _Session | None = None
        # Only true or false once the transport is fully open or closed, unlike _session.
        self._plugged = False

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.replug()

    def stop(self) -> None:
        self.unplug()

    @property
    def plugged(self) -> bool:
        return self._plugged

    def replug(self) -> None:
        """Plug the printer (back) in; a printer that is still plugged is unplugged first."""
        self.unplug()
        session = self._open_session()
        with self._plug_lock:
            self._session = session
        assert session.thread is not None
        session.thread.start()
        self._plugged = True

    def unplug(self) -> None:
        """Pull the cable: stop serving and close the transport under the driver's feet."""
        with self._plug_lock:
            session, self._session = self._session, None
        if session is None:
            return
        session.stop.set()
        # The serving thread unplugs itself when unplug_after fires; it cannot wait for itself.
        if session.thread is not None and session.thread is not threading.current_thread():
            session.thread.join()
        session.close()
        with self._condition:
            self._plugged = False
            self._condition.notify_all()  # wake wait_for predicates that watch for the unplug

    def payload(self) -> bytes:
        """The job as the driver meant it: everything received except the DLE EOT status queries.

        Every 10 04 n (n = 1..4) is removed, even one that happens to sit inside image data, because
        the printer takes those as queries too; decode ``received`` to get the structural reading.
        """
        with self._condition:
            kept = bytearray()
            last = 0
            for offset in self._query_offsets:
                kept += self.received[last:offset]
                last = offset + QUERY_LENGTH
            kept += self.received[last:]
            return bytes(kept)

    def wait_for(self, expected: bytes | Callable[[bytes], bool], timeout: float = 5) -> None:
        """Block until ``received`` contains ``expected`` (or the predicate on it holds)."""
        if callable(expected):
            check = expected
            description = getattr(expected, "__name__", "predicate")
        else:
            needle = bytes(expected)

            def check(received: bytes) -> bool:
                return needle in received

            description = f"bytes {needle.hex(' ')}"
        with self._condition:
            if self._condition.wait_for(lambda: check(bytes(self.received)), timeout):
                return
            tail = bytes(self.received[-64:]).hex(" ")
            raise AssertionError(
                f"{type(self).__name__} did not receive {description} within {timeout} s; "
                f"{len(self.received)} bytes received, last 64: {tail}"
            )

    def _open_session(self) -> _Session:
        raise NotImplementedError

    def _accept(self, chunk: bytes) -> tuple[bytes, bool]:
        """Record bytes as they arrive; return the status replies due and whether to unplug now."""
        replies = bytearray()
        unplug_now = False
        with self._condition:
            for byte in chunk:
                self.received.append(byte)
                replies += self._resolve()
                if self.unplug_after is not None and self._payload_count >= self.unplug_after:
                    # The bytes still on the wire are lost with the cable.
                    self.unplug_after = None
                    unplug_now = True
                    break
            self._condition.notify_all()
        return bytes(replies), unplug_now

    def _resolve(self) -> bytes:
        """Classify newly received bytes as payload or status query, answering each query."""
        replies = bytearray()
        buffer = self.received
        index = self._resolved
        while index < len(buffer):
            window = bytes(buffer[index : index + QUERY_LENGTH])
            if len(window) == QUERY_LENGTH and window[:2] == DLE_EOT and window[2] in STATUS_FUNCTIONS:
                self._query_offsets.append(index)
                if not self.state.mute:
                    replies.append(self.state.status_byte(window[2]))
                index += QUERY_LENGTH
            elif len(window) < QUERY_LENGTH and (DLE_EOT + b"\x01").startswith(window):
                break  # 10 or 10 04 at the end: wait for the next byte to know
            else:
                self._payload_count += 1
                index += 1
        self._resolved = index
        return bytes(replies)


class PtyPrinter(_FakePrinter):
    """A printer behind a serial port: a pseudo-terminal reached through a udev-like symlink.

    The driver opens ``path`` (``tmp_path/ttyPRINTER``). With ``simulated_baud`` the printer reads
    no faster than that line speed, so the driver's writes block once the pty buffer (about 15 KB on
    Linux) is full and transfer times become measurable. tcdrain (pyserial's flush) returns at once on
    a pty whatever the reader does, so it proves nothing about delivery.
    """

    def __init__(
        self,
        tmp_path: Path | str,
        *,
        state: PrinterState | None = None,
        unplug_after: int | None = None,
        simulated_baud: int | None = None,
    ) -> None:
        super().__init__(state, unplug_after)
        self.link = Path(tmp_path) / "ttyPRINTER"
        self.simulated_baud = simulated_baud

    @property
    def path(self) -> str:
        return str(self.link)

    def _open_session(self) -> _Session:
        master, slave = os.openpty()
        # Raw from the start: otherwise the line discipline turns LF into CR LF and eats 0x11/0x13
        # before the driver has opened the port and set its own modes.
        tty.setraw(slave)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(slave))

        def close() -> None:
            # Closing the master hangs up the slave: the driver's writes then fail with EIO.
            os.close(master)
            os.close(slave)
            self.link.unlink(missing_ok=True)

        session = _Session(close=close)
        session.thread = threading.Thread(
            target=self._serve, args=(session, master), name="fake-printer-pty", daemon=True
        )
        return session

    def _serve(self, session: _Session, master: int) -> None:
        # At a simulated line speed, read about 10 ms of data at a time so replies stay prompt.
        read_size = max(16, self.simulated_baud // 100) if self.simulated_baud else 4096
        while not session.stop.is_set():
            ready, _, _ = select.select([master], [], [], POLL_SECONDS)
            if not ready:
                continue
            try:
                chunk = os.read(master, read_size)
            except OSError as error:
                # EIO means no slave is open on the other side; we keep one open, but stay tolerant.
                if error.errno != errno.EIO:
                    raise
                session.stop.wait(POLL_SECONDS)
                continue
            if self.simulated_baud and session.stop.wait(len(chunk) * BITS_PER_BYTE / self.simulated_baud):
                return  # unplugged while these bytes were still on the wire
            replies, unplug_now = self._accept(chunk)
            if unplug_now:
                self.unplug()
                return
            if replies:
                os.write(master, replies)


class TcpPrinter(_FakePrinter):
    """A network printer on 127.0.0.1 (port 9100 in real life, an ephemeral port here).

    One connection is served at a time; further connections wait in the listen backlog, already
    connected from the client's point of view, until the current one closes.
    """

    def __init__(self, *, state: PrinterState | None = None, unplug_after: int | None = None) -> None:
        super().__init__(state, unplug_after)
        self.host = "127.0.0.1"
        self.port = 0  # chosen by the kernel at the first start, then kept across replugs

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def _open_session(self) -> _Session:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Lets replug() bind the same port again while old connections linger in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(1)
        self.port = listener.getsockname()[1]
        connections: list[socket.socket] = []

        def close() -> None:
            for connection in connections:
                # Linger 0 sends a reset, so the driver fails at once instead of seeing a clean close.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                connection.close()
            listener.close()

        session = _Session(close=close)
        session.thread = threading.Thread(
            target=self._serve, args=(session, listener, connections), name="fake-printer-tcp", daemon=True
        )
        return session

    def _serve(self, session: _Session, listener: socket.socket, connections: list[socket.socket]) -> None:
        while not session.stop.is_set():
            ready, _, _ = select.select([listener], [], [], POLL_SECONDS)
            if not ready:
                continue
            connection, _ = listener.accept()
            connections.append(connection)
            self._serve_connection(session, connection)
            if session.stop.is_set():
                return  # unplugged: close() resets the connection
            connections.remove(connection)
            connection.close()

    def _serve_connection(self, session: _Session, connection: socket.socket) -> None:
        """Read one client until it closes, answering status queries on the same socket."""
        while not session.stop.is_set():
            ready, _, _ = select.select([connection], [], [], POLL_SECONDS)
            if not ready:
                continue
            try:
                chunk = connection.recv(4096)
            except ConnectionError:
                return
            if not chunk:
                return
            replies, unplug_now = self._accept(chunk)
            if unplug_now:
                self.unplug()
                return
            if replies:
                try:
                    connection.sendall(replies)
                except OSError:
                    return  # the client went away before reading its answer
