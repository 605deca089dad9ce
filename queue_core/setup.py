"""Writing a hall's description and catalogue into the database: idempotent upserts, used by
`hallq init` for the whole hall.toml and by the manager's administration pages one row at a
time. Nothing is deleted: tickets and logs keep pointing at what they referred to. Whatever a
window or queue change touches is snapshotted for the boards (queue_core.db), so an edit in the
browser reaches the panels, boards and kiosks as it commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from .cases import recount_deadlines
from .errors import Invalid, InvalidState, NotFound
from .hall_calendar import HallCalendar
from .models import Department, Hall, Queue, ServiceItem, Window, WindowQueue
from .search import pinyin_keys, search_terms
from .spec import (
    CalendarDay,
    CalendarSpec,
    DepartmentSpec,
    HallSpec,
    Hours,
    ItemSpec,
    QueueRef,
    QueueSpec,
    WindowSpec,
)

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


def sync_hall(uow: UnitOfWork, spec: HallSpec) -> Hall:
    """Create or update the hall, its departments, queues and windows from the spec: what the
    file says wins over what was changed in the browser since."""
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
    hall.booking_rules = spec.booking.model_dump(mode="json")
    hall.calendar_rules = with_added_days(spec.full_calendar(), hall).rules_text()
    hall.map_svg = None  # the config folder's floor plan, as for everything else the files name
    session.add(hall)
    session.flush()
    for position, department in enumerate(spec.departments):
        save_department(uow, hall, department, position)
    for position, queue in enumerate(spec.queues):
        save_queue(uow, hall, queue, info.hours, position)
    for window in spec.windows:
        save_window(uow, hall, window)
    return hall


def with_added_days(calendar: CalendarSpec, hall: Hall) -> CalendarSpec:
    """The calendar of the config, with the dated days the hall's managers entered in the
    browser kept: no file holds them."""
    added = HallCalendar.of_hall(hall).spec.added if hall.calendar_rules else []
    return calendar.model_copy(update={"added": added})


def enter_calendar_day(uow: UnitOfWork, hall: Hall, day: CalendarDay) -> HallCalendar:
    """A dated day entered in the browser (a closure, late opening, a holiday not yet known);
    it replaces one entered before for the date, and open cases' deadlines follow."""
    spec = HallCalendar.of_hall(hall).spec
    added = sorted([d for d in spec.added if d.date != day.date] + [day], key=lambda d: d.date)
    return _changed_calendar(uow, hall, spec.model_copy(update={"added": added}), day.date)


def withdraw_calendar_day(uow: UnitOfWork, hall: Hall, day: date) -> HallCalendar:
    """Withdraw a dated day entered in the browser; one of calendar.toml stays (edit the file)."""
    spec = HallCalendar.of_hall(hall).spec
    if not any(d.date == day for d in spec.added):
        if any(d.date == day for d in spec.days):
            raise InvalidState(
                f"{day} is entered in calendar.toml: change it there, then run hallq calendar apply"
            )
        raise NotFound(f"no day {day} was entered in the administration pages")
    added = [d for d in spec.added if d.date != day]
    return _changed_calendar(uow, hall, spec.model_copy(update={"added": added}), day)


def _changed_calendar(uow: UnitOfWork, hall: Hall, spec: CalendarSpec, day: date) -> HallCalendar:
    hall.calendar_rules = spec.rules_text()
    uow.audit_detail["calendar_day"] = day.isoformat()
    recount_deadlines(uow, hall)
    return HallCalendar.of_hall(hall)


def save_department(
    uow: UnitOfWork, hall: Hall, spec: DepartmentSpec, position: int | None = None
) -> Department:
    """Create or rename a department; a new one goes last unless a position is given."""
    session = uow.session
    row = session.scalar(
        select(Department).where(Department.hall_id == hall.id, Department.code == spec.code)
    )
    if row is None:
        row = Department(hall_id=hall.id, code=spec.code, position=_next_position(uow, Department, hall))
        session.add(row)
    row.name, row.name_en = spec.name, spec.name_en
    if position is not None:
        row.position = position
    session.flush()
    return row


def save_queue(
    uow: UnitOfWork, hall: Hall, spec: QueueSpec, hall_hours: Hours | None, position: int | None = None
) -> Queue:
    """Create or update a queue. Its row keeps only hours of its own: the hall's are its
    calendar's sessions (queue_core.hall_calendar), which a queue's hours narrow. A last
    ticket must fall within the queue's hours, or else the hall's."""
    session = uow.session
    row = session.scalar(select(Queue).where(Queue.hall_id == hall.id, Queue.code == spec.code))
    if row is None:
        row = Queue(hall_id=hall.id, code=spec.code, position=_next_position(uow, Queue, hall))
        session.add(row)
    hours = spec.hours or hall_hours
    if spec.last_ticket and hours and not hours.open < spec.last_ticket <= hours.close:
        raise Invalid(
            f'queue "{spec.code}": last ticket {spec.last_ticket:%H:%M} is not within its hours '
            f"{hours.open:%H:%M}-{hours.close:%H:%M}"
        )
    row.name, row.name_en, row.number_format = spec.name, spec.name_en, spec.number_format
    row.number_start, row.number_end = spec.range
    row.wrap, row.daily_quota, row.target_wait_minutes = spec.wrap, spec.daily_quota, spec.target_wait_minutes
    own = spec.hours
    row.opens_at, row.closes_at = (own.open, own.close) if own else (None, None)
    row.last_ticket_at = spec.last_ticket
    row.id_limit = spec.id_limit
    if position is not None:
        row.position = position
    session.flush()
    uow.touch_queue(row.id)
    return row


