"""Clerks' photos for the window boards: a hall puts `<badge>.jpg` (or .png, .webp) in the
`photos` folder of its config; a clerk without one is shown by name and badge only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import abort, send_file

from hallq.state import state

from . import bp

PHOTO_TYPES = (".jpg", ".jpeg", ".png", ".webp")
BADGE = re.compile(r"^[A-Za-z0-9_-]{1,20}$")


def photo_path(badge: str) -> Path | None:
    if not BADGE.match(badge):
        return None
    folder = Path(state().settings.HALLQ_CONFIG) / "photos"
    return next((folder / f"{badge}{t}" for t in PHOTO_TYPES if (folder / f"{badge}{t}").is_file()), None)


@bp.get("/photo/<badge>")
def clerk_photo(badge: str) -> Any:
    path = photo_path(badge)
    if path is None:
        abort(404, f"no photo for badge {badge}")
    return send_file(path, max_age=300)
