"""Tests of the printer test tools themselves: the ESC/POS decoder and the fake printers.

The byte strings are written out by hand from the Epson command reference so that the tools are
checked against the specification rather than against the driver they will judge.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from tests.printer.escpos_decode import (
    EscPosError,
    Feed,
    Line,
    NvLogo,
    Qr,
    Raster,
    decode,
    to_picture,
)
from tests.printer.fake_printer import PrinterState, PtyPrinter, TcpPrinter

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"
CHINESE_OFF = b"\x1c."
LF = b"\n"


def status_query(n: int) -> bytes:
    return b"\x10\x04" + bytes([n])


def qr_function(fn: int, parameters: bytes) -> bytes:
    """GS ( k pL pH cn fn parameters, with cn = 49 (QR)."""
    size = len(parameters) + 2
    return b"\x1d(k" + bytes([size % 256, size // 256, 49, fn]) + parameters


def native_qr(payload: str, module_size: int = 6) -> bytes:
    return (
        qr_function(65, b"\x32\x00")  # model 2
        + qr_function(67, bytes([module_size]))
        + qr_function(69, b"\x31")  # error correction M
        + qr_function(80, b"\x30" + payload.encode())
        + qr_function(81, b"\x30")
    )


def raster(bytes_per_row: int, rows: bytes) -> bytes:
    height = len(rows) // bytes_per_row
    return b"\x1dv0\x00" + bytes([bytes_per_row, 0, height, 0]) + rows


@pytest.fixture
def font_path() -> str:
    # The project's setup installs fonts-wqy-microhei; a missing font is a broken setup, not a skip.
    assert FONT.is_file(), f"{FONT} is missing: install the fonts-wqy-microhei package"
    return str(FONT)


@pytest.fixture
def pty_printer(tmp_path: Path) -> Iterator[PtyPrinter]:
    with PtyPrinter(tmp_path) as printer:
        yield printer


@pytest.fixture
def tcp_printer() -> Iterator[TcpPrinter]:
    with TcpPrinter() as printer:
        yield printer


# --- decoder -----------------------------------------------------------------------------------


def test_chinese_text_between_fs_ampersand_and_fs_dot() -> None:
    job = INIT + CHINESE_ON + "请到3号窗口".encode("gb18030") + LF + CHINESE_OFF
    decoded = decode(job)
    assert decoded.lines == [Line("请到3号窗口")]
    assert decoded.initialised == 1


def test_character_size_from_gs_exclamation() -> None:
    decoded = decode(INIT + b"\x1b\x61\x01" + b"\x1d!\x33A012" + LF + b"\x1d!\x00\x1bE\x01next")
    assert decoded.lines == [
        Line("A012", width=4, height=4, align="center"),
        Line("next", bold=True, align="center"),
    ]
    assert decoded.text == "A012\nnext"


def test_attributes_are_those_of_the_first_character() -> None:
    decoded = decode(b"\x1b!\x38ab\x1b!\x00cd" + LF)
    assert decoded.lines == [Line("abcd", width=2, height=2, bold=True)]


def test_native_qr_code() -> None:
    decoded = decode(INIT + b"\x1ba\x01" + native_qr("https://hall/t/abc"))
    assert decoded.qr_codes == ["https://hall/t/abc"]
    assert decoded.items == [Qr("https://hall/t/abc", 6, "M", "center")]


def test_raster_image() -> None:
    decoded = decode(raster(2, b"\xff\x00\x0f\xf0"))
    assert decoded.items == [Raster(16, 2, "left", b"\xff\x00\x0f\xf0")]
    [image] = decoded.rasters
    picture = image.to_image()
    assert picture.mode == "1"
    assert picture.size == (16, 2)
    assert [picture.getpixel((x, 0)) for x in (0, 7, 8, 15)] == [0, 0, 255, 255]  # 1 bits are black
    assert [picture.getpixel((x, 1)) for x in (0, 4, 11, 12)] == [255, 0, 0, 255]


def test_feeds_cuts_logo_and_status_queries() -> None:
    job = (
        b"top"
        + b"\x1bd\x03"
        + b"\x1bJ\x10"
        + b"\x1cp\x01\x00"
        + status_query(4)
        + b"\x1dV\x42\x00"
        + b"\x1dV\x00"
    )
    decoded = decode(job)
    assert decoded.items == [Line("top"), Feed(lines=3), Feed(dots=16), NvLogo(1)]
    assert decoded.cuts == ["partial", "full"]
    assert decoded.status_queries == [4]


def test_byte_outside_chinese_mode_is_an_error() -> None:
    job = INIT + b"A001" + "请".encode("gb18030")
    with pytest.raises(EscPosError, match=r"at byte 6: byte 0xc7 outside Chinese mode \(FS &\)") as caught:
        decode(job)
    assert caught.value.offset == 6


def test_truncated_raster_is_an_error() -> None:
    with pytest.raises(EscPosError, match=r"at byte 2: truncated GS v 0"):
        decode(INIT + raster(2, b"\xff\x00\x0f\xf0")[:-1])


def test_unknown_command_is_an_error() -> None:
    with pytest.raises(EscPosError, match=r"at byte 0: unknown command GS 0x62"):
        decode(b"\x1db\x01")


def test_character_cut_by_a_command_is_an_error() -> None:
    with pytest.raises(EscPosError, match=r"at byte 2: incomplete gb18030 character c7"):
        decode(CHINESE_ON + "请".encode("gb18030")[:1] + LF)


def test_big5() -> None:
    decoded = decode(CHINESE_ON + "臺灣".encode("big5") + LF, encoding="big5")
    assert decoded.text == "臺灣"


def test_gb18030_four_byte_characters() -> None:
    decoded = decode(CHINESE_ON + "𠀀€".encode("gb18030"))
    assert decoded.text == "𠀀€"


def test_picture_width_and_growing_height(font_path: str) -> None:
    short = to_picture(decode(CHINESE_ON + "请到3号窗口".encode("gb18030") + LF), 384, font_path)
    longer_job = CHINESE_ON + "请到3号窗口".encode("gb18030") + LF + b"\x1d!\x11A012\n" + native_qr("x", 4)
    longer = to_picture(decode(longer_job + b"\x1dV\x01"), 384, font_path)
    assert short.width == longer.width == 384
    assert short.height == 16 + 24 + 16
    assert longer.height > short.height + 48
    assert short.getextrema() == (0, 255)  # the characters are actually drawn


# --- fake printers -----------------------------------------------------------------------------


def test_pty_printer_answers_status(pty_printer: PtyPrinter) -> None:
    with serial.Serial(pty_printer.path, 9600, timeout=1) as port:
        port.write(status_query(1))
        assert port.read(1) == b"\x12"
        pty_printer.state.paper_out = True
        port.write(status_query(1))
        assert port.read(1) == b"\x1a"
        port.write(status_query(4))
        assert port.read(1) == b"\x72"


def test_mute_pty_printer_never_answers(pty_printer: PtyPrinter) -> None:
    pty_printer.state.mute = True
    with serial.Serial(pty_printer.path, 9600, timeout=0.3) as port:
        port.write(status_query(1))
        assert port.read(1) == b""
    pty_printer.wait_for(status_query(1))


def test_pty_printer_records_the_job_without_queries(pty_printer: PtyPrinter) -> None:
    with serial.Serial(pty_printer.path, 9600, timeout=1) as port:
        port.write(b"line 1\n" + status_query(2) + b"line 2\r\n")
        assert port.read(1) == b"\x12"
        pty_printer.wait_for(b"line 2\r\n")
    assert pty_printer.payload() == b"line 1\nline 2\r\n"
    assert bytes(pty_printer.received) == b"line 1\n" + status_query(2) + b"line 2\r\n"


def test_wait_for_times_out_with_a_hex_dump(pty_printer: PtyPrinter) -> None:
    with serial.Serial(pty_printer.path, 9600) as port:
        port.write(b"AB")
        pty_printer.wait_for(b"AB")
    with pytest.raises(AssertionError, match="41 42"):
        pty_printer.wait_for(b"never", timeout=0.2)


def test_pty_unplug_and_replug(pty_printer: PtyPrinter) -> None:
    with serial.Serial(pty_printer.path, 9600, timeout=1) as port:
        port.write(b"before")
        pty_printer.wait_for(b"before")
        pty_printer.unplug()
        assert not Path(pty_printer.path).exists()
        with pytest.raises(OSError):  # serial.SerialException is an OSError
            port.write(b"after")
    pty_printer.replug()
    with serial.Serial(pty_printer.path, 9600, timeout=1) as port:
        port.write(b"again")
        pty_printer.wait_for(b"again")
        port.write(status_query(3))
        assert port.read(1) == b"\x12"


def test_pty_printer_unplugs_itself_mid_job(tmp_path: Path) -> None:
    with PtyPrinter(tmp_path, unplug_after=10) as printer, serial.Serial(printer.path, 9600) as port:
        port.write(b"0123" + status_query(1) + b"456789" + b"lost")
        printer.wait_for(lambda received: not printer.plugged)
        assert printer.payload() == b"0123456789"
        with pytest.raises(OSError):
            port.write(b"more")


def test_simulated_baud_rate_slows_the_transfer(tmp_path: Path) -> None:
    with PtyPrinter(tmp_path, simulated_baud=9600) as printer, serial.Serial(printer.path, 9600) as port:
        started = time.monotonic()
        port.write(b"x" * 480)
        printer.wait_for(b"x" * 480)
        assert time.monotonic() - started >= 0.45  # 480 bytes * 10 bits / 9600 baud = 0.5 s


def test_tcp_printer_answers_on_the_same_connection(tcp_printer: TcpPrinter) -> None:
    tcp_printer.state.paper_near_end = True
    assert tcp_printer.url == f"tcp://127.0.0.1:{tcp_printer.port}"
    with socket.create_connection((tcp_printer.host, tcp_printer.port), timeout=2) as client:
        client.sendall(b"ticket\n" + status_query(4))
        assert client.recv(1) == b"\x1e"
    tcp_printer.wait_for(b"ticket\n")
    assert tcp_printer.payload() == b"ticket\n"


def test_tcp_unplug_and_replug(tcp_printer: TcpPrinter) -> None:
    client = socket.create_connection((tcp_printer.host, tcp_printer.port), timeout=2)
    client.sendall(b"first")
    tcp_printer.wait_for(b"first")
    tcp_printer.unplug()
    with pytest.raises(OSError):  # the open connection was reset
        client.sendall(b"second")
        client.recv(1)
    client.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((tcp_printer.host, tcp_printer.port), timeout=2)
    tcp_printer.replug()
    with socket.create_connection((tcp_printer.host, tcp_printer.port), timeout=2) as client:
        client.sendall(b"third" + status_query(1))
        assert client.recv(1) == b"\x12"
    tcp_printer.wait_for(b"third")


def test_tcp_printer_serves_one_connection_after_another(tcp_printer: TcpPrinter) -> None:
    for job in (b"job one", b"job two"):
        with socket.create_connection((tcp_printer.host, tcp_printer.port), timeout=2) as client:
            client.sendall(job)
        tcp_printer.wait_for(job)
    assert tcp_printer.payload() == b"job onejob two"


def test_printer_state_replies() -> None:
    state = PrinterState(cover_open=True, paper_out=True)
    assert [state.status_byte(n) for n in (1, 2, 3, 4)] == [0x1A, 0x36, 0x12, 0x72]