def save_window(uow: UnitOfWork, hall: Hall, spec: WindowSpec) -> Window:
    """Create a window (closed until a clerk signs in) or rename it, with the queues it serves."""
    session = uow.session
    window = session.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == spec.number))
    if window is None:
        window = Window(hall_id=hall.id, number=spec.number)
        session.add(window)
    window.name, window.name_en = spec.name, spec.name_en
    session.flush()
    set_window_queues(uow, hall, window, spec.queues)
    return window


def set_window_queues(uow: UnitOfWork, hall: Hall, window: Window, refs: Sequence[QueueRef]) -> Window:
    """The queues a window serves, in its order of preference, with their weights. A queue it
    keeps keeps its round-robin state; the window's next call already follows the new list."""
    codes = [ref.code for ref in refs]
    if not codes:
        raise Invalid(f"window {window.number} must serve at least one queue: close the window instead")
    if len(set(codes)) != len(codes):
        raise Invalid(f"window {window.number}: a queue is listed twice in {', '.join(codes)}")
    queues = {
        q.code: q
        for q in uow.session.scalars(select(Queue).where(Queue.hall_id == hall.id, Queue.code.in_(codes)))
    }
    unknown = [code for code in codes if code not in queues]
    if unknown:
        raise NotFound(f'window {window.number}: no queue "{unknown[0]}"')
    before = {link.queue_id: link for link in window.queue_links}
    window.queue_links = []
    for position, ref in enumerate(refs):
        queue_id = queues[ref.code].id
        link = before.get(queue_id) or WindowQueue(queue_id=queue_id)
        link.position, link.weight = position, ref.weight
        window.queue_links.append(link)
    uow.session.flush()
    uow.touch_window(window)
    for queue_id in before.keys() ^ {q.id for q in queues.values()}:
        uow.touch_queue(queue_id)
    return window


def _next_position(uow: UnitOfWork, model: type[Department] | type[Queue], hall: Hall) -> int:
    last = uow.session.scalar(select(func.max(model.position)).where(model.hall_id == hall.id))
    return 0 if last is None else last + 1


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def import_items(uow: UnitOfWork, hall: Hall, items: list[ItemSpec]) -> ImportResult:
    """Create or update items by code, each active again. Raises NotFound naming the first
    unknown department or queue (the file loader reports those with their line before getting
    here)."""
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
        _fill_item(row, spec, department, queues[spec.queue])
        row.active = True
    session.flush()
    return ImportResult(created, updated)


def save_item(uow: UnitOfWork, hall: Hall, spec: ItemSpec) -> ServiceItem:
    """Create or change one item; a withdrawn one stays withdrawn. The kiosks read it from
    their next request on."""
    session = uow.session
    department = session.scalar(
        select(Department).where(
            Department.hall_id == hall.id,
            (Department.code == spec.department) | (Department.name == spec.department),
        )
    )
    if department is None:
        raise NotFound(f'item {spec.code}: unknown department "{spec.department}"')
    queue = session.scalar(select(Queue).where(Queue.hall_id == hall.id, Queue.code == spec.queue))
    if queue is None:
        raise NotFound(f'item {spec.code}: unknown queue "{spec.queue}"')
    row = _find_item(uow, hall, spec.code)
    if row is None:
        row = ServiceItem(hall_id=hall.id, code=spec.code, active=True)
        session.add(row)
    _fill_item(row, spec, department, queue)
    session.flush()
    return row


def set_item_active(uow: UnitOfWork, hall: Hall, code: str, active: bool) -> ServiceItem:
    """Withdraw an item from the kiosks (it stays for the tickets and figures that name it),
    or publish it again."""
    item = item_by_code(uow, hall, code)
    item.active = active
    uow.session.flush()
    return item


def item_by_code(uow: UnitOfWork, hall: Hall, code: str) -> ServiceItem:
    """An item, withdrawn or not."""
    item = _find_item(uow, hall, code)
    if item is None:
        raise NotFound(f'no item "{code}"')
    return item


def _find_item(uow: UnitOfWork, hall: Hall, code: str) -> ServiceItem | None:
    return uow.session.scalar(
        select(ServiceItem).where(ServiceItem.hall_id == hall.id, ServiceItem.code == code)
    )


def _fill_item(row: ServiceItem, spec: ItemSpec, department: Department, queue: Queue) -> None:
    for name, value in spec.model_dump(exclude={"code", "department", "queue"}).items():
        setattr(row, name, value)
    row.department_id, row.queue_id = department.id, queue.id
    row.search_pinyin, row.search_initials = pinyin_keys(spec.name)
    row.search_terms = search_terms(spec.name, spec.keywords)
