"""Queues and service items: what a kiosk shows before a ticket is taken."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from queue_core import UnitOfWork
from queue_core.halls import item_by_id
from queue_core.models import Department, Hall, Queue, ServiceItem, Window, WindowQueue
from queue_core.search import search_items
from queue_core.snapshots import waiting_counts
from queue_core.spec import TOPICS

from ..state import current_hall, state
from . import bp, doc
from .schemas import DepartmentOut, ItemDetail, ItemQuery, ItemSummary, QueueOut, TopicOut, WindowBrief


@doc.operation(
    bp,
    "/queues",
    "GET",
    summary="List queues",
    tag="catalogue",
    responses={200: ("Each queue with how many wait now", QueueOut)},
)
def list_queues() -> list[QueueOut]:
    with state().db.read() as uow:
        return queues_out(uow, current_hall(uow))


def queues_out(uow: UnitOfWork, hall: Hall) -> list[QueueOut]:
    waiting = waiting_counts(uow, hall.id)
    links = uow.session.execute(
        select(WindowQueue.queue_id, Window.number)
        .join(Window)
        .where(Window.hall_id == hall.id)
        .order_by(Window.number)
    ).all()
    queues = uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id).order_by(Queue.position))
    return [
        QueueOut(
            code=q.code,
            name=q.name,
            name_en=q.name_en,
            waiting=waiting.get(q.id, (0,))[0],
            windows=[number for queue_id, number in links if queue_id == q.id],
            needs_id=q.id_limit is not None,
        )
        for q in queues
    ]


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


@doc.operation(
    bp,
    "/items",
    "GET",
    summary="Search service items",
    tag="catalogue",
    query=ItemQuery,
    responses={200: ("Matching items, best first", ItemSummary)},
)
def list_items(query: ItemQuery) -> list[ItemSummary]:
    """Matches the Chinese name, the full pinyin (hunyin) or the initials (hydj), within a
    department or a life-event topic when given."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = search_items(
            uow, hall.id, query.q, query.limit, department=query.department, topic=query.topic
        )
        return [ItemSummary(**_summary(item)) for item in found]


@doc.operation(
    bp,
    "/departments",
    "GET",
    summary="List departments",
    tag="catalogue",
    responses={
        200: ("The departments stationed in the hall, with how many items each handles", DepartmentOut)
    },
)
def list_departments() -> list[DepartmentOut]:
    with state().db.read() as uow:
        return departments_out(uow, current_hall(uow))


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
    return [DepartmentOut(code=d.code, name=d.name, items=counts.get(d.id, 0)) for d in departments]


@doc.operation(
    bp,
    "/topics",
    "GET",
    summary="List life-event topics",
    tag="catalogue",
    responses={
        200: ("The topics (出生, 婚姻, 开办企业...) that have items, in the national order", TopicOut)
    },
)
def list_topics() -> list[TopicOut]:
    with state().db.read() as uow:
        return topics_out(uow, current_hall(uow))


def topics_out(uow: UnitOfWork, hall: Hall) -> list[TopicOut]:
    counts: Counter[str] = Counter()
    for topics in uow.session.scalars(
        select(ServiceItem.topics).where(ServiceItem.hall_id == hall.id, ServiceItem.active)
    ):
        counts.update(topics)
    return [TopicOut(name=topic, items=counts[topic]) for topic in TOPICS if counts[topic]]


@doc.operation(
    bp,
    "/items/<int:item_id>",
    "GET",
    summary="Read a service item",
    tag="catalogue",
    responses={
        200: ("The eight disclosures, the queue and its windows", ItemDetail),
        404: ("No such item", None),
    },
)
def get_item(item_id: int) -> ItemDetail:
    with state().db.read() as uow:
        return item_detail(uow, current_hall(uow), item_id)


def item_detail(uow: UnitOfWork, hall: Hall, item_id: int) -> ItemDetail:
    item = item_by_id(uow, hall.id, item_id)
    windows = uow.session.scalars(
        select(Window).join(WindowQueue).where(WindowQueue.queue_id == item.queue_id).order_by(Window.number)
    )
    return ItemDetail(
        **_summary(item),
        department_name=item.department.name,
        queue_name=item.queue.name,
        legal_limit_days=item.legal_limit_days,
        applicant=item.applicant,
        basis=item.basis,
        materials=item.materials,
        conditions=item.conditions,
        procedure=item.procedure,
        fees=item.fees,
        fee_basis=item.fee_basis,
        authority=item.authority,
        topics=item.topics,
        windows=[WindowBrief(number=w.number, name=w.name) for w in windows],
        needs_id=item.queue.id_limit is not None,
    )
