"""QR codes as SVG, for the screens (the printer draws its own: printer_driver)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> bytes:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_data_url(text: str) -> str:
    """For an <img src> filled by a script from an API answer."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(text)).decode()
