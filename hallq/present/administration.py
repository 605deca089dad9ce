"""The hall's set-up as its managers see and change it: windows, queues and departments in
hall.toml's own terms (queue_core.spec), and staff accounts."""

from __future__ import annotations

from pydantic import BaseModel

from queue_core import UnitOfWork
from queue_core.halls import departments_of, queues_of
from queue_core.models import Department, Hall, Queue, Role, Staff, Window
from queue_core.spec import DepartmentSpec, Hours, QueueRef, QueueSpec, WindowSpec


class StaffOut(BaseModel):
    username: str
    name: str
    badge: str
    role: Role
    active: bool


def window_spec(window: Window) -> WindowSpec:
    queues = [QueueRef(code=link.queue.code, weight=link.weight) for link in window.queue_links]
    return WindowSpec(number=window.number, name=window.name, name_en=window.name_en, queues=queues)


def queue_spec(queue: Queue) -> QueueSpec:
    hours = Hours(open=queue.opens_at, close=queue.closes_at) if queue.opens_at and queue.closes_at else None
    return QueueSpec(
        code=queue.code,
        name=queue.name,
        name_en=queue.name_en,
        number_format=queue.number_format,
        range=(queue.number_start, queue.number_end),
        wrap=queue.wrap,
        daily_quota=queue.daily_quota,
        hours=hours,
        last_ticket=queue.last_ticket_at,
        id_limit=queue.id_limit,
        target_wait_minutes=queue.target_wait_minutes,
    )


def department_spec(department: Department) -> DepartmentSpec:
    return DepartmentSpec(code=department.code, name=department.name, name_en=department.name_en)


def queue_specs(uow: UnitOfWork, hall: Hall) -> list[QueueSpec]:
    """The hall's queues as the administration pages show them."""
    return [queue_spec(q) for q in queues_of(uow, hall.id)]


def department_specs(uow: UnitOfWork, hall: Hall) -> list[DepartmentSpec]:
    """The hall's departments as the administration pages show them."""
    return [department_spec(d) for d in departments_of(uow, hall.id)]


def staff_out(staff: Staff) -> StaffOut:
    return StaffOut(
        username=staff.username,
        name=staff.name,
        badge=staff.badge,
        role=Role(staff.role),
        active=staff.active,
    )
