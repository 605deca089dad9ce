"""The USB transport, the one thing here with a mock: no USB printer exists on this machine,
so pyusb's device look-up returns a stand-in for the libusb handle. Everything above it (the
transport, python-escpos's Usb class, the status decoding) is the real code."""

from __future__ import annotations

from types import SimpleNamespace

import usb.core

from printer_driver import Printer, PrinterSettings, PrinterStatus
from tests.printer.documents import render
from tests.printer.escpos_decode import decode
from tests.printer.fake_printer import PrinterState


class OtherBackend:
    """A pyusb backend other than libusb1: python-escpos then leaves the kernel driver alone."""


class UsbHandle:
    """A libusb device handle as pyusb gives it: bulk writes to the OUT endpoint, status
    answers read from the IN endpoint."""

    backend = OtherBackend()
    _ctx = SimpleNamespace(dispose=lambda device: None)  # what pyusb's dispose_resources calls

    def __init__(self, state: PrinterState) -> None:
        self.state = state
        self.written = bytearray()
        self.answers: list[int] = []
        self.pulled = False

    def set_configuration(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def write(self, endpoint: int, data: bytes, timeout: int) -> int:
        if self.pulled:
            raise usb.core.USBError("No such device (it may have been disconnected)", errno=19)
        self.written += data
        if data[:2] == b"\x10\x04" and len(data) == 3 and not self.state.mute:
            self.answers.append(self.state.status_byte(data[2]))
        return len(data)

    def read(self, endpoint: int, size: int, timeout: int) -> list[int]:
        if not self.answers:
            raise usb.core.USBTimeoutError("Operation timed out", errno=110)
        answer, self.answers = self.answers[:size], self.answers[size:]
        return answer


def plug(monkeypatch, handle: UsbHandle | None, *, backend_missing: bool = False) -> None:
    def find(**criteria: object) -> UsbHandle | None:
        if backend_missing:
            raise usb.core.NoBackendError("No backend available")
        assert criteria == {"idVendor": 0x0416, "idProduct": 0x5011}
        return handle

    monkeypatch.setattr(usb.core, "find", find)


SETTINGS = PrinterSettings(url="usb://0x0416:0x5011")


def test_a_usb_printer_gets_the_ticket_and_answers_status(monkeypatch):
    handle = UsbHandle(PrinterState(paper_near_end=True))
    plug(monkeypatch, handle)
    printer = Printer("K1", SETTINGS)
    printer.check()
    data = render("ticket", SETTINGS).data
    printer.send(data)
    printer.close()
    assert printer.status is PrinterStatus.PAPER_LOW
    assert handle.written.endswith(data) and "A012" in decode(data).text


def test_a_usb_printer_that_is_not_there_or_has_no_libusb_is_offline_and_says_why(monkeypatch):
    plug(monkeypatch, None)
    printer = Printer("K1", SETTINGS)
    printer.check()
    assert printer.status is PrinterStatus.OFFLINE and printer.error is not None
    assert printer.error.startswith("usb://0x0416:0x5011: ") and "not found" in printer.error
    plug(monkeypatch, None, backend_missing=True)
    printer.check()
    assert printer.status is PrinterStatus.OFFLINE and "libusb-1.0-0" in (printer.error or "")


def test_a_usb_printer_pulled_out_is_offline(monkeypatch):
    handle = UsbHandle(PrinterState())
    plug(monkeypatch, handle)
    printer = Printer("K1", SETTINGS)
    printer.check()
    assert printer.status is PrinterStatus.ONLINE
    handle.pulled = True
    plug(monkeypatch, None)  # and gone from the bus
    printer.check()
    assert printer.status is PrinterStatus.OFFLINE
