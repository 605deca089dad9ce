"""Windows and the clerk's actions at them. A clerk acts only at the window they are signed
in to; managers and admins may act at any window. A window's hardware caller (呼叫器, a
`[[callers]]` device) acts at its own window with its device token, in the name of the clerk
signed in there. The window's evaluation keypad faces the citizen and cannot act."""

from __future__ import annotations

from collections.abc import Callable

from flask_login import current_user
from sqlalchemy import Row, bindparam, select

from queue_core import UnitOfWork, accounts, calling, windows
from queue_core.errors import InvalidState, NotFound, NotPermitted
from queue_core.halls import window_by_number
from queue_core.models import Hall, Role, Ticket, Window

from ..present.tickets import ticket_out
from ..present.windows import PanelOut, WindowActionOut, WindowOut, panel_out, windows_out
from ..state import current_hall, state
from . import bp, doc
from .schemas import (
    CallNumberRequest,
    FinishRequest,
    NoShowRequest,
    PauseRequest,
    ResetRequest,
    TransferRequest,
)

STAFF = (Role.CLERK, Role.MANAGER, Role.ADMIN)
ACTORS = (*STAFF, "device:caller")
Action = Callable[[UnitOfWork, Hall, int, int | None], Ticket | Window | None]


@doc.operation(
    bp,
    "/windows",
    "GET",
    summary="List windows",
    tag="windows",
    responses={200: ("Each window with its state, clerk and current ticket", WindowOut)},
)
def list_windows() -> list[WindowOut]:
    with state().db.read() as uow:
        hall = current_hall(uow)
        rows = list(
            uow.session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number))
        )
        return windows_out(uow, rows)


def acting_staff(number: int, clerk_id: int | None, any_clerk: bool) -> int:
    """Whose action this is, once it is allowed at that window."""
    if current_user.role == "device":
        callers = {c.id: c.window for c in state().spec.callers}
        if callers.get(current_user.device_id) != number:
            raise NotPermitted(f"{current_user.device_id} is not the caller of window {number}")
        if clerk_id is None:
            raise InvalidState(f"window {number} is closed: a clerk must sign in first")
        return clerk_id
    if current_user.role == Role.CLERK and not any_clerk and clerk_id != current_user.id:
        raise NotPermitted(f"you are not signed in to window {number}")
    return current_user.id


_WINDOW_ROW = select(Window.id, Window.clerk_id).where(
    Window.hall_id == bindparam("hall_id"), Window.number == bindparam("number")
)


def _window_row(uow: UnitOfWork, hall: Hall, number: int) -> Row[int, int | None]:
    # Only the id and clerk here: the core loads and locks the window itself.
    found = uow.session.execute(_WINDOW_ROW, {"hall_id": hall.id, "number": number}).first()
    if found is None:
        raise NotFound(f"no window {number}")
    return found


def _act(number: int, action: Action, *, any_clerk: bool = False) -> WindowActionOut | None:
    """Run a clerk's action and answer with the whole panel after it (the panel page draws
    this answer and reads nothing more), and the ticket the action moved."""
    with state().db.write() as uow:
        hall = current_hall(uow)
        # Locked here, in the hall's lock order (a window before its ticket), and read once:
        # the core's own look-up of the window finds this instance.
        window = window_by_number(uow, hall.id, number, lock=True)
        result = action(uow, hall, number, acting_staff(number, window.clerk_id, any_clerk))
        if result is None:
            return None
        uow.session.flush()
        panel = panel_out(uow, hall, window, yours=_may_act(number, window.clerk_id))
        moved = None
        if isinstance(result, Ticket):
            at_window = panel.ticket is not None and panel.ticket.id == result.id
            moved = panel.ticket if at_window else ticket_out(uow, result)
        return WindowActionOut(**dict(panel), acted_on=moved)


def _may_act(number: int, clerk_id: int | None) -> bool:
    """Whether the current user may act at this window now (what the panel offers them)."""
    try:
        return acting_staff(number, clerk_id, any_clerk=False) is not None
    except NotPermitted:
        if current_user.role == "device":
            raise
        return False
    except InvalidState:  # a caller at a closed window: it may look, not act
        return False


def _window_action(rule: str, summary: str, **kwargs):
    responses = {
        200: (
            "The window's panel after the action: the window, its ticket, its queues' load and the clerk's day",
            PanelOut,
        ),
        404: ("No such window", None),
        409: ("The window or its ticket is not in a state that allows this", None),
    }
    return doc.operation(
        bp,
        f"/windows/<int:number>/{rule}",
        "POST",
        summary=summary,
        tag="windows",
        roles=kwargs.pop("roles", ACTORS),
        responses=responses | kwargs.pop("responses", {}),
        **kwargs,
    )


