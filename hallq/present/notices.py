"""Notices on the hall boards (信息发布) as the API answers them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from queue_core.models import HallNotice


class HallNoticeOut(BaseModel):
    id: int | None = Field(description="None for the hall's standing notices of hall.toml")
    title: str
    text: str
    until: datetime | None


def notice_out(notice: HallNotice) -> HallNoticeOut:
    return HallNoticeOut(id=notice.id, title=notice.title, text=notice.text, until=notice.until)
