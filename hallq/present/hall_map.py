"""The hall's floor plan (the kiosk shows it with an item's windows lit): the one a manager
uploaded, kept with the hall in the database, else the config folder's `map` file."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field

from queue_core import UnitOfWork
from queue_core.halls import windows_of
from queue_core.models import Hall


class HallMapOut(BaseModel):
    source: str = Field(description="uploaded (in the browser), config (the config folder's file) or none")
    drawn: list[int] = Field(description='Windows the plan has a shape for (id="window-N")')
    missing: list[int] = Field(description="Windows of the hall the plan has no shape for")


def floor_plan(hall: Hall, config_map: Path | None) -> bytes | None:
    """The plan the kiosks show: the uploaded one, else the config folder's file
    (`config_map`, hallq.state's HallqState.map_file), else none."""
    if hall.map_svg is not None:
        return hall.map_svg.encode()
    return config_map.read_bytes() if config_map else None


def map_out(uow: UnitOfWork, hall: Hall, config_map: Path | None) -> HallMapOut:
    plan = floor_plan(hall, config_map)
    drawn = {int(n) for n in re.findall(rb'id="window-(\d+)"', plan or b"")}
    numbers = [w.number for w in windows_of(uow, hall.id)]
    source = "none" if plan is None else "uploaded" if hall.map_svg is not None else "config"
    return HallMapOut(
        source=source,
        drawn=[n for n in numbers if n in drawn],
        missing=[n for n in numbers if n not in drawn],
    )
