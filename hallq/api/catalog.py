"""Queues and service items: what a kiosk shows before a ticket is taken."""

from __future__ import annotations

from flask import Response, request

from queue_core.search import search_items, vocabulary

from ..present.catalog import (
    DepartmentOut,
    ItemDetail,
    ItemSummary,
    QueueOut,
    TopicOut,
    VocabularyOut,
    departments_out,
    item_detail,
    item_summary,
    queues_out,
    topics_out,
    vocabulary_json,
)
from ..state import current_hall, state
from . import bp, doc
from .schemas import ItemQuery


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
    """Matches the Chinese name or a keyword (社保卡, 身份证丢了), by its characters, full pinyin
    (shebao), initials (sbk) or both (社bao), or the English name, within a department or a
    life-event topic when given. Best first: a whole name or keyword, then one the query
    begins, then one it is inside; ties by item code (queue_core.search)."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = search_items(
            uow, hall.id, query.q, query.limit, department=query.department, topic=query.topic
        )
        return [item_summary(item) for item in found]


@doc.operation(
    bp,
    "/vocabulary",
    "GET",
    summary="The catalogue's words, for a pinyin candidate bar",
    tag="catalogue",
    responses={
        200: ("The words of the items' names and keywords, the departments and the topics", VocabularyOut),
        304: ("Unchanged since the ETag sent in If-None-Match", None),
    },
)
def get_vocabulary() -> tuple[Response, int]:
    """What a kiosk offers as the citizen types pinyin (shebao, sb: 社保), with no input-method
    engine: the catalogue split into words, each with its pinyin (queue_core.search.words_of).
    Revalidated by ETag: the catalogue may change at any time, but seldom does."""
    with state().db.read() as uow:
        words = vocabulary(uow, current_hall(uow).id)
    body, etag = vocabulary_json(words)
    response = Response(body, mimetype="application/json", headers={"Cache-Control": "no-cache"})
    response.set_etag(etag)
    response.make_conditional(request)
    return response, response.status_code  # 304 where unchanged: the status given here is kept


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
