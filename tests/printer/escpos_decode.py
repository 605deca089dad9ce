"""An independent ESC/POS decoder: the test oracle for the printer driver.

It walks the bytes of an Epson ESC/POS job and rebuilds what the paper would show (lines of text with
their print attributes, QR codes, raster images, NV logos, feeds and cuts). It is written from the
Epson command reference, not from the driver, so that a mistake in the driver cannot be mirrored here.

It is deliberately strict: any command outside the small set a receipt driver needs, any non-ASCII
byte outside Chinese (Kanji) mode and any truncated command raises :class:`EscPosError` with the byte
offset, because on a real printer those bytes would come out as garbage or swallow the text after them.

Simplifications, all chosen because a ticket printer only needs these:

* one character size is kept: ESC !, GS ! and FS ! all set it (FS ! is meant for Kanji only on Epson,
  but the Chinese printers found in service halls apply it to everything printed in Chinese mode);
* ESC @ clears the print buffer (text not yet ended by LF is lost, as on paper), resets the print
  attributes and leaves Chinese mode, because the driver must not rely on a printer's Chinese default;
* ESC t, ESC M, ESC 2/3, ESC G, ESC {, ESC R, GS L, GS W and FS C are accepted but do not change the
  decoded picture.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import qrcode
from PIL import Image, ImageDraw, ImageFont

LF, HT, CR = 0x0A, 0x09, 0x0D
DLE, EOT, ESC, FS, GS = 0x10, 0x04, 0x1B, 0x1C, 0x1D

QR_ERROR_CORRECTION = {48: "L", 49: "M", 50: "Q", 51: "H"}
ALIGNMENTS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
CUTS = {0: "full", 1: "partial", 48: "full", 49: "partial", 65: "full", 66: "partial"}
# GS V 65/66 carry a feed amount before cutting; GS V 0/1/48/49 do not.
CUTS_WITH_FEED = {65, 66}
# GS v 0 m: bit 0 doubles the width, bit 1 doubles the height of every dot.
RASTER_MODES = {0, 1, 2, 3, 48, 49, 50, 51}

HALF_CELL = 12  # font A: 12x24 dots per half-width character
FULL_CELL = 24
CELL_HEIGHT = 24
MARGIN = 16


class EscPosError(ValueError):
    """The byte stream is not a job the printer would print as intended."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"at byte {offset}: {message}")
        self.offset = offset
        self.message = message


