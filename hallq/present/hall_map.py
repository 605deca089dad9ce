"""The hall's floor plan (the kiosk shows it with an item's windows lit): the one a manager
uploaded, kept with the hall in the database as sent, else the config folder's `map` file. Either
is shown only as hallq.present.svg_sanitiser rebuilds it, and the page says what that left out."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree as ET

from pydantic import BaseModel, Field

from queue_core import UnitOfWork
from queue_core.halls import windows_of
from queue_core.models import Hall

from .svg_sanitiser import CleanPlan, PlanRefused, sanitise

WINDOW_ID = re.compile(r"window-(\d+)")


class RemovalOut(BaseModel):
    what: str = Field(description="The element, attribute or style left out, e.g. <script> or <rect onclick>")
    count: int = Field(description="How many times the plan has it")
    reason: str = Field(description="Why it is not shown")


class HallMapOut(BaseModel):
    source: str = Field(description="uploaded (in the browser), config (the config folder's file) or none")
    drawn: list[int] = Field(description='Windows the plan has a shape for (id="window-N")')
    missing: list[int] = Field(description="Windows of the hall the plan has no shape for")
    removed: list[RemovalOut] = Field(
        description="What the kiosks leave out of the plan, as unsafe or unknown"
    )


def floor_plan(hall: Hall, config_map: Path | None) -> bytes | None:
    """The plan as sent: the uploaded one, else the config folder's file (`config_map`,
    hallq.state's HallqState.map_file), else none."""
    if hall.map_svg is not None:
        return hall.map_svg.encode()
    return config_map.read_bytes() if config_map else None


def clean_floor_plan(hall: Hall, config_map: Path | None) -> CleanPlan | None:
    """The plan the kiosks show; None when there is none or it is no drawing (a config file
    broken since `hallq check-config` passed it)."""
    plan = floor_plan(hall, config_map)
    try:
        return None if plan is None else sanitise(plan)
    except PlanRefused:
        return None


def drawn_windows(plan: CleanPlan) -> set[int]:
    return {int(m[1]) for ident in plan.ids if (m := WINDOW_ID.fullmatch(ident))}


def drawn_kiosks(plan: CleanPlan) -> set[str]:
    """The kiosks the plan has a shape for (id="kiosk-K1"): where a guide finds them."""
    return {ident.removeprefix("kiosk-") for ident in plan.ids if ident.startswith("kiosk-")}


def lit_plan(plan: CleanPlan, lit: Iterable[int], style: str, kiosks: Iterable[str] = ()) -> bytes:
    """The plan drawn with the kiosk's own stylesheet and these windows' (and kiosks') shapes
    in class "lit" (those it has no shape for change nothing)."""
    windows = frozenset(lit) & frozenset(drawn_windows(plan))
    return _drawn_lit(plan, windows, frozenset(f"kiosk-{k}" for k in kiosks) & plan.ids, style)


# The kiosks ask for the same few drawings over and over (one per item's set of windows), and
# a plan near the upload limit takes half a second to draw: each set is drawn once.
@lru_cache(maxsize=64)
def _drawn_lit(plan: CleanPlan, windows: frozenset[int], kiosks: frozenset[str], style: str) -> bytes:
    root = copy.deepcopy(plan.root)
    sheet = ET.Element("style")
    sheet.text = style
    root.insert(0, sheet)
    for element in root.iter():
        ident = element.get("id", "")
        if ((m := WINDOW_ID.fullmatch(ident)) and int(m[1]) in windows) or ident in kiosks:
            element.set("class", f"{element.get('class', '')} lit".strip())
    return plan.serialised(root)


def map_out(uow: UnitOfWork, hall: Hall, config_map: Path | None, reasons: Mapping[str, str]) -> HallMapOut:
    """`reasons`: why each kind of thing was left out (hallq.config_files.PLAN_REMOVAL_REASONS)."""
    plan = clean_floor_plan(hall, config_map)
    drawn = drawn_windows(plan) if plan else set()
    numbers = [w.number for w in windows_of(uow, hall.id)]
    source = "none" if plan is None else "uploaded" if hall.map_svg is not None else "config"
    return HallMapOut(
        source=source,
        drawn=[n for n in numbers if n in drawn],
        missing=[n for n in numbers if n not in drawn],
        removed=[RemovalOut(what=r.what, count=r.count, reason=reasons[r.kind]) for r in plan.removed]
        if plan
        else [],
    )
