"""The hall's devices (设备) as a manager sees them: hall.toml's kiosks, boards, keypads and
callers, their pages, their printers' state and their tokens (and people's tokens)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from flask import url_for
from pydantic import BaseModel, Field
from sqlalchemy import select

from queue_core import UnitOfWork
from queue_core.models import AgentState, ApiToken, Hall
from queue_core.printing import agents
from queue_core.spec import HallSpec

from .tickets import PrintOut


class PrinterOut(BaseModel):
    name: str = Field(description='The kiosk\'s id, or "<kiosk> backup"')
    kiosk: str
    agent: str | None = Field(description="The hall PC whose agent drives it; none: the server itself")
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


class AgentOut(BaseModel):
    online: bool
    since: datetime = Field(description="Online, or offline, since then")
    version: str
    address: str = Field(description="Where it connected from")
    last_job_id: int | None
    last_job_at: datetime | None
    devices: list[str] = Field(
        description='What hall.toml places on it: "printer:K1", "printer:K1 backup", "keypad:KP3", "led"'
    )


class DeviceOut(BaseModel):
    id: str
    kind: str = Field(description="agent, kiosk, board, keypad or caller")
    name: str = Field(description="The kiosk's name, or the board's kind")
    window: int | None
    page: str | None = Field(description="The page the device shows, where it has one")
    printers: list[PrinterBrief]
    tokens: list[TokenOut] = Field(description="Its tokens, newest first, revoked ones too")
    agent: AgentOut | None = Field(None, description="An agent's state, as the server last heard it")


def tokens_of(uow: UnitOfWork, hall: Hall, **owner: object) -> list[TokenOut]:
    rows = uow.session.scalars(
        select(ApiToken).filter_by(hall_id=hall.id, **owner).order_by(ApiToken.id.desc())
    )
    return [TokenOut(id=t.id, created_at=t.created_at, revoked_at=t.revoked_at) for t in rows]


def devices(
    uow: UnitOfWork, hall: Hall, spec: HallSpec, kiosk_printers: Mapping[str, Sequence[Any]]
) -> list[DeviceOut]:
    """kiosk_printers: each kiosk's printers and their state now (hallq.printing's
    PrintService.views: name, settings, status, error)."""
    found = []
    states = agents(uow, hall)
    for kind, declared in (
        ("agent", spec.agents),
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
                    agent=_agent_out(states.get(device.id), spec, device.id) if kind == "agent" else None,
                )
            )
    return found


def _agent_out(found: AgentState | None, spec: HallSpec, agent: str) -> AgentOut | None:
    if found is None:
        return None
    placed = [
        *(f"printer:{k.id}" for k in spec.kiosks if k.printer and k.printer.agent == agent),
        *(
            f"printer:{k.id} backup"
            for k in spec.kiosks
            if k.backup_printer and k.backup_printer.agent == agent
        ),
        *(f"keypad:{k.id}" for k in spec.keypads if k.agent == agent),
        *(["led"] if spec.led and spec.led.agent == agent else []),
    ]
    return AgentOut(
        online=found.online,
        since=found.since,
        version=found.version,
        address=found.address,
        last_job_id=found.last_job_id,
        last_job_at=found.last_job_at,
        devices=placed,
    )


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