@doc.operation(
    bp,
    "/windows/<int:number>/panel",
    "GET",
    summary="What the window's panel shows",
    tag="windows",
    roles=ACTORS,
    responses={200: ("The window, its ticket, its queues' load and the clerk's day", PanelOut)},
)
def panel(number: int) -> PanelOut:
    """Another clerk's window, to a clerk, is what its board shows (to relieve a colleague,
    say): not the citizen's ticket and its transfer note, nor the colleague's day. Its clerk,
    managers, admins and the window's caller read all of it."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = _window_row(uow, hall, number)
        others = current_user.role == Role.CLERK and found.clerk_id not in (None, current_user.id)
        window = uow.session.get(Window, found.id)
        assert window is not None
        return panel_out(uow, hall, window, yours=_may_act(number, found.clerk_id), private=not others)


@_window_action("sign-in", "Sign in at a window (挂牌上岗)", roles=STAFF)
def sign_in(number: int) -> WindowActionOut | None:
    """The caller takes the window; a colleague already there is relieved (A/B posts)."""

    def action(uow: UnitOfWork, hall: Hall, n: int, _staff: int | None) -> Window:
        return windows.sign_in(uow, hall, n, accounts.account(uow, hall, current_user.username))

    return _act(number, action, any_clerk=True)


@_window_action("sign-out", "Sign out of a window", roles=STAFF)
def sign_out(number: int) -> WindowActionOut | None:
    return _act(number, windows.sign_out)


@_window_action(
    "call-next", "Call the next ticket (叫号)", responses={204: ("Nobody is waiting for this window", None)}
)
def call_next(number: int) -> WindowActionOut | None:
    return _act(number, calling.call_next)


@_window_action("call", "Call a specific number (指定叫号)", body=CallNumberRequest)
def call_number(number: int, body: CallNumberRequest) -> WindowActionOut | None:
    return _act(number, lambda uow, hall, n, staff: calling.call_number(uow, hall, n, body.number, staff))


@_window_action("recall", "Call the current ticket again (重呼)")
def recall(number: int) -> WindowActionOut | None:
    return _act(number, calling.recall)


@_window_action("start", "Start serving the called ticket (开始办理)")
def start(number: int) -> WindowActionOut | None:
    return _act(number, calling.start)


@_window_action("finish", "Finish the service (办结)", body=FinishRequest)
def finish(number: int, body: FinishRequest) -> WindowActionOut | None:
    return _act(number, lambda uow, hall, n, staff: calling.finish(uow, hall, n, staff, body.outcome))


@_window_action("no-show", "Mark the called ticket absent (过号)", body=NoShowRequest)
def no_show(number: int, body: NoShowRequest) -> WindowActionOut | None:
    return _act(
        number, lambda uow, hall, n, staff: calling.no_show(uow, hall, n, staff, requeue=body.requeue)
    )


@_window_action("transfer", "Transfer the current ticket (转移)", body=TransferRequest)
def transfer(number: int, body: TransferRequest) -> WindowActionOut | None:
    def action(uow: UnitOfWork, hall: Hall, n: int, staff: int | None) -> Ticket:
        return calling.transfer_current(
            uow, hall, n, staff, to_queue=body.queue, to_window=body.window, note=body.note
        )

    return _act(number, action)


@_window_action("pause", "Pause the window (暂停)", body=PauseRequest)
def pause(number: int, body: PauseRequest) -> WindowActionOut | None:
    return _act(number, lambda uow, hall, n, staff: windows.pause(uow, hall, n, staff, body.reason))


@_window_action("resume", "Resume after a pause")
def resume(number: int) -> WindowActionOut | None:
    return _act(number, windows.resume)


@_window_action(
    "reset",
    "Reset a stuck window (复位窗口)",
    body=ResetRequest,
    roles=(Role.MANAGER, Role.ADMIN),
    responses={409: ("The window has no ticket to clear", None)},
)
def reset(number: int, body: ResetRequest) -> WindowActionOut | None:
    """A manager's way out when a window's ticket is stuck (the dashboard's alarm says so):
    a ticket still called or served there goes back to its queue at its place, one already
    closed just leaves the window."""
    return _act(
        number, lambda uow, hall, n, staff: windows.reset(uow, hall, n, staff, body.reason), any_clerk=True
    )
