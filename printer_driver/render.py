"""Turning laid-out lines into printer bytes, in one of two modes behind one interface:

- text mode: the printer's own font. Chinese goes inside FS & … FS . in the printer's encoding,
  line by line; python-escpos's text() is not used for it (it only sends GB18030 by accident,
  and prints "?" for a line of punctuation). A line the encoding cannot carry is reported and
  printed as a picture instead.
- image mode: the whole document drawn by Pillow with a CJK font, sent as raster images.

python-escpos's Dummy printer collects the bytes, so its commands (character size, QR, raster
image, cut) come from the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from .fonts import FontMissing, find_cjk_font, font_at
from .layout import Element, Feed, Line, Logo, QrCode, Rule, char_columns
from .settings import PrinterSettings

FS_CHINESE_ON, FS_CHINESE_OFF = b"\x1c&", b"\x1c."
CELL = 12  # dots per column: font A is 12 x 24
LINE_DOTS = 30  # the printer's default line spacing (ESC 2), in dots
QR_MODULE = {58: 6, 80: 8}  # dots per QR module: a phone reads it from a hand's length
CUT_FEED_LINES = 4  # paper between the last line and the cutter


@dataclass
class Rendered:
    data: bytes
    problems: list[str] = field(default_factory=list)  # what could not be printed as asked


class Renderer:
    def __init__(
        self, settings: PrinterSettings, *, logo: Path | None = None, font: str | None = None
    ) -> None:
        self.settings = settings
        self.logo = logo
        self.font_path = font

    def render(self, elements: list[Element]) -> Rendered:
        out = escpos_buffer(self.settings.dots)
        out.hw("INIT")
        problems: list[str] = []
        self._body(out, elements, problems)
        if self.settings.cut != "none":
            out._raw(b"\x1bd" + bytes([CUT_FEED_LINES]))
            out._raw(b"\x1dV\x01" if self.settings.cut == "partial" else b"\x1dV\x00")
        return Rendered(bytes(out.output), problems)

    def _body(self, out: Dummy, elements: list[Element], problems: list[str]) -> None:
        raise NotImplementedError

    @property
    def font(self) -> Path:
        return find_cjk_font(self.font_path)


class TextRenderer(Renderer):
    def _body(self, out: Dummy, elements: list[Element], problems: list[str]) -> None:
        style: tuple[int, bool, str] | None = None
        for element in elements:
            if isinstance(element, Line | Rule):
                line = element if isinstance(element, Line) else Line("-" * self.settings.columns)
                wanted = (line.size, line.bold, line.align)
                if wanted != style:  # only what changes: every byte counts at 9600 baud
                    out.set(
                        align=line.align, bold=line.bold, custom_size=True, width=line.size, height=line.size
                    )
                    style = wanted
                out._raw(self._line_bytes(line, problems))
            elif isinstance(element, QrCode):
                out.set(align=element.align)
                style = None
                out._raw(b"\n")  # a phone needs white around the code: a line above it
                out.qr(element.data, native=True, size=QR_MODULE[self.settings.paper], ec=QR_ECLEVEL_M)
                out._raw(b"\n")
            elif isinstance(element, Logo):
                if self.settings.nv_logo is not None:
                    out.set(align="center")
                    style = None
                    out._raw(b"\x1cp" + bytes([self.settings.nv_logo, 0]))
            elif isinstance(element, Feed):
                out._raw(b"\x1bd" + bytes([element.lines]))

    def _line_bytes(self, line: Line, problems: list[str]) -> bytes:
        if line.text.isascii():
            return line.text.encode("ascii") + b"\n"
        encoding = self.settings.encoding
        try:
            return FS_CHINESE_ON + line.text.encode(encoding) + FS_CHINESE_OFF + b"\n"
        except UnicodeEncodeError:
            missing = "".join(dict.fromkeys(c for c in line.text if not _encodable(c, encoding)))
            try:
                font = self.font
            except FontMissing as exc:
                problems.append(f'"{missing}" cannot be printed in {encoding}: printed as "?" ({exc})')
                return FS_CHINESE_ON + line.text.encode(encoding, "replace") + FS_CHINESE_OFF + b"\n"
            problems.append(
                f'"{missing}" cannot be printed in {encoding}: the line "{line.text}" went as a picture'
            )
            picture = escpos_buffer(self.settings.dots)
            picture.image(draw_lines([line], self.settings.dots, font), impl="bitImageRaster")
            return bytes(picture.output)


class ImageRenderer(Renderer):
    def _body(self, out: Dummy, elements: list[Element], problems: list[str]) -> None:
        canvas = draw_document(elements, self.settings, self.font, self.logo)
        out.image(canvas, impl="bitImageRaster")


def escpos_buffer(dots: int) -> Dummy:
    """python-escpos's in-memory printer, told the paper's width in dots (its default profile
    does not know it, and complains on every image)."""
    buffer = Dummy()
    media = {"width": {"pixels": dots, "mm": "Unknown"}, "dpi": 203}
    buffer.profile.profile_data = {**buffer.profile.profile_data, "media": media}
    return buffer


def renderer_for(settings: PrinterSettings, *, logo: Path | None = None, font: str | None = None) -> Renderer:
    kind = TextRenderer if settings.mode == "text" else ImageRenderer
    return kind(settings, logo=logo, font=font)


def draw_document(
    elements: list[Element], settings: PrinterSettings, font: Path, logo: Path | None
) -> Image.Image:
    """The document as the paper will show it, one bit per dot."""
    width = settings.dots
    parts: list[Image.Image] = []
    lines: list[Line] = []

    def flush_lines() -> None:
        if lines:
            parts.append(draw_lines(lines, width, font))
            lines.clear()

    for element in elements:
        if isinstance(element, Line):
            lines.append(element)
        elif isinstance(element, Rule):
            lines.append(Line("-" * settings.columns))
        elif isinstance(element, Feed):
            lines.extend(Line("") for _ in range(element.lines))
        else:
            flush_lines()
            if isinstance(element, QrCode):
                parts.append(
                    _aligned(_qr_image(element.data, QR_MODULE[settings.paper]), width, element.align)
                )
            elif logo is not None:
                parts.append(_aligned(_logo_image(logo, width), width, "center"))
    flush_lines()
    canvas = Image.new("1", (width, sum(p.height for p in parts) or 1), 1)
    top = 0
    for part in parts:
        canvas.paste(part, (0, top))
        top += part.height
    return canvas


def draw_lines(lines: list[Line], width: int, font: Path) -> Image.Image:
    """Lines drawn in printer cells: a Chinese character fills a 24-dot square, a Latin one
    half of it, scaled by the line's size, so image mode breaks and aligns like text mode."""
    height = sum(LINE_DOTS * line.size for line in lines)
    canvas = Image.new("L", (width, max(height, 1)), 255)
    pen = ImageDraw.Draw(canvas)
    top = 0
    for line in lines:
        cell = CELL * line.size
        glyphs = font_at(font, 2 * cell - line.size * 2)  # a little inside the cell, as printer fonts are
        used = sum(char_columns(c) for c in line.text) * cell
        x = {"left": 0, "center": (width - used) // 2, "right": width - used}[line.align]
        for char in line.text:
            span = char_columns(char) * cell
            pen.text(
                (x + span / 2, top + LINE_DOTS * line.size / 2),
                char,
                font=glyphs,
                fill=0,
                anchor="mm",
                stroke_width=max(line.size // 2, 1) if line.bold else 0,
                stroke_fill=0,
            )
            x += span
        top += LINE_DOTS * line.size
    return canvas.point(lambda v: 0 if v < 128 else 255, mode="1")


def _qr_image(data: str, module: int) -> Image.Image:
    import qrcode

    code = qrcode.QRCode(box_size=module, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().get_image().convert("1")


def _logo_image(path: Path, width: int) -> Image.Image:
    with Image.open(path) as file:
        picture = file.convert("L")
        if picture.width > width:
            picture = picture.resize((width, picture.height * width // picture.width))
        return picture.point(lambda v: 0 if v < 128 else 255, mode="1")


def _aligned(part: Image.Image, width: int, align: str) -> Image.Image:
    row = Image.new("1", (width, part.height), 1)
    x = {"left": 0, "center": (width - part.width) // 2, "right": width - part.width}[align]
    row.paste(part, (max(x, 0), 0))
    return row


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
