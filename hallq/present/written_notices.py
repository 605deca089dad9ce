"""A window's written notices as the panel, the citizen's phone page and the print job see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from queue_core.models import WrittenNotice, WrittenNoticeKind
from queue_core.written_notices import TITLES, notice_number

from .tickets import PrintOut


class WrittenNoticeOut(BaseModel):
    id: int
    kind: Literal["missing_materials", "refusal", "acceptance"]
    title: str = Field(description="一次性告知书, 不予受理告知书 or 受理通知单")
    number: str = Field(description="Its number in its kind's sequence of the year: 告知〔2026〕第 0001 号")
    ticket_number: str
    item_name: str
    materials: list[str] = Field(description="The missing materials ticked (一次性告知书)")
    reason: str = Field(description="Why it was not accepted (不予受理告知书)")
    completion_date: date | None = Field(description="The promised completion date (受理通知单)")
    window: int
    clerk_name: str
    clerk_badge: str
    issued_at: datetime
    print: PrintOut | None = Field(None, description="Its print job; none when the window names no printer")


def written_notice_out(
    notice: WrittenNotice, ticket_number: str, job: PrintOut | None = None
) -> WrittenNoticeOut:
    return WrittenNoticeOut(
        id=notice.id,
        kind=notice.kind,
        title=TITLES[WrittenNoticeKind(notice.kind)],
        number=notice_number(notice),
        ticket_number=ticket_number,
        item_name=notice.item_name,
        materials=notice.materials,
        reason=notice.reason,
        completion_date=notice.completion_date,
        window=notice.window_number,
        clerk_name=notice.clerk_name,
        clerk_badge=notice.clerk_badge,
        issued_at=notice.issued_at,
        print=job,
    )