@dataclass(frozen=True)
class Line:
    """One printed line; its attributes are those in effect when its first character was printed."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    underline: bool = False
    reverse: bool = False


@dataclass(frozen=True)
class Qr:
    """A QR code the printer renders itself (GS ( k, cn 49)."""

    payload: str
    module_size: int
    error_correction: str
    align: str


@dataclass(frozen=True)
class Raster:
    """A GS v 0 raster bit image; ``bits`` is row-major, MSB first, 1 = black dot.

    ``mode`` is m normalised to 0..3 (bit 0: double width, bit 1: double height on paper).
    """

    width: int
    height: int
    align: str
    bits: bytes
    mode: int = 0

    def to_image(self) -> Image.Image:
        # Pillow's mode "1" stores 1 as white, ESC/POS 1 as black: read the bits inverted.
        return Image.frombytes("1", (self.width, self.height), self.bits, "raw", "1;I")


@dataclass(frozen=True)
class NvLogo:
    """FS p n m: print the bit image stored in the printer's non-volatile memory as number n."""

    number: int
    mode: int = 0
    align: str = "left"


@dataclass(frozen=True)
class Feed:
    """Paper fed without printing: ESC d n (lines) or ESC J n (dots)."""

    lines: int = 0
    dots: int = 0


Item = Line | Qr | Raster | NvLogo | Feed


@dataclass
class Decoded:
    """What the job puts on paper, in paper order, plus what it asked of the printer."""

    items: list[Item] = field(default_factory=list)
    cuts: list[str] = field(default_factory=list)
    # For each cut, how many items were printed before it, so that pictures show the cut in place.
    cut_positions: list[int] = field(default_factory=list)
    status_queries: list[int] = field(default_factory=list)
    initialised: int = 0

    @property
    def lines(self) -> list[Line]:
        return [item for item in self.items if isinstance(item, Line)]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def qr_codes(self) -> list[str]:
        return [item.payload for item in self.items if isinstance(item, Qr)]

    @property
    def rasters(self) -> list[Raster]:
        return [item for item in self.items if isinstance(item, Raster)]


@dataclass
class _PrintMode:
    """The character attributes ESC @ resets."""

    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    underline: bool = False
    reverse: bool = False


def decode(data: bytes, encoding: str = "gb18030") -> Decoded:
    """Rebuild what the printer puts on paper for ``data``; raise EscPosError on anything doubtful."""
    return _Decoder(bytes(data), encoding).run()


class _Decoder:
    def __init__(self, data: bytes, encoding: str) -> None:
        self.data = data
        self.encoding = encoding
        self.pos = 0
        self.result = Decoded()
        self.mode = _PrintMode()
        self.chinese: codecs.IncrementalDecoder | None = None
        # Bytes fed to the Chinese decoder that have not produced a character yet, with their offset.
        self.partial_char = bytearray()
        self.partial_char_offset = 0
        self.line_chars: list[str] = []
        self.line_mode: _PrintMode | None = None
        self.qr_payload: str | None = None
        self.qr_module_size = 3
        self.qr_error_correction = "L"
        # The command being read, for error messages about its arguments.
        self.command_name = ""
        self.commands: dict[tuple[int, int], tuple[str, Callable[[int], None]]] = {
            (ESC, 0x40): ("ESC @", self._initialise),
            (ESC, 0x21): ("ESC !", self._select_print_mode),
            (ESC, 0x45): ("ESC E", self._emphasis),
            (ESC, 0x2D): ("ESC -", self._underline),
            (ESC, 0x61): ("ESC a", self._justification),
            (ESC, 0x64): ("ESC d", self._feed_lines),
            (ESC, 0x4A): ("ESC J", self._feed_dots),
            (ESC, 0x74): ("ESC t", self._ignore_arguments(1)),
            (ESC, 0x4D): ("ESC M", self._ignore_arguments(1)),
            (ESC, 0x32): ("ESC 2", self._ignore_arguments(0)),
            (ESC, 0x33): ("ESC 3", self._ignore_arguments(1)),
            (ESC, 0x47): ("ESC G", self._ignore_arguments(1)),
            (ESC, 0x7B): ("ESC {", self._ignore_arguments(1)),
            (ESC, 0x52): ("ESC R", self._ignore_arguments(1)),
            (GS, 0x21): ("GS !", self._character_size),
            (GS, 0x42): ("GS B", self._reverse),
            (GS, 0x56): ("GS V", self._cut),
            (GS, 0x4C): ("GS L", self._ignore_arguments(2)),
            (GS, 0x57): ("GS W", self._ignore_arguments(2)),
            (GS, 0x28): ("GS (", self._two_dimensional_code),
            (GS, 0x76): ("GS v", self._raster_image),
            (FS, 0x26): ("FS &", self._enter_chinese),
            (FS, 0x2E): ("FS .", self._leave_chinese),
            (FS, 0x21): ("FS !", self._kanji_print_mode),
            (FS, 0x43): ("FS C", self._ignore_arguments(1)),
            (FS, 0x70): ("FS p", self._nv_logo),
            (DLE, EOT): ("DLE EOT", self._status_query),
        }

    def run(self) -> Decoded:
        while self.pos < len(self.data):
            start = self.pos
            byte = self.data[start]
            self.pos += 1
            if byte in (ESC, GS, FS, DLE):
                self._command(start, byte)
            elif byte == LF:
                self._end_of_character(start, "LF")
                self._print_line()
            elif byte == CR:
                self._end_of_character(start, "CR")
            elif byte == HT:
                self._end_of_character(start, "HT")
                self._add_text(" ")
            elif byte < 0x20 or byte == 0x7F:
                raise EscPosError(start, f"unexpected control byte 0x{byte:02x}")
            elif self.chinese is not None:
                self._chinese_byte(start, byte)
            elif byte < 0x80:
                self._add_text(chr(byte))
            else:
                raise EscPosError(start, f"byte 0x{byte:02x} outside Chinese mode (FS &)")
        self._end_of_character(len(self.data), "the end of the job")
        self._flush_line()
        return self.result

    # --- reading -------------------------------------------------------------------------------

    def _take(self, start: int, count: int) -> bytes:
        """The next ``count`` bytes of the current command, or an error naming it if the job ends."""
        if self.pos + count > len(self.data):
            left = len(self.data) - self.pos
            raise EscPosError(start, f"truncated {self.command_name}: needs {count} more bytes, {left} left")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def _command(self, start: int, prefix: int) -> None:
        prefix_name = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}[prefix]
        self._end_of_character(start, prefix_name)
        self.command_name = prefix_name
        code = self._take(start, 1)[0]
        entry = self.commands.get((prefix, code))
        if entry is None:
            shown = f" ({chr(code)!r})" if 0x20 < code < 0x7F else ""
            raise EscPosError(start, f"unknown command {prefix_name} 0x{code:02x}{shown}")
        self.command_name, handler = entry
        handler(start)

    def _argument(self, start: int) -> int:
        return self._take(start, 1)[0]

    # --- text ----------------------------------------------------------------------------------

    def _chinese_byte(self, offset: int, byte: int) -> None:
        assert self.chinese is not None
        if not self.partial_char:
            self.partial_char_offset = offset
        self.partial_char.append(byte)
        try:
            text = self.chinese.decode(bytes([byte]))
        except UnicodeDecodeError as error:
            raise EscPosError(
                self.partial_char_offset,
                f"bytes {self.partial_char.hex(' ')} are not valid {self.encoding} in Chinese mode",
            ) from error
        if text:
            self.partial_char.clear()
            self._add_text(text)

    def _end_of_character(self, offset: int, what: str) -> None:
        """A control byte or the end of the job must not cut a multi-byte character in half."""
        if self.partial_char:
            raise EscPosError(
                self.partial_char_offset,
                f"incomplete {self.encoding} character {self.partial_char.hex(' ')} before {what} at byte {offset}",
            )

    def _add_text(self, text: str) -> None:
        if self.line_mode is None:
            self.line_mode = _PrintMode(**vars(self.mode))
        self.line_chars.append(text)

    def _print_line(self) -> None:
        """LF prints the buffer; an empty buffer still advances the paper by one line."""
        mode = self.line_mode or self.mode
        self.result.items.append(Line("".join(self.line_chars), **vars(mode)))
        self.line_chars.clear()
        self.line_mode = None

    def _flush_line(self) -> None:
        """Commands that print something else first print the text waiting in the buffer."""
        if self.line_chars:
            self._print_line()

    # --- commands ------------------------------------------------------------------------------

    def _ignore_arguments(self, count: int) -> Callable[[int], None]:
        def handler(start: int) -> None:
            self._take(start, count)

        return handler

    def _initialise(self, start: int) -> None:
        self.result.initialised += 1
        self.mode = _PrintMode()
        self.line_chars.clear()
        self.line_mode = None
        self.chinese = None

    def _select_print_mode(self, start: int) -> None:
        n = self._argument(start)
        self.mode.bold = bool(n & 0x08)
        self.mode.height = 2 if n & 0x10 else 1
        self.mode.width = 2 if n & 0x20 else 1
        self.mode.underline = bool(n & 0x80)

    def _emphasis(self, start: int) -> None:
        self.mode.bold = bool(self._argument(start) & 0x01)

    def _underline(self, start: int) -> None:
        n = self._argument(start)
        if n not in (0, 1, 2, 48, 49, 50):
            raise EscPosError(start, f"ESC - with n={n} (expected 0..2 or 48..50)")
        self.mode.underline = n not in (0, 48)

    def _justification(self, start: int) -> None:
        n = self._argument(start)
        if n not in ALIGNMENTS:
            raise EscPosError(start, f"ESC a with n={n} (expected 0..2 or 48..50)")
        self.mode.align = ALIGNMENTS[n]

    def _feed_lines(self, start: int) -> None:
        n = self._argument(start)
        self._flush_line()
        self.result.items.append(Feed(lines=n))

    def _feed_dots(self, start: int) -> None:
        n = self._argument(start)
        self._flush_line()
        self.result.items.append(Feed(dots=n))

    def _character_size(self, start: int) -> None:
        n = self._argument(start)
        if n >> 4 > 7 or n & 0x0F > 7:
            raise EscPosError(start, f"GS ! with n=0x{n:02x} (each nibble must be 0..7)")
        self.mode.width = (n >> 4) + 1
        self.mode.height = (n & 0x0F) + 1

    def _kanji_print_mode(self, start: int) -> None:
        n = self._argument(start)
        self.mode.width = 2 if n & 0x04 else 1
        self.mode.height = 2 if n & 0x08 else 1
        self.mode.underline = bool(n & 0x80)

    def _reverse(self, start: int) -> None:
        self.mode.reverse = bool(self._argument(start) & 0x01)

    def _cut(self, start: int) -> None:
        m = self._argument(start)
        if m not in CUTS:
            raise EscPosError(start, f"GS V with m={m} (expected 0, 1, 48, 49, 65 or 66)")
        if m in CUTS_WITH_FEED:
            self._argument(start)
        self._flush_line()
        self.result.cuts.append(CUTS[m])
        self.result.cut_positions.append(len(self.result.items))

    def _two_dimensional_code(self, start: int) -> None:
        if self._argument(start) != ord("k"):
            raise EscPosError(start, "unknown command GS ( other than GS ( k")
        self.command_name = "GS ( k"
        low, high = self._take(start, 2)
        body = self._take(start, low + high * 256)
        if len(body) < 2:
            raise EscPosError(start, f"GS ( k with only {len(body)} parameter bytes")
        cn, fn = body[0], body[1]
        if cn != 49:
            raise EscPosError(start, f"GS ( k with cn={cn} (only QR, cn=49, is understood)")
        if fn == 65:
            if len(body) != 4 or body[2] not in (49, 50, 51) or body[3] != 0:
                raise EscPosError(start, f"GS ( k QR model with parameters {body[2:].hex(' ')}")
        elif fn == 67:
            if len(body) != 3 or not 1 <= body[2] <= 16:
                raise EscPosError(start, f"GS ( k QR module size with parameters {body[2:].hex(' ')}")
            self.qr_module_size = body[2]
        elif fn == 69:
            if len(body) != 3 or body[2] not in QR_ERROR_CORRECTION:
                raise EscPosError(start, f"GS ( k QR error correction with parameters {body[2:].hex(' ')}")
            self.qr_error_correction = QR_ERROR_CORRECTION[body[2]]
        elif fn == 80:
            if len(body) < 3 or body[2] != 48:
                raise EscPosError(start, "GS ( k QR store data without m=48")
            stored = body[3:]
            try:
                self.qr_payload = stored.decode("utf-8")
            except UnicodeDecodeError:
                self.qr_payload = stored.decode("latin-1")
        elif fn == 81:
            if len(body) != 3 or body[2] != 48:
                raise EscPosError(start, "GS ( k QR print without m=48")
            if self.qr_payload is None:
                raise EscPosError(start, "GS ( k QR print before any QR data was stored")
            self._flush_line()
            self.result.items.append(
                Qr(self.qr_payload, self.qr_module_size, self.qr_error_correction, self.mode.align)
            )
        else:
            raise EscPosError(start, f"GS ( k QR function fn={fn} is not understood")

    def _raster_image(self, start: int) -> None:
        if self._argument(start) != ord("0"):
            raise EscPosError(start, "unknown command GS v other than GS v 0")
        self.command_name = "GS v 0"
        m, x_low, x_high, y_low, y_high = self._take(start, 5)
        if m not in RASTER_MODES:
            raise EscPosError(start, f"GS v 0 with m={m} (expected 0..3 or 48..51)")
        bytes_per_row = x_low + x_high * 256
        height = y_low + y_high * 256
        bits = self._take(start, bytes_per_row * height)
        self._flush_line()
        self.result.items.append(Raster(bytes_per_row * 8, height, self.mode.align, bits, m & 0x03))

    def _enter_chinese(self, start: int) -> None:
        if self.chinese is None:
            self.chinese = codecs.getincrementaldecoder(self.encoding)(errors="strict")

    def _leave_chinese(self, start: int) -> None:
        self.chinese = None

    def _nv_logo(self, start: int) -> None:
        n, m = self._take(start, 2)
        if m not in RASTER_MODES:
            raise EscPosError(start, f"FS p with m={m} (expected 0..3 or 48..51)")
        self._flush_line()
        self.result.items.append(NvLogo(n, m & 0x03, self.mode.align))

    def _status_query(self, start: int) -> None:
        n = self._argument(start)
        if not 1 <= n <= 4:
            raise EscPosError(start, f"DLE EOT with n={n} (expected 1..4)")
        self.result.status_queries.append(n)


