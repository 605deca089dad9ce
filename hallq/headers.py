"""The browser's own defences, on every response: a Content Security Policy that runs only the
hall's own scripts and styles and talks only to its own server, no MIME sniffing, no referrer
to other sites, no framing, and HSTS where the hall is served over HTTPS.

The pages are made for it: no inline script (a page's data is a <script type="application/json">,
which is never run) and no inline style. The floor plan (/kiosk/map.svg) is an image with a
stricter policy of its own: kiosk/views.py."""

from __future__ import annotations

from flask import Flask, Response, request

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # QR codes drawn for a page as data: URLs
        "font-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",  # the API and the /hall WebSocket, on the same origin
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000"


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(_secure)
