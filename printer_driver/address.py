"""Printer addresses as written in hall.toml:

serial:///dev/ttyUSB0?baudrate=9600&flow=rtscts
usb://0x0416:0x5011
tcp://192.168.1.50:9100
file:///dev/usb/lp0
dummy:
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlsplit

SERIAL_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
SERIAL_FLOW = ("none", "rtscts", "xonxoff", "dsrdtr")
SCHEMES = ("serial", "usb", "tcp", "file", "dummy")
# What a dummy printer pretends to be (dummy:?status=paper_out), for demos and tests.
DUMMY_STATES = ("online", "paper_low", "paper_out", "cover_open", "offline", "unknown")


@dataclass(frozen=True)
class PrinterAddress:
    scheme: str
    url: str = ""
    path: str = ""  # device file for serial and file
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    baudrate: int = 9600
    flow: str = "none"
    options: dict[str, str] = field(default_factory=dict)


def parse_printer_url(url: str) -> PrinterAddress:
    """Parse and check a printer URL; ValueError says what is wrong with it."""
    return replace(_parse(url), url=url.strip())


def _parse(url: str) -> PrinterAddress:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f'unknown printer type "{parts.scheme or url}": use one of {", ".join(SCHEMES)}')
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if scheme == "dummy":
        status = query.get("status", "online")
        if status not in DUMMY_STATES:
            raise ValueError(f'dummy printer status "{status}" is not one of {", ".join(DUMMY_STATES)}')
        return PrinterAddress("dummy", options=query)
    if scheme == "tcp":
        if not parts.hostname:
            raise ValueError("tcp printer needs a host: tcp://HOST:9100")
        try:
            port = parts.port or 9100
        except ValueError as exc:
            raise ValueError(f"tcp printer port is not a number 1-65535: {url}") from exc
        return PrinterAddress("tcp", host=parts.hostname, port=port, options=query)
    if scheme == "usb":
        ids = parts.netloc.split(":")
        try:
            vendor, product = (int(x, 16) for x in ids)
        except ValueError as exc:
            raise ValueError("usb printer needs VID:PID in hex, such as usb://0x0416:0x5011") from exc
        return PrinterAddress("usb", vendor_id=vendor, product_id=product, options=query)
    if not parts.path.startswith("/"):
        raise ValueError(f"{scheme} printer needs an absolute device path, such as {scheme}:///dev/...")
    if scheme == "file":
        return PrinterAddress("file", path=parts.path, options=query)
    baud_text = query.pop("baudrate", "9600")
    if not baud_text.isdigit() or int(baud_text) not in SERIAL_BAUDRATES:
        raise ValueError(f"serial baudrate {baud_text} is not one of {', '.join(map(str, SERIAL_BAUDRATES))}")
    flow = query.pop("flow", "none")
    if flow not in SERIAL_FLOW:
        raise ValueError(f'serial flow "{flow}" is not one of {", ".join(SERIAL_FLOW)}')
    return PrinterAddress("serial", path=parts.path, baudrate=int(baud_text), flow=flow, options=query)