# --- simulated print ---------------------------------------------------------------------------


def to_picture(decoded: Decoded, paper_px: int, font_path: str) -> Image.Image:
    """Simulate the printout on white paper ``paper_px`` dots wide (384 for 58 mm, 576 for 80 mm).

    Text uses font A cells (12x24 half width, 24x24 full width) scaled by the size multipliers and
    wraps at the paper edge like the printer does. The returned image is greyscale: black is what the
    printer prints, grey marks what only the picture shows (NV logo placeholders and cuts).
    """
    font = ImageFont.truetype(font_path, 22)
    strips: list[Image.Image] = []
    for index, item in enumerate(decoded.items):
        strips.extend(_cut_strip(paper_px, font, cut) for cut in _cuts_at(decoded, index))
        strips.extend(_item_strips(item, paper_px, font))
    strips.extend(_cut_strip(paper_px, font, cut) for cut in _cuts_at(decoded, len(decoded.items)))
    picture = Image.new("L", (paper_px, MARGIN * 2 + sum(strip.height for strip in strips)), 255)
    top = MARGIN
    for strip in strips:
        picture.paste(strip, (0, top))
        top += strip.height
    return picture


def _cuts_at(decoded: Decoded, position: int) -> list[str]:
    return [
        cut
        for cut, cut_position in zip(decoded.cuts, decoded.cut_positions, strict=True)
        if cut_position == position
    ]


