"""One class per way of reaching a printer, behind one interface (as python-escpos has one
class per transport). Opening uses python-escpos's printer classes; the status query and
its short read are ours, because python-escpos treats no answer as "fine"."""

from __future__ import annotations

import contextlib
import socket
import termios
from abc import ABC, abstractmethod

from escpos import printer as escpos_printer
from escpos.exceptions import DeviceNotFoundError

from .address import PrinterAddress
from .status import (
    DLE_EOT,
    OFFLINE_CAUSE,
    PAPER_SENSOR,
    PRINTER_STATUS,
    PrinterStatus,
    is_status_byte,
    status_from_replies,
)

CONNECT_SECONDS = 3.0  # a network printer that does not answer in this time is offline
WRITE_SECONDS = 20.0  # a serial printer holding flow control longer than this is stuck
# How a pulled cable shows: pyserial, sockets and pyusb raise OSError kinds; a port's termios
# calls (drain, flush) raise termios.error, which is not one.
DEVICE_ERRORS = (OSError, termios.error)


class PrinterUnavailable(Exception):
    """The printer cannot be reached, or stopped taking bytes part-way."""


class Transport(ABC):
    def __init__(self, address: PrinterAddress) -> None:
        self.address = address
        self.is_open = False
        self.last_error: str | None = None  # why the last status check found it offline

    def open(self) -> None:
        if not self.is_open:
            self._open()
            self.is_open = True

    def write(self, data: bytes) -> None:
        """All of data, or PrinterUnavailable (the connection is then closed)."""
        self.open()
        try:
            self._write(data)
        except DEVICE_ERRORS as exc:
            self.close()
            raise PrinterUnavailable(f"{self.describe()}: {exc}") from exc

    def status(self, timeout: float = 0.5) -> PrinterStatus:
        """Ask DLE EOT 1, 2 and 4; OFFLINE (with the reason in last_error) if the printer
        cannot be reached. A connection that was open may have gone stale (a network printer
        closes idle ones): it gets one fresh try before the printer counts as offline."""
        was_open = self.is_open
        status = self._query_status(timeout)
        if status is PrinterStatus.OFFLINE and was_open:
            status = self._query_status(timeout)
        return status

    def _query_status(self, timeout: float) -> PrinterStatus:
        try:
            self.open()
            replies: dict[int, int] = {}
            for query in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
                reply = self._ask(DLE_EOT + bytes([query]), timeout)
                if reply is None:
                    break  # a printer that ignores one query ignores the rest: don't wait thrice
                replies[query] = reply
        except (*DEVICE_ERRORS, PrinterUnavailable) as exc:
            self.close()
            self.last_error = str(exc) if isinstance(exc, PrinterUnavailable) else f"{self.describe()}: {exc}"
            return PrinterStatus.OFFLINE
        self.last_error = None
        return status_from_replies(replies)

    def close(self) -> None:
        if self.is_open:
            self.is_open = False
            with contextlib.suppress(*DEVICE_ERRORS):  # closing a device that was pulled out
                self._close()

    def describe(self) -> str:
        return self.address.url

    def line_seconds(self, size: int) -> float:
        """How long `size` bytes just written may still be on their way to the printer: an
        answer to a status query sent now comes after them."""
        return 0.0

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _write(self, data: bytes) -> None: ...

    @abstractmethod
    def _ask(self, query: bytes, timeout: float) -> int | None:
        """Send a real-time query; its one answer byte, or None."""

    @abstractmethod
    def _close(self) -> None: ...


class EscposTransport(Transport):
    """A transport that python-escpos opens."""

    def _printer(self) -> escpos_printer.Escpos:
        raise NotImplementedError

    def _open(self) -> None:
        self.printer = self._printer()
        try:
            self.printer.open(raise_not_found=True)
        except DeviceNotFoundError as exc:
            raise PrinterUnavailable(f"{self.describe()}: {str(exc).splitlines()[-1]}") from exc
        except ValueError as exc:  # pyusb without libusb: NoBackendError
            raise PrinterUnavailable(f"{self.describe()}: {exc} (is libusb-1.0-0 installed?)") from exc

    def _write(self, data: bytes) -> None:
        self.printer._raw(data)  # python-escpos's documented way to send prepared bytes

    def _close(self) -> None:
        self.printer.close()


