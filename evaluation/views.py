"""The window's evaluation keypad, /keypad/<n>: a small touch tablet facing the citizen.

It is opened once as /keypad/<n>?token=<the keypad's device token> (the page keeps the token
and takes it out of the address bar), follows the /hall namespace for its window and keypad,
and rates over the API with that token. Everything it shows comes from the subscription's
acknowledgement and its events: `evaluation_request` wakes it, `evaluation_closed` puts it
back to sleep."""

from __future__ import annotations

import time
from typing import Any

from flask import abort, render_template, url_for
from flask_babel import get_locale

from hallq.present import API_PREFIX
from hallq.state import current_hall, state
from queue_core.errors import NotFound
from queue_core.halls import window_by_number

from . import bp
from .strings import keypad_strings_for


@bp.get("/keypad/<int:number>")
def keypad(number: int) -> Any:
    spec = state().spec
    with state().db.read() as uow:
        try:
            window = window_by_number(uow, current_hall(uow).id, number)
        except NotFound as exc:
            abort(404, exc.message)
    if not any(k.window == number for k in spec.keypads):
        abort(404, f"hall.toml declares no keypad at window {number}")
    locale = str(get_locale())
    setup = {
        "window": number,
        "windowName": window.name,
        "lang": "zh" if locale.startswith("zh") else "en",
        "strings": keypad_strings_for(locale),
        "reasons": spec.evaluation.reasons,
        "keypadSeconds": spec.evaluation.keypad_seconds,
        # The server's clock when the page was made: the countdown runs on the server's time
        # even when the tablet's own clock is off.
        "serverNow": int(time.time() * 1000),
        "api": API_PREFIX,
        "photoBase": url_for("hall_display.clerk_photo", badge="-").removesuffix("-"),
    }
    return render_template("evaluation/keypad.html", setup=setup, window=window)
