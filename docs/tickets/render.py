"""Draw the committed pictures of the printed ticket and one-time notice (docs/tickets/*.png).

    .venv/bin/python docs/tickets/render.py

Every picture comes from the bytes the driver would send, read back by the test suite's
independent ESC/POS decoder (tests/printer/escpos_decode.py), so a picture shows what the
printer is told, not what the driver meant:

- text mode: the decoder's simulated printout of the text-mode job (printer font, native QR);
- image mode: the raster images found in the image-mode job, dot for dot.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the driver and the test tools live here

from printer_driver import PrinterSettings, lay_out, load_layout  # noqa: E402
from printer_driver.render import draw_document  # noqa: E402
from tests.printer.documents import NOTICE, TICKET, render  # noqa: E402
from tests.printer.escpos_decode import Line, Raster, decode, to_picture  # noqa: E402

HERE = Path(__file__).resolve().parent
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
PAPER_PX = {58: 384, 80: 576}
MARGIN = 12
BACKGROUND = 0xD0  # light grey around the paper, so white paper shows on a white page


def text_picture(kind: str, paper: int, fields: dict | None = None) -> Image.Image:
    settings = PrinterSettings(url="dummy:", mode="text", paper=paper)
    rendered = render(kind, settings, fields)
    if rendered.problems:
        raise SystemExit(f"{kind} text {paper}: {rendered.problems}")
    return to_picture(decode(rendered.data), PAPER_PX[paper], FONT)


def image_picture(kind: str, paper: int) -> Image.Image:
    settings = PrinterSettings(url="dummy:", mode="image", paper=paper)
    decoded = decode(render(kind, settings).data)
    if any(isinstance(item, Line) for item in decoded.items):
        raise SystemExit(f"{kind} image {paper}: the image-mode job carries text lines")
    rasters = [item for item in decoded.items if isinstance(item, Raster)]
    if not rasters or any(r.width != PAPER_PX[paper] or r.mode for r in rasters):
        raise SystemExit(f"{kind} image {paper}: rasters {[(r.width, r.mode) for r in rasters]}")
    # python-escpos sends a tall picture in several GS v 0 slices: stack them as the paper does.
    picture = Image.new("1", (PAPER_PX[paper], sum(r.height for r in rasters)), 1)
    top = 0
    for raster in rasters:
        picture.paste(raster.to_image(), (0, top))
        top += raster.height
    # The bytes must carry exactly the driver's drawing: a difference is a bug in one of them.
    elements = lay_out(load_layout().blocks(kind), TICKET if kind == "ticket" else NOTICE, settings.columns)
    drawn = draw_document(elements, settings, Path(FONT), logo=None)
    if picture.tobytes() != drawn.tobytes():
        raise SystemExit(f"{kind} image {paper}: the decoded raster differs from draw_document's")
    return picture


def framed(paper: Image.Image) -> Image.Image:
    """The paper on a grey page with a margin; greyscale keeps the PNG small."""
    paper = paper.convert("L")
    page = Image.new("L", (paper.width + 2 * MARGIN, paper.height + 2 * MARGIN), BACKGROUND)
    page.paste(paper, (MARGIN, MARGIN))
    return page


def save(picture: Image.Image, name: str) -> None:
    path = HERE / name
    framed(picture).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}  {picture.width}x{picture.height}  {path.stat().st_size // 1024} KB")


def main() -> None:
    for kind in ("ticket", "notice"):
        for paper in (58, 80):
            save(text_picture(kind, paper), f"{kind}-text-{paper}.png")
            save(image_picture(kind, paper), f"{kind}-image-{paper}.png")
    marked = {**TICKET, "reprint": "重打", "priority": "老年人优先"}
    save(text_picture("ticket", 58, marked), "ticket-text-58-reprint.png")


if __name__ == "__main__":
    main()
