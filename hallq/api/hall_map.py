"""The hall's floor plan (the kiosk shows it with an item's windows lit): the config folder's
`map` file, or one a manager uploaded in the browser, which is kept with the hall in the
database so that every process and host shows the same plan. `hallq init` goes back to the file."""

from __future__ import annotations

import re
from pathlib import Path

from flask import request
from pydantic import BaseModel, Field

from queue_core import UnitOfWork
from queue_core.errors import Invalid
from queue_core.halls import windows_of
from queue_core.models import MANAGERS, Hall

from ..config_files import svg_problems
from ..state import current_hall, state
from . import bp, doc

MAX_MAP_BYTES = 2 * 2**20


class HallMapOut(BaseModel):
    source: str = Field(description="uploaded (in the browser), config (the config folder's file) or none")
    drawn: list[int] = Field(description='Windows the plan has a shape for (id="window-N")')
    missing: list[int] = Field(description="Windows of the hall the plan has no shape for")


def floor_plan(hall: Hall) -> bytes | None:
    """The plan the kiosks show: the uploaded one, else the config folder's file, else none."""
    if hall.map_svg is not None:
        return hall.map_svg.encode()
    name = state().spec.hall.map
    return (Path(state().settings.HALLQ_CONFIG) / name).read_bytes() if name else None


def map_out(uow: UnitOfWork, hall: Hall) -> HallMapOut:
    plan = floor_plan(hall)
    drawn = {int(n) for n in re.findall(rb'id="window-(\d+)"', plan or b"")}
    numbers = [w.number for w in windows_of(uow, hall.id)]
    source = "none" if plan is None else "uploaded" if hall.map_svg is not None else "config"
    return HallMapOut(
        source=source,
        drawn=[n for n in numbers if n in drawn],
        missing=[n for n in numbers if n not in drawn],
    )


@doc.operation(
    bp,
    "/hall/map",
    "PUT",
    summary="Replace the hall's floor plan (an SVG file as the multipart field 'file')",
    tag="administration",
    roles=MANAGERS,
    responses={
        200: ("The plan is the kiosks' now: which windows it draws", HallMapOut),
        422: ("Not a plain SVG, or a window shape names no window: `problems` lists each", None),
    },
)
def put_hall_map() -> HallMapOut:
    """A plain SVG (no scripts, event handlers or embedded documents: the kiosk inlines it)
    whose window shapes have id="window-N" for the hall's windows."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("send the floor plan as the multipart field 'file'")
    data = upload.stream.read(MAX_MAP_BYTES + 1)
    if len(data) > MAX_MAP_BYTES:
        raise Invalid(f"{upload.filename}: larger than {MAX_MAP_BYTES // 2**20} MB")
    with state().db.write() as uow:
        hall = current_hall(uow)
        problems = svg_problems(upload.filename, data, {w.number for w in windows_of(uow, hall.id)})
        try:
            text = data.decode()
        except UnicodeDecodeError:
            problems.append(f"{upload.filename}: not UTF-8 text")
        if problems:
            raise Invalid(f"{upload.filename}: not taken, {len(problems)} problem(s)", problems=problems)
        hall.map_svg = text
        return map_out(uow, hall)


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
        return map_out(uow, hall)