def _item_strips(item: Item, paper_px: int, font: ImageFont.FreeTypeFont) -> list[Image.Image]:
    if isinstance(item, Line):
        return _line_strips(item, paper_px, font)
    if isinstance(item, Feed):
        return [Image.new("L", (paper_px, max(1, item.lines * CELL_HEIGHT + item.dots)), 255)]
    if isinstance(item, Qr):
        return [_placed(_qr_image(item), paper_px, item.align)]
    if isinstance(item, Raster):
        image = item.to_image()
        scaled = image.resize((image.width * (1 + (item.mode & 1)), image.height * (1 + (item.mode >> 1))))
        return [_placed(scaled, paper_px, item.align)]
    return [_placed(_nv_logo_box(item, paper_px, font), paper_px, item.align)]


def _cell_width(char: str, line: Line) -> int:
    full = unicodedata.east_asian_width(char) in ("W", "F")
    return (FULL_CELL if full else HALF_CELL) * line.width


def _line_strips(line: Line, paper_px: int, font: ImageFont.FreeTypeFont) -> list[Image.Image]:
    """One strip per printed row: text longer than the paper continues on the next row."""
    rows: list[list[str]] = [[]]
    used = 0
    for char in line.text:
        width = _cell_width(char, line)
        if used + width > paper_px and rows[-1]:
            rows.append([])
            used = 0
        rows[-1].append(char)
        used += width
    return [_placed(_row_image(row, line, font), paper_px, line.align) for row in rows]


