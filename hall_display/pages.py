"""The boards' pages: /board/window/<n> over each window and /board/hall in the hall. They
are public, show everything from the /hall namespace (the state in the subscription's
acknowledgement, then its events) and never fetch anything else."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, url_for
from flask_babel import get_locale

from hallq.state import current_hall, state
from queue_core.errors import NotFound
from queue_core.halls import queues_of, window_by_number, windows_of

from . import bp
from .strings import strings_for


def _setup(subscribe: dict[str, Any], **more: Any) -> dict[str, Any]:
    locale = str(get_locale())
    return {
        "subscribe": subscribe,
        "lang": "zh" if locale.startswith("zh") else "en",
        "strings": strings_for(locale),
        **more,
    }


@bp.get("/window/<int:number>")
def window_board(number: int) -> Any:
    with state().db.read() as uow:
        try:
            window = window_by_number(uow, current_hall(uow).id, number)
        except NotFound as exc:
            abort(404, exc.message)
    photo_base = url_for("hall_display.clerk_photo", badge="-").removesuffix("-")
    setup = _setup(
        {"window": number},
        window=number,
        windowName=window.name,
        windowNameEn=window.name_en,
        photoBase=photo_base,
    )
    return render_template("hall_display/window_board.html", setup=setup, window=window)


@bp.get("/hall")
def hall_board() -> Any:
    with state().db.read() as uow:
        hall = current_hall(uow)
        queue_names = {q.code: q.name_en for q in queues_of(uow, hall.id) if q.name_en}
        window_names = {w.number: w.name_en for w in windows_of(uow, hall.id) if w.name_en}
    setup = _setup(
        {"board": "hall"}, queueNamesEn=queue_names, windowNamesEn=window_names, timezone=hall.timezone
    )
    return render_template("hall_display/hall_board.html", setup=setup, hall_name=hall.name)
