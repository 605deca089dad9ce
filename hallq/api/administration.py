"""The hall's set-up, changed during the day by its managers (the administration pages are
thin clients of these): which queues a window serves, a window's name, a queue's numbering,
quota, hours and target wait, a department's name. Each change commits, then reaches the
panels, boards and kiosks as events (queue_core.setup snapshots what it touched)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError

from queue_core import setup
from queue_core.errors import Invalid
from queue_core.halls import window_by_number
from queue_core.models import MANAGERS
from queue_core.spec import (
    LAST_WINDOW,
    DepartmentSettings,
    DepartmentSpec,
    QueueSettings,
    QueueSpec,
    WindowSettings,
    WindowSpec,
)

from ..present.administration import department_spec, queue_spec, window_spec
from ..state import current_hall, state
from . import bp, doc
from .schemas import WindowQueuesChange

CHANGED = "Not valid (the message names the field), or a queue it names does not exist"


Keyed = TypeVar("Keyed", QueueSpec, DepartmentSpec)


def _with_key(model: type[Keyed], settings: QueueSettings | DepartmentSettings, key: str) -> Keyed:
    """The settings with the code from the path, which must itself be valid."""
    try:
        return model.model_validate({**settings.model_dump(), "code": key})
    except ValidationError as exc:
        raise Invalid(f'"{key}" is not a valid code: {exc.errors()[0]["msg"]}') from exc


@doc.operation(
    bp,
    "/windows/<int:number>/queues",
    "PUT",
    summary="Set the queues a window serves",
    tag="administration",
    body=WindowQueuesChange,
    roles=MANAGERS,
    responses={
        200: ("The window as it is now", WindowSpec),
        404: ("No such window or queue", None),
        422: (CHANGED, None),
    },
)
def put_window_queues(number: int, body: WindowQueuesChange) -> WindowSpec:
    """In the window's order of preference. Its next call follows the new list; its panel and
    the boards hear of it at once. Open an extra window for a long queue by adding the queue
    (the dashboard's advisor proposes which: `advised` marks its moves in the audit trail)."""
    with state().db.write() as uow:
        hall = current_hall(uow)
        if body.advised:
            uow.audit_detail["advised"] = True
        window = setup.set_window_queues(
            uow, hall, window_by_number(uow, hall.id, number, lock=True), body.queues
        )
        return window_spec(window)


@doc.operation(
    bp,
    "/windows/<int:number>",
    "PUT",
    summary="Create or change a window",
    tag="administration",
    body=WindowSettings,
    roles=MANAGERS,
    responses={
        200: ("The window as it is now (a new one is closed until a clerk signs in)", WindowSpec),
        422: (CHANGED, None),
    },
)
def put_window(number: int, body: WindowSettings) -> WindowSpec:
    if not 1 <= number <= LAST_WINDOW:
        raise Invalid(f"window numbers run from 1 to {LAST_WINDOW}, not {number}")
    with state().db.write() as uow:
        return window_spec(
            setup.save_window(uow, current_hall(uow), WindowSpec(number=number, **body.model_dump()))
        )


@doc.operation(
    bp,
    "/queues/<code>",
    "PUT",
    summary="Create or change a queue",
    tag="administration",
    body=QueueSettings,
    roles=MANAGERS,
    responses={200: ("The queue as it is now", QueueSpec), 422: (CHANGED, None)},
)
def put_queue(code: str, body: QueueSettings) -> QueueSpec:
    """Without hours of its own a queue keeps the hall's. A new queue takes tickets once a
    window serves it."""
    spec = _with_key(QueueSpec, body, code)
    with state().db.write() as uow:
        return queue_spec(setup.save_queue(uow, current_hall(uow), spec, state().spec.hall.hours))


@doc.operation(
    bp,
    "/departments/<code>",
    "PUT",
    summary="Create or rename a department",
    tag="administration",
    body=DepartmentSettings,
    roles=MANAGERS,
    responses={200: ("The department as it is now", DepartmentSpec), 422: (CHANGED, None)},
)
def put_department(code: str, body: DepartmentSettings) -> DepartmentSpec:
    spec = _with_key(DepartmentSpec, body, code)
    with state().db.write() as uow:
        return department_spec(setup.save_department(uow, current_hall(uow), spec))