def _row_image(chars: list[str], line: Line, font: ImageFont.FreeTypeFont) -> Image.Image:
    height = CELL_HEIGHT * line.height
    row = Image.new("L", (max(1, sum(_cell_width(char, line) for char in chars)), height), 255)
    left = 0
    for char in chars:
        cell = _glyph_cell(char, line, font)
        row.paste(cell, (left, 0))
        left += cell.width
    return row


def _glyph_cell(char: str, line: Line, font: ImageFont.FreeTypeFont) -> Image.Image:
    """Draw the character at 1x in its cell and stretch it, as the printer multiplies its dots."""
    base_width = _cell_width(char, line) // line.width
    ink, paper = (255, 0) if line.reverse else (0, 255)
    cell = Image.new("L", (base_width, CELL_HEIGHT), paper)
    draw = ImageDraw.Draw(cell)
    draw.text(
        (base_width / 2, CELL_HEIGHT / 2),
        char,
        fill=ink,
        font=font,
        anchor="mm",
        stroke_width=1 if line.bold else 0,
        stroke_fill=ink,
    )
    if line.underline:
        draw.line([(0, CELL_HEIGHT - 1), (base_width, CELL_HEIGHT - 1)], fill=ink)
    # A thermal head has no grey: threshold the anti-aliased glyph into dots, then repeat each dot
    # (nearest neighbour) so a size-6 number shows the printer's blocks, not a blurred enlargement.
    dots = cell.point(lambda v: 0 if v < 128 else 255)
    return dots.resize((base_width * line.width, CELL_HEIGHT * line.height), Image.Resampling.NEAREST)


