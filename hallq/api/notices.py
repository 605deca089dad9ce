"""Notices on the hall boards (信息发布): the hall's standing ones and those a manager posts."""

from __future__ import annotations

from flask_login import current_user

from queue_core import notices
from queue_core.models import Role

from ..present.notices import HallNoticeOut, notice_out
from ..state import current_hall, state
from . import bp, doc
from .schemas import HallNoticeRequest

PUBLISHERS = (Role.MANAGER, Role.ADMIN)


@doc.operation(
    bp,
    "/notices",
    "GET",
    summary="List the notices the hall boards show",
    tag="notices",
    responses={200: ("Posted notices, newest first, then the hall's standing ones", HallNoticeOut)},
)
def list_notices() -> list[HallNoticeOut]:
    with state().db.read() as uow:
        posted = [notice_out(n) for n in notices.active(uow, current_hall(uow))]
    standing = [HallNoticeOut(id=None, title=n.title, text=n.text, until=None) for n in state().spec.notices]
    return posted + standing


@doc.operation(
    bp,
    "/notices",
    "POST",
    summary="Post a notice to the hall boards",
    tag="notices",
    body=HallNoticeRequest,
    roles=PUBLISHERS,
    responses={201: ("The notice, now on every hall board", HallNoticeOut)},
)
def post_notice(body: HallNoticeRequest) -> tuple[HallNoticeOut, int]:
    with state().db.write() as uow:
        notice = notices.post(uow, current_hall(uow), body.title, body.text, body.minutes, current_user.id)
        return notice_out(notice), 201


@doc.operation(
    bp,
    "/notices/<int:notice_id>",
    "DELETE",
    summary="Withdraw a posted notice",
    tag="notices",
    roles=PUBLISHERS,
    responses={
        200: ("The notice, now gone from the boards", HallNoticeOut),
        404: ("No such notice", None),
        409: ("Already withdrawn", None),
    },
)
def withdraw_notice(notice_id: int) -> HallNoticeOut:
    with state().db.write() as uow:
        return notice_out(notices.withdraw(uow, current_hall(uow), notice_id))
