"""The CJK font that image mode draws with."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

# Debian's fonts-wqy-microhei first (the project's setup installs it), then other common CJK fonts.
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class FontMissing(LookupError):
    pass


def find_cjk_font(explicit: str | None = None) -> Path:
    candidates = (explicit,) if explicit else CJK_FONTS
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if explicit:
        raise FontMissing(f"font {explicit} is not a file")
    raise FontMissing("image mode needs a CJK font: install Debian's fonts-wqy-microhei (./dev setup does)")


@cache
def font_at(path: Path, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), pixels)
