"""Writing a hall's description and catalogue into the database (idempotent upserts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from .errors import NotFound
from .models import Department, Hall, Queue, ServiceItem, Window, WindowQueue
from .search import pinyin_keys
from .spec import HallSpec, ItemSpec

if TYPE_CHECKING:
    from .db import UnitOfWork


def sync_hall(uow: UnitOfWork, spec: HallSpec) -> Hall:
    """Create or update the hall, its departments, queues and windows from the spec.
    Nothing is deleted: tickets and logs keep pointing at what they referred to."""
    info = spec.hall
    session = uow.session
    hall = session.scalar(select(Hall).where(Hall.code == info.code)) or Hall(code=info.code)
    hall.name = info.name
    hall.timezone = info.timezone
    hall.priority_fairness = info.priority_fairness
    hall.requeue_no_show = info.requeue_no_show
    hall.remote_ticketing = info.remote_ticketing
    hall.enforce_hours = info.enforce_hours
    hall.priority_pin = info.priority_pin
    hall.evaluation_rules = spec.evaluation.model_dump(mode="json")
    hall.alarm_rules = spec.alarms.model_dump(mode="json")
    session.add(hall)
    session.flush()

    departments = {
        d.code: d for d in session.scalars(select(Department).where(Department.hall_id == hall.id))
    }
    for position, dep in enumerate(spec.departments):
        row = departments.get(dep.code) or Department(hall_id=hall.id, code=dep.code)
        row.name, row.position = dep.name, position
        session.add(row)

    queues = {q.code: q for q in session.scalars(select(Queue).where(Queue.hall_id == hall.id))}
    for position, qs in enumerate(spec.queues):
        row = queues.get(qs.code) or Queue(hall_id=hall.id, code=qs.code)
        hours = qs.hours or info.hours
        row.name, row.name_en, row.number_format = qs.name, qs.name_en, qs.number_format
        row.number_start, row.number_end = qs.range
        row.wrap, row.daily_quota, row.target_wait_minutes = qs.wrap, qs.daily_quota, qs.target_wait_minutes
        row.opens_at, row.closes_at = (hours.open, hours.close) if hours else (None, None)
        row.last_ticket_at = qs.last_ticket
        row.id_limit = qs.id_limit
        row.position = position
        queues[qs.code] = row
        session.add(row)
    session.flush()

    windows = {w.number: w for w in session.scalars(select(Window).where(Window.hall_id == hall.id))}
    for ws in spec.windows:
        window = windows.get(ws.number) or Window(hall_id=hall.id, number=ws.number)
        window.name = ws.name
        session.add(window)
        links = {link.queue_id: link for link in window.queue_links}
        window.queue_links = []
        for position, ref in enumerate(ws.queues):
            queue_id = queues[ref.code].id
            link = links.get(queue_id) or WindowQueue(queue_id=queue_id)
            link.position, link.weight = position, ref.weight
            window.queue_links.append(link)
    session.flush()
    return hall


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def import_items(uow: UnitOfWork, hall: Hall, items: list[ItemSpec]) -> ImportResult:
    """Create or update items by code. Raises NotFound naming the first unknown department
    or queue (the file loader reports those with their line before getting here)."""
    session = uow.session
    departments = {
        d.code: d for d in session.scalars(select(Department).where(Department.hall_id == hall.id))
    }
    by_name = {d.name: d for d in departments.values()}
    queues = {q.code: q for q in session.scalars(select(Queue).where(Queue.hall_id == hall.id))}
    existing = {i.code: i for i in session.scalars(select(ServiceItem).where(ServiceItem.hall_id == hall.id))}
    created = updated = 0
    for spec in items:
        department = departments.get(spec.department) or by_name.get(spec.department)
        if department is None:
            raise NotFound(f'item {spec.code}: unknown department "{spec.department}"')
        if spec.queue not in queues:
            raise NotFound(f'item {spec.code}: unknown queue "{spec.queue}"')
        row = existing.get(spec.code)
        if row is None:
            row = ServiceItem(hall_id=hall.id, code=spec.code)
            session.add(row)
            created += 1
        else:
            updated += 1
        fields = spec.model_dump(exclude={"code", "department", "queue"})
        for name, value in fields.items():
            setattr(row, name, value)
        row.department_id = department.id
        row.queue_id = queues[spec.queue].id
        row.active = True
        row.search_pinyin, row.search_initials = pinyin_keys(spec.name)
    session.flush()
    return ImportResult(created, updated)