def _qr_image(item: Qr) -> Image.Image:
    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    # The printer draws no quiet zone of its own: the white paper around the symbol is the quiet zone.
    code = qrcode.QRCode(box_size=item.module_size, border=0, error_correction=levels[item.error_correction])
    code.add_data(item.payload)
    code.make(fit=True)
    return code.make_image().get_image().convert("L")


def _nv_logo_box(item: NvLogo, paper_px: int, font: ImageFont.FreeTypeFont) -> Image.Image:
    """The logo's pixels live in the printer, so the picture shows a labelled placeholder."""
    box = Image.new("L", (min(paper_px, 240), 96), 255)
    draw = ImageDraw.Draw(box)
    _dashed_line(draw, 0, box.width - 1, 0, 128)
    _dashed_line(draw, 0, box.width - 1, box.height - 1, 128)
    for top in range(0, box.height, 12):
        draw.line([(0, top), (0, top + 5)], fill=128)
        draw.line([(box.width - 1, top), (box.width - 1, top + 5)], fill=128)
    draw.text((box.width / 2, box.height / 2), f"NV logo {item.number}", fill=128, font=font, anchor="mm")
    return box


def _cut_strip(paper_px: int, font: ImageFont.FreeTypeFont, cut: str) -> Image.Image:
    strip = Image.new("L", (paper_px, CELL_HEIGHT), 255)
    draw = ImageDraw.Draw(strip)
    _dashed_line(draw, 0, paper_px, CELL_HEIGHT // 2, 128)
    label = f"{cut} cut"
    label_width = int(draw.textlength(label, font=font)) + 8
    draw.rectangle([(paper_px - label_width, 0), (paper_px, CELL_HEIGHT)], fill=255)
    draw.text((paper_px - 4, CELL_HEIGHT // 2), label, fill=128, font=font, anchor="rm")
    return strip


def _dashed_line(draw: ImageDraw.ImageDraw, left: int, right: int, top: int, fill: int) -> None:
    for x in range(left, right, 12):
        draw.line([(x, top), (min(x + 5, right), top)], fill=fill)


def _placed(image: Image.Image, paper_px: int, align: str) -> Image.Image:
    """A full-width strip of paper with ``image`` on it at the given justification."""
    strip = Image.new("L", (paper_px, image.height), 255)
    offsets = {"left": 0, "center": (paper_px - image.width) // 2, "right": paper_px - image.width}
    strip.paste(image.convert("L"), (max(0, offsets[align]), 0))
    return strip
