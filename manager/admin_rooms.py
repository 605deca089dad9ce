"""The administration's other rooms: the catalogue of service items (事项), staff accounts
(人员), devices and their tokens (设备) and the hall's notices (信息发布). Like the first rooms
(manager.admin), each page shows what the JSON API returns and changes it through the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from evaluation.cases import require_manager
from hallq.present.administration import department_specs, queue_specs, staff_out
from hallq.present.booking import booking_out
from hallq.present.calendar import COMING_DAYS, calendar_out
from hallq.present.catalogue import CatalogueQuery, catalogue, catalogue_item
from hallq.present.devices import devices, tokens_of
from hallq.present.qr import qr_svg
from hallq.state import current_hall, state
from queue_core import accounts, booking, notices, passwords, setup
from queue_core.booking import door_token
from queue_core.errors import NotFound
from queue_core.hall_calendar import HallCalendar
from queue_core.models import ItemKind, Role
from queue_core.numbering import service_day
from queue_core.spec import TOPICS

from . import bp
from .admin import SECTIONS, admin_page

SECTIONS.extend(
    [
        ("manager.admin_items", _l("Service items")),
        ("manager.admin_staff", _l("Staff")),
        ("manager.admin_devices", _l("Devices")),
        ("manager.admin_notices", _l("Notices")),
        ("manager.admin_calendar", _l("Calendar")),
        ("manager.admin_bookings", _l("Bookings")),
    ]
)


@bp.get("/admin/items")
@login_required
def admin_items() -> Any:
    """The catalogue, by department or a part of the name; withdrawn items too, marked."""
    query = CatalogueQuery(
        department=request.args.get("department") or None, q=request.args.get("q", "").strip()[:60]
    )
    with state().db.read() as uow:
        hall = current_hall(uow)
        items = [catalogue_item(i) for i in catalogue(uow, hall, query)]
        departments = department_specs(uow, hall)
    return admin_page("manager/admin/items.html", items=items, departments=departments, query=query)


@bp.get("/admin/items/new")
@login_required
def admin_item_new() -> Any:
    return _item_page(None)


@bp.get("/admin/items/<code>")
@login_required
def admin_item(code: str) -> Any:
    return _item_page(code)


def _item_page(code: str | None) -> Any:
    with state().db.read() as uow:
        hall = current_hall(uow)
        try:
            item = catalogue_item(setup.item_by_code(uow, hall, code)) if code else None
        except NotFound as exc:
            abort(404, exc.message)
        queues, departments = queue_specs(uow, hall), department_specs(uow, hall)
    return admin_page(
        "manager/admin/item.html",
        item=item,
        departments=departments,
        queues=queues,
        kinds=[(ItemKind.INSTANT, _l("Instant (即办件)")), (ItemKind.COMMITMENT, _l("Commitment (承诺件)"))],
        topics=TOPICS,
    )


PRINTER_STATES = {
    "online": _l("working"),
    "paper_low": _l("paper low"),
    "paper_out": _l("out of paper"),
    "cover_open": _l("cover open"),
    "offline": _l("offline"),
    "unknown": _l("state unknown"),
}
ROLE_NAMES = {
    Role.CLERK: _l("Clerk at a window"),
    Role.GUIDE: _l("Guide (导服)"),
    Role.MANAGER: _l("Hall manager"),
    Role.ADMIN: _l("System administrator"),
    Role.SUPERVISOR: _l("Supervisor (电子监察, reads only)"),
    Role.CITY: _l("City supervisor (reads every hall)"),
}


@bp.get("/admin/staff")
@login_required
def admin_staff() -> Any:
    with state().db.read() as uow:
        hall = current_hall(uow)
        people = [(staff_out(s), tokens_of(uow, hall, staff_id=s.id)) for s in accounts.staff_of(uow, hall)]
    is_admin = current_user.has_role(Role.ADMIN)
    return admin_page(
        "manager/admin/staff.html",
        people=people,
        # The roles this person may give (queue_core.accounts decides; the page only hides).
        roles=[r for r in Role if is_admin or r not in accounts.BEYOND_MANAGERS],
        role_names=ROLE_NAMES,
        is_admin=is_admin,
        # Whose passwords an admin may reset (below an admin's standing).
        resettable=[r.value for r, rank in accounts.STANDING.items() if rank < accounts.STANDING[Role.ADMIN]],
        local=_local_time(),
        min_length=passwords.MIN_LENGTH,
        min_classes=passwords.MIN_CLASSES,
    )


@bp.get("/admin/devices")
@login_required
def admin_devices() -> Any:
    with state().db.read() as uow:
        hall = current_hall(uow)
        found = devices(uow, hall, state().spec, state().printing.views(uow, hall))
    return admin_page(
        "manager/admin/devices.html", devices=found, local=_local_time(), printer_states=PRINTER_STATES
    )


@bp.get("/admin/notices")
@login_required
def admin_notices() -> Any:
    with state().db.read() as uow:
        posted = notices.active(uow, current_hall(uow))
    return admin_page(
        "manager/admin/notices.html",
        posted=posted,
        standing=state().spec.notices,
        local=_local_time(),
    )


def _local_time() -> Any:
    """A stored (UTC) moment as the hall's clock shows it."""
    zone = ZoneInfo(state().spec.hall.timezone)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return local


@bp.get("/admin/calendar")
@login_required
def admin_calendar() -> Any:
    """The coming days as the hall's calendar has them, its dated days, and a form to enter
    one (docs/calendar.md)."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        today = service_day(hall, uow.now())
        calendar = calendar_out(HallCalendar.of_hall(hall), today)
        off_calendar = booking.off_calendar_by_day(uow, hall, today, COMING_DAYS)
    return admin_page(
        "manager/admin/calendar.html",
        calendar=calendar,
        off_calendar=off_calendar,
        weekday=lambda d: format_date(d, "EEE"),
    )


@bp.get("/admin/door.svg")
@login_required
def door_qr() -> Response:
    """The QR code for the hall's door (我已到达): a citizen with a booking scans it to check in
    from the phone. Staff only: it is printed and put up at the door, not published."""
    require_manager()
    with state().db.read() as uow:
        code = current_hall(uow).code
    door = door_token(state().settings.secret_key(), code)
    svg = qr_svg(url_for("kiosk.arrive", door=door, _external=True))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.get("/admin/bookings")
@login_required
def admin_bookings() -> Any:
    """A day's bookings (today by default, ?day=2026-12-08): time, service, name, code and
    whether they came. Booking for a citizen on the telephone (电话预约) is the citizen's own
    page, /book, opened by the staff."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        today = service_day(hall, uow.now())
        try:
            day = date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else today
        except ValueError:
            abort(404)
        rows = [booking_out(hall, a) for a in booking.of_day(uow, hall, day)]
    return admin_page(
        "manager/admin/bookings.html",
        bookings=rows,
        day=day,
        days=[today + timedelta(days=n) for n in range(-1, 8)],
        local=_local_time(),
    )
