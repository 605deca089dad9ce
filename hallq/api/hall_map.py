"""The hall's floor plan (the kiosk shows it with an item's windows lit): the config folder's
`map` file, or one a manager uploaded in the browser, which is kept with the hall in the
database so that every process and host shows the same plan. `hallq init` goes back to the file."""

from __future__ import annotations

from flask import request
from flask_babel import gettext

from queue_core.errors import Invalid
from queue_core.halls import windows_of
from queue_core.models import MANAGERS

from ..config_files import PLAN_REMOVAL_REASONS, svg_problems
from ..present.hall_map import HallMapOut, map_out
from ..state import current_hall, state
from . import bp, doc

MAX_MAP_BYTES = 2 * 2**20


@doc.operation(
    bp,
    "/hall/map",
    "PUT",
    summary="Replace the hall's floor plan (an SVG file as the multipart field 'file')",
    tag="administration",
    roles=MANAGERS,
    responses={
        200: ("The plan is the kiosks' now: which windows it draws", HallMapOut),
        422: ("Not an SVG drawing, or a window shape names no window: `problems` lists each", None),
    },
)
def put_hall_map() -> HallMapOut:
    """An SVG whose window shapes have id="window-N" for the hall's windows. It is kept as sent;
    the kiosks show it without scripts, event handlers, styles, links out and anything else not
    on hallq.present.svg_sanitiser's lists, and `removed` names what that leaves out."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("send the floor plan as the multipart field 'file'")
    data = upload.stream.read(MAX_MAP_BYTES + 1)
    if len(data) > MAX_MAP_BYTES:
        raise Invalid(f"{upload.filename}: larger than {MAX_MAP_BYTES // 2**20} MB")
    with state().db.write() as uow:
        hall = current_hall(uow)
        windows = {w.number for w in windows_of(uow, hall.id)}
        problems = svg_problems(upload.filename, data, windows, translate=gettext)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            problems.append(gettext("%(name)s: not UTF-8 text", name=upload.filename))
        if problems:
            raise Invalid(f"{upload.filename}: not taken, {len(problems)} problem(s)", problems=problems)
        hall.map_svg = text
        return map_out(uow, hall, state().map_file, PLAN_REMOVAL_REASONS)


@doc.operation(
    bp,
    "/hall/map",
    "DELETE",
    summary="Go back to the config folder's floor plan",
    tag="administration",
    roles=MANAGERS,
    responses={200: ("The plan the kiosks show now", HallMapOut)},
)
def delete_hall_map() -> HallMapOut:
    with state().db.write() as uow:
        hall = current_hall(uow)
        hall.map_svg = None
        return map_out(uow, hall, state().map_file, PLAN_REMOVAL_REASONS)
