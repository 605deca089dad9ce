"""Notices a manager posts to the hall boards (信息发布): shown from posting until they
expire or are withdrawn, beside the standing notices of hall.toml."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from .errors import InvalidState, NotFound
from .events import NoticeChanged
from .models import Hall, HallNotice

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def post(
    uow: UnitOfWork, hall: Hall, title: str, text: str, minutes: int | None, staff_id: int | None
) -> HallNotice:
    now = uow.now()
    notice = HallNotice(
        hall_id=hall.id,
        title=title,
        text=text,
        posted_at=now,
        posted_by=staff_id,
        until=now + timedelta(minutes=minutes) if minutes else None,
    )
    uow.session.add(notice)
    uow.session.flush()
    uow.record(as_event(notice))
    return notice


def withdraw(uow: UnitOfWork, hall: Hall, notice_id: int) -> HallNotice:
    notice = uow.session.get(HallNotice, notice_id)
    if notice is None or notice.hall_id != hall.id:
        raise NotFound(f"no notice {notice_id}")
    if notice.withdrawn_at is not None:
        raise InvalidState(f"notice {notice_id} was already withdrawn")
    notice.withdrawn_at = uow.now()
    uow.record(as_event(notice))
    return notice


def active(uow: UnitOfWork, hall: Hall) -> list[HallNotice]:
    """Posted, not withdrawn and not expired; newest first."""
    return list(
        uow.session.scalars(
            select(HallNotice)
            .where(HallNotice.hall_id == hall.id, HallNotice.withdrawn_at.is_(None))
            .where(or_(HallNotice.until.is_(None), HallNotice.until > uow.now()))
            .order_by(HallNotice.posted_at.desc(), HallNotice.id.desc())
        )
    )


def as_event(notice: HallNotice) -> NoticeChanged:
    """The notice as boards hear of it (also in the state a board gets on connecting)."""
    return NoticeChanged(
        hall_id=notice.hall_id,
        id=notice.id,
        title=notice.title,
        text=notice.text,
        until=notice.until,
        withdrawn=notice.withdrawn_at is not None,
    )
