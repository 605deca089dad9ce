"""The hall's devices (设备) as a manager sees them: hall.toml's kiosks, boards, keypads and
callers, their pages, their printers' state and their tokens (and people's tokens)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from flask import url_for
from pydantic import BaseModel, Field
from sqlalchemy import select

from printer_driver import Printer
from queue_core import UnitOfWork
from queue_core.models import ApiToken, Hall
from queue_core.spec import HallSpec

from .tickets import PrintOut


class PrinterOut(BaseModel):
    name: str = Field(description='The kiosk\'s id, or "<kiosk> backup"')
    kiosk: str
    url: str
    mode: Literal["text", "image"]
    paper: int
    status: Literal["online", "paper_low", "paper_out", "cover_open", "offline", "unknown"]
    alarm: bool = Field(description="Needs a person: paper low or out, cover open, offline")
    error: str | None
    last_job: PrintOut | None


class TokenOut(BaseModel):
    id: int
    created_at: datetime
    revoked_at: datetime | None


class IssuedToken(BaseModel):
    id: int
    token: str = Field(description="Shown this once: only its SHA-256 is kept")
    url: str | None = Field(description="The device's page with the token, to open once on the device")


class PrinterBrief(BaseModel):
    name: str
    url: str
    status: str = Field(description="online, paper_low, paper_out, cover_open, offline or unknown")
    error: str | None


class DeviceOut(BaseModel):
    id: str
    kind: str = Field(description="kiosk, board, keypad or caller")
    name: str = Field(description="The kiosk's name, or the board's kind")
    window: int | None
    page: str | None = Field(description="The page the device shows, where it has one")
    printers: list[PrinterBrief]
    tokens: list[TokenOut] = Field(description="Its tokens, newest first, revoked ones too")


def tokens_of(uow: UnitOfWork, hall: Hall, **owner: object) -> list[TokenOut]:
    rows = uow.session.scalars(
        select(ApiToken).filter_by(hall_id=hall.id, **owner).order_by(ApiToken.id.desc())
    )
    return [TokenOut(id=t.id, created_at=t.created_at, revoked_at=t.revoked_at) for t in rows]


def devices(
    uow: UnitOfWork, hall: Hall, spec: HallSpec, kiosk_printers: Mapping[str, Sequence[Printer]]
) -> list[DeviceOut]:
    """kiosk_printers: each kiosk's printers as the print service watches them
    (hallq.printing's PrintService.kiosk_printers)."""
    found = []
    for kind, declared in (
        ("kiosk", spec.kiosks),
        ("board", spec.boards),
        ("keypad", spec.keypads),
        ("caller", spec.callers),
    ):
        for device in declared:
            printers = kiosk_printers.get(device.id, []) if kind == "kiosk" else []
            found.append(
                DeviceOut(
                    id=device.id,
                    kind=kind,
                    name=getattr(device, "name", "") or getattr(device, "kind", ""),
                    window=getattr(device, "window", None),
                    page=device_page(kind, device),
                    printers=[
                        PrinterBrief(name=p.name, url=p.settings.url, status=p.status, error=p.error)
                        for p in printers
                    ],
                    tokens=tokens_of(uow, hall, device_id=device.id, staff_id=None),
                )
            )
    return found


def device_page(kind: str, device: Any, **query: str) -> str | None:
    """The page a device shows: a kiosk's and a keypad's need their token once (they keep
    it); a board's needs none; a caller has no page."""
    if kind == "kiosk":
        return url_for("kiosk.kiosk", kiosk_id=device.id, _external=True, **query)
    if kind == "keypad":
        return url_for("evaluation.keypad", number=device.window, _external=True, **query)
    if kind == "board" and not query:
        if device.kind == "window":
            return url_for("hall_display.window_board", number=device.window, _external=True)
        return url_for("hall_display.hall_board", _external=True)
    return None
