"""What a hall PC's agent is told: its part of hall.toml, and the print jobs it claims."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from queue_core.models import PrintRecord


class AgentPrinterOut(BaseModel):
    name: str = Field(description='The kiosk\'s id, or "<kiosk> backup"')
    settings: dict[str, Any] = Field(description="url, mode, paper, encoding, nv_logo, cut")


class AgentKioskOut(BaseModel):
    kiosk: str
    printers: list[AgentPrinterOut] = Field(description="The kiosk's printers on this PC, in the order tried")


class AgentConfigOut(BaseModel):
    id: str
    name: str
    kiosks: list[AgentKioskOut]
    keypads: list[dict[str, Any]] = Field(
        description="The physical keypads on this PC (hall.toml's [[keypads]])"
    )
    led: dict[str, Any] | None = Field(
        description="The LED line on this PC (hall.toml's [led]), if it drives one"
    )


class ClaimOut(BaseModel):
    job_id: int
    kiosk: str
    printer: str = Field(
        description="The printer the job is for (the agent may fail over to the kiosk's next)"
    )
    label: str = Field(description='For people: "ticket A012"')
    reprint: bool = Field(description="Claimed before and never reported (the agent restarted): mark it 重打")
    abandoned: bool = Field(description="Too late to print: the citizen has gone; do not print it")


def claim_out(record: PrintRecord, *, reprint: bool, abandoned: bool) -> ClaimOut:
    return ClaimOut(
        job_id=record.id,
        kiosk=record.kiosk,
        printer=record.printer,
        label=str(record.document.get("label", f"print job {record.id}")),
        reprint=reprint,
        abandoned=abandoned,
    )
