"""Serial devices for the bridges' tests: a real pseudo-terminal pair, and a USB serial device
at a stable name (as udev's /dev/serial/by-id/… link is) that can be unplugged and plugged
back."""

from __future__ import annotations

import os
import select
import time
from pathlib import Path


class Pty:
    """A pseudo-terminal standing in for a serial device: the bridge opens `name`; the test
    reads what reaches the line, or writes what the device sends, on the master side."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.name = os.ttyname(self.slave)

    def read(self, size: int, timeout: float = 30) -> bytes:
        """`size` bytes, or fewer if that many have not come by the deadline."""
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < size and (left := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], left)[0]:
                data += os.read(self.master, size - len(data))
        return data

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


class PluggedPty:
    """A pty behind a symbolic link: unplugged, the pty closes and the link goes; plugged back,
    a new pty (with another name) is behind the same link."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.pty: Pty | None = None
        self.plug()

    def plug(self) -> None:
        self.pty = Pty()
        self.link.symlink_to(self.pty.name)

    def unplug(self) -> None:
        self.link.unlink()
        assert self.pty is not None
        self.pty.close()
        self.pty = None

    def close(self) -> None:
        if self.pty is not None:
            self.pty.close()
