"""Queues, departments, life-event topics and service items as the kiosks show them, before a
ticket is taken (the front page shows the queues too)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from functools import lru_cache

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from queue_core import UnitOfWork
from queue_core.hall_calendar import HallCalendar
from queue_core.halls import item_by_id
from queue_core.models import Department, Hall, Queue, ServiceItem, Window, WindowQueue
from queue_core.numbering import local_time, service_day
from queue_core.search import Word
from queue_core.snapshots import waiting_counts
from queue_core.spec import ENGLISH_LISTS, TOPIC_NAMES_EN, TOPICS
from queue_core.wait_forecast import Handling, forecast, hall_windows, handling_figures

from .tickets import WAIT_RANGE_FIELD, WindowBrief, wait_fields, window_brief


class QueueOut(BaseModel):
    code: str
    name: str
    name_en: str
    waiting: int
    windows: list[int]
    needs_id: bool = Field(description="Tickets need the holder's ID number (a per-person daily limit)")
    taking: bool = Field(
        description="It takes tickets now (where the hall keeps its hours: within a session)"
    )
    closed_why: str | None = Field(description="Why not: break (午休), day_off, not_yet, over")
    day_off: str = Field(
        "", description="A day off's reason (国庆节, 周末, a closure's), where closed for it"
    )
    reopens_at: datetime | None = Field(description="When it takes tickets again, hall-local")
    estimated_wait_seconds: int | None = Field(
        description="For a ticket taken now: the median of the wait forecast (estimated_wait_range); "
        "null when nothing honest can be said or the queue takes no tickets now"
    )
    estimated_wait_range: tuple[int, int] | None = WAIT_RANGE_FIELD


class ItemSummary(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    department: str
    queue: str
    kind: str = Field(description="instant (即办件) or commitment (承诺件)")
    promised_limit_days: int


class ItemDetail(ItemSummary):
    department_name: str
    department_name_en: str
    queue_name: str
    queue_name_en: str
    legal_limit_days: int
    applicant: str
    basis: list[str]
    materials: list[str]
    conditions: list[str]
    procedure: list[str]
    fees: str
    fee_basis: str
    authority: str
    applicant_en: str = Field(description="The disclosures in English: empty where none is written")
    basis_en: list[str]
    materials_en: list[str]
    conditions_en: list[str]
    procedure_en: list[str]
    fees_en: str
    fee_basis_en: str
    authority_en: str
    topics: list[str]
    windows: list[WindowBrief]
    needs_id: bool = Field(description="Its tickets need the holder's ID number (a per-person daily limit)")


class VocabularyWord(BaseModel):
    word: str = Field(description="社保")
    pinyin: str = Field(description="Its syllables, space-separated: she bao")
    sources: int = Field(description="In how many items, departments or topics it is found")


class VocabularyOut(BaseModel):
    words: list[VocabularyWord] = Field(description="Most found first")


class DepartmentOut(BaseModel):
    code: str
    name: str
    name_en: str
    items: int


class TopicOut(BaseModel):
    name: str
    name_en: str
    items: int


def queues_out(uow: UnitOfWork, hall: Hall) -> list[QueueOut]:
    """Each queue with its line now: whether it takes tickets, how many wait, and how long a
    ticket taken now would wait."""
    waiting = waiting_counts(uow, hall.id)
    local, today = local_time(hall, uow.now()), service_day(hall, uow.now())
    handling = handling_figures(uow, hall.id, today)
    windows = hall_windows(uow, hall.id, today)
    calendar = HallCalendar.of_hall(hall)
    queues = uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position))
    answers = []
    for q in queues:
        closed = calendar.closed_now(q, local) if hall.enforce_hours else None
        ahead = waiting.get(q.id, (0,))[0]
        answers.append(
            QueueOut(
                code=q.code,
                name=q.name,
                name_en=q.name_en,
                waiting=ahead,
                windows=[w.number for w in windows.get(q.id, [])],
                needs_id=q.id_limit is not None,
                taking=closed is None,
                closed_why=closed.why if closed else None,
                day_off=closed.reason if closed else "",
                reopens_at=closed.reopens_at if closed else None,
                **wait_fields(
                    forecast(ahead, handling.get(q.id, Handling()), windows.get(q.id, []))
                    if closed is None
                    else None
                ),
            )
        )
    return answers


def _summary(item: ServiceItem) -> dict[str, object]:
    return dict(
        id=item.id,
        code=item.code,
        name=item.name,
        name_en=item.name_en,
        department=item.department.code,
        queue=item.queue.code,
        kind=item.kind,
        promised_limit_days=item.promised_limit_days,
    )


def item_summary(item: ServiceItem) -> ItemSummary:
    return ItemSummary(**_summary(item))


def departments_out(uow: UnitOfWork, hall: Hall) -> list[DepartmentOut]:
    counts = dict(
        uow.session.execute(
            select(ServiceItem.department_id, func.count())
            .where(ServiceItem.hall_id == hall.id, ServiceItem.active)
            .group_by(ServiceItem.department_id)
        ).all()
    )
    departments = uow.session.scalars(
        select(Department).where(Department.hall_id == hall.id).order_by(Department.position)
    )
    return [
        DepartmentOut(code=d.code, name=d.name, name_en=d.name_en, items=counts.get(d.id, 0))
        for d in departments
    ]


def topics_out(uow: UnitOfWork, hall: Hall) -> list[TopicOut]:
    counts: Counter[str] = Counter()
    for topics in uow.session.scalars(
        select(ServiceItem.topics).where(ServiceItem.hall_id == hall.id, ServiceItem.active)
    ):
        counts.update(topics)
    return [
        TopicOut(name=topic, name_en=TOPIC_NAMES_EN[topic], items=counts[topic])
        for topic in TOPICS
        if counts[topic]
    ]


def item_detail(uow: UnitOfWork, hall: Hall, item_id: int) -> ItemDetail:
    item = item_by_id(uow, hall.id, item_id)
    windows = uow.session.scalars(
        select(Window).join(WindowQueue).where(WindowQueue.queue_id == item.queue_id).order_by(Window.number)
    )
    return ItemDetail(
        **_summary(item),
        department_name=item.department.name,
        department_name_en=item.department.name_en,
        queue_name=item.queue.name,
        queue_name_en=item.queue.name_en,
        legal_limit_days=item.legal_limit_days,
        **{
            name: getattr(item, name)
            for plain in ("applicant", *ENGLISH_LISTS, "fees", "fee_basis", "authority")
            for name in (plain, f"{plain}_en")
        },
        topics=item.topics,
        windows=[window_brief(w) for w in windows],
        needs_id=item.queue.id_limit is not None,
    )


@lru_cache(maxsize=4)
def vocabulary_json(words: tuple[Word, ...]) -> tuple[bytes, str]:
    """The candidate bar's words as JSON and its ETag, made once for each vocabulary: every
    kiosk asks for them, and most often has them already (304)."""
    out = VocabularyOut(
        words=[VocabularyWord(word=w.word, pinyin=w.pinyin, sources=w.sources) for w in words]
    )
    body = out.model_dump_json().encode()
    return body, hashlib.sha256(body).hexdigest()