class SerialTransport(EscposTransport):
    def _printer(self) -> escpos_printer.Serial:
        flow = self.address.flow
        return escpos_printer.Serial(
            devfile=self.address.path,
            baudrate=self.address.baudrate,
            timeout=1,
            xonxoff=flow == "xonxoff",
            dsrdtr=flow == "dsrdtr",
        )

    def _open(self) -> None:
        super()._open()
        port = self.printer.device
        port.rtscts = self.address.flow == "rtscts"

    def _write(self, data: bytes) -> None:
        # Long enough for this job at this line speed (10 bits a byte), with room for a
        # printer that pauses to print: an image ticket takes a minute at 9600 baud.
        self.printer.device.write_timeout = WRITE_SECONDS + 2 * len(data) * 10 / self.address.baudrate
        super()._write(data)

    def line_seconds(self, size: int) -> float:
        return size * 10 / self.address.baudrate  # start bit, 8 data bits, stop bit

    def _close(self) -> None:
        # python-escpos's close() drains the port first (tcdrain), which fails on a port that
        # was pulled out and then leaves the file open; pyserial's own close does not drain.
        port = self.printer.device
        self.printer._device = False
        port.close()

    def _ask(self, query: bytes, timeout: float) -> int | None:
        port = self.printer.device
        port.reset_input_buffer()  # a stale answer must not pass for this one
        port.write(query)
        port.timeout = timeout
        return _status_byte(port.read(1))


class NetworkTransport(EscposTransport):
    def _printer(self) -> escpos_printer.Network:
        return escpos_printer.Network(host=self.address.host, port=self.address.port, timeout=CONNECT_SECONDS)

    def _ask(self, query: bytes, timeout: float) -> int | None:
        sock: socket.socket = self.printer.device
        sock.setblocking(False)
        try:
            while sock.recv(64):  # drop what a previous query left behind
                pass
            raise ConnectionResetError("the printer closed the connection")
        except BlockingIOError:
            pass
        finally:
            sock.setblocking(True)
        sock.sendall(query)
        sock.settimeout(timeout)
        try:
            reply = sock.recv(1)
        except TimeoutError:
            return None
        finally:
            sock.settimeout(CONNECT_SECONDS)
        if not reply:
            raise ConnectionResetError("the printer closed the connection")
        return _status_byte(reply)

    def describe(self) -> str:
        return f"tcp://{self.address.host}:{self.address.port}"


class UsbTransport(EscposTransport):
    """A USB printer through libusb. Needs a udev rule that lets the hall's user open it
    (see docs/printers.md)."""

    def _printer(self) -> escpos_printer.Usb:
        return escpos_printer.Usb(
            self.address.vendor_id, self.address.product_id, timeout=int(WRITE_SECONDS * 1000)
        )

    def _ask(self, query: bytes, timeout: float) -> int | None:
        import usb.core  # only a USB printer needs pyusb loaded

        self.printer._raw(query)
        try:
            reply = self.printer.device.read(self.printer.in_ep, 16, int(timeout * 1000))
        except usb.core.USBTimeoutError:
            return None
        return _status_byte(bytes(reply[-1:]))


class FileTransport(EscposTransport):
    """A device node the kernel's printer driver owns, such as /dev/usb/lp0: write-only here,
    so its state is always unknown."""

    def _printer(self) -> escpos_printer.File:
        return escpos_printer.File(devfile=self.address.path)

    def _ask(self, query: bytes, timeout: float) -> int | None:
        return None


class DummyTransport(Transport):
    """Keeps the bytes (the demo and tests). Its state is set by the URL, dummy:?status=paper_low,
    or by assigning simulated_status; online by default."""

    def __init__(self, address: PrinterAddress) -> None:
        super().__init__(address)
        self.output = bytearray()
        self.simulated_status = PrinterStatus(address.options.get("status", "online"))

    def _open(self) -> None:
        if self.simulated_status is PrinterStatus.OFFLINE:
            raise PrinterUnavailable(f"{self.describe()}: simulated unplugged printer")

    def _write(self, data: bytes) -> None:
        if not self.simulated_status.can_print:
            raise OSError(f"simulated {self.simulated_status} printer")
        self.output += data

    def status(self, timeout: float = 0.5) -> PrinterStatus:
        return self.simulated_status

    def _ask(self, query: bytes, timeout: float) -> int | None:
        raise NotImplementedError  # status() answers from the simulated state

    def _close(self) -> None:
        pass


TRANSPORTS: dict[str, type[Transport]] = {
    "serial": SerialTransport,
    "tcp": NetworkTransport,
    "usb": UsbTransport,
    "file": FileTransport,
    "dummy": DummyTransport,
}


def transport_for(address: PrinterAddress) -> Transport:
    return TRANSPORTS[address.scheme](address)


def _status_byte(reply: bytes) -> int | None:
    return reply[0] if reply and is_status_byte(reply[0]) else None
