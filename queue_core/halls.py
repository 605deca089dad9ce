"""Look-ups that name what was not found."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select

from .errors import NotFound
from .models import Department, Hall, Queue, ServiceItem, Ticket, Window

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def hall_by_id(uow: UnitOfWork, hall_id: int) -> Hall:
    hall = uow.session.get(Hall, hall_id)
    if hall is None:
        raise NotFound(f"no hall with id {hall_id}")
    uow.held.append(hall)
    return hall


def hall_by_code(uow: UnitOfWork, code: str) -> Hall:
    hall = uow.session.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        raise NotFound(f'no hall "{code}": run "hallq init" to load it from the config')
    return hall


_QUEUE_BY_CODE = select(Queue).where(Queue.hall_id == bindparam("hall_id"), Queue.code == bindparam("code"))


def queue_by_code(uow: UnitOfWork, hall_id: int, code: str) -> Queue:
    queue = uow.session.scalar(_QUEUE_BY_CODE, {"hall_id": hall_id, "code": code})
    if queue is None:
        raise NotFound(f'no queue "{code}"')
    uow.held.append(queue)
    return queue


def item_by_id(uow: UnitOfWork, hall_id: int, item_id: int) -> ServiceItem:
    item = uow.session.get(ServiceItem, item_id)
    if item is None or item.hall_id != hall_id or not item.active:
        raise NotFound(f"no service item {item_id}")
    return item


_WINDOW_BY_NUMBER = select(Window).where(
    Window.hall_id == bindparam("hall_id"), Window.number == bindparam("number")
)
# PostgreSQL serialises a window's actions on its row; SQLite's BEGIN IMMEDIATE already
# serialises all writers (SQLAlchemy drops FOR UPDATE there).
_WINDOW_LOCKED = _WINDOW_BY_NUMBER.with_for_update(of=Window).execution_options(populate_existing=True)


def window_by_number(uow: UnitOfWork, hall_id: int, number: int, *, lock: bool = False) -> Window:
    if lock and (locked := uow.locked_windows.get((hall_id, number))) is not None:
        return locked  # locked and read fresh earlier in this transaction: nobody changed it since
    stmt = _WINDOW_LOCKED if lock else _WINDOW_BY_NUMBER
    window = uow.session.scalar(stmt, {"hall_id": hall_id, "number": number})
    if window is None:
        raise NotFound(f"no window {number}")
    if lock:
        uow.locked_windows[(hall_id, number)] = window
    return window


def windows_of(uow: UnitOfWork, hall_id: int) -> list[Window]:
    """The hall's windows by number, as the administration left them."""
    return list(uow.session.scalars(select(Window).where(Window.hall_id == hall_id).order_by(Window.number)))


def departments_of(uow: UnitOfWork, hall_id: int) -> list[Department]:
    """The hall's departments in their order."""
    return list(
        uow.session.scalars(
            select(Department).where(Department.hall_id == hall_id).order_by(Department.position)
        )
    )


def queues_of(uow: UnitOfWork, hall_id: int) -> list[Queue]:
    """The hall's queues in their order."""
    return list(uow.session.scalars(select(Queue).where(Queue.hall_id == hall_id).order_by(Queue.position)))


def ticket_by_key(uow: UnitOfWork, hall_id: int, key: str) -> Ticket:
    """The ticket whose unguessable key (on its paper and its phone page) was given."""
    found = uow.session.scalar(select(Ticket).where(Ticket.hall_id == hall_id, Ticket.key == key))
    if found is None:
        raise NotFound("no such ticket")
    return found


def ticket_by_number(uow: UnitOfWork, hall_id: int, day: date, number: str) -> Ticket:
    """The ticket of that number on that service day (the latest, should a queue whose numbers
    wrap have issued it twice)."""
    found = uow.session.scalar(
        select(Ticket)
        .where(Ticket.hall_id == hall_id, Ticket.service_day == day, Ticket.number == number)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound(f"no ticket {number} on {day}")
    return found


def ticket_by_id(uow: UnitOfWork, hall_id: int, ticket_id: int) -> Ticket:
    ticket = uow.session.get(Ticket, ticket_id)
    if ticket is None or ticket.hall_id != hall_id:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket
