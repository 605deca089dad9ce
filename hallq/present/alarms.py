"""Alarms (超时预警) as the API answers them: as the dashboard hears them over /hall."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from queue_core import alarms
from queue_core.models import Alarm, AlarmKind


class AlarmOut(BaseModel):
    id: int
    kind: AlarmKind  # every kind there is: the list cannot fall behind the model's
    subject: str = Field(
        description='What it is about: "ticket:123", "queue:A", "window:3", "printer:K1" ...'
    )
    incident: str = Field(
        description='The incident it belongs to: alarms of one kind about one queue or window ("queue:A", '
        '"window:3") are one, acknowledged together; other alarms are their own (their subject)'
    )
    label: str = Field(description="The subject for people: a number, a window's name, a printer")
    message: str = Field(description="The alarm in the hall's words (Chinese)")
    detail: dict[str, Any] = Field(description="Its figures: minutes, target, waiting, window, clerk ...")
    state: Literal["open", "acknowledged", "cleared"]
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(description="The name of the manager who acknowledged it")
    cleared_at: datetime | None


def alarm_out(alarm: Alarm) -> AlarmOut:
    return AlarmOut.model_validate(alarms.as_event(alarm).payload())
