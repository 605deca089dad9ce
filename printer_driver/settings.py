"""How one printer is set up, as written in hall.toml: a URL alone, or a table.

printer = "serial:///dev/ttyUSB0?baudrate=9600"
printer = { url = "usb://0x0416:0x5011", mode = "image", paper = 80 }
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .address import PrinterAddress, parse_printer_url

ENCODINGS = ("gb18030", "gbk", "big5", "utf-8")
PAPER_DOTS = {58: 384, 80: 576}  # printable dots per line at 203 dpi


class PrinterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # text: the printer's own Chinese font (FS &, then the encoding below); small and fast.
    # image: the whole ticket drawn by Pillow with a CJK font; for printers without one.
    mode: Literal["text", "image"] = "text"
    paper: Literal[58, 80] = 58
    encoding: Literal["gb18030", "gbk", "big5", "utf-8"] = "gb18030"
    # The logo stored in the printer's NV memory (FS p n), printed in text mode; none by default.
    nv_logo: int | None = Field(None, ge=1, le=255)
    cut: Literal["partial", "full", "none"] = "partial"

    @model_validator(mode="before")
    @classmethod
    def _from_url(cls, value: object) -> object:
        return {"url": value} if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parse_printer_url(value)
        return value

    @property
    def address(self) -> PrinterAddress:
        return parse_printer_url(self.url)

    @property
    def dots(self) -> int:
        return PAPER_DOTS[self.paper]

    @property
    def columns(self) -> int:
        """Half-width characters per line in font A (12 dots wide)."""
        return self.dots // 12
