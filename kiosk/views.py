"""The kiosk page (/kiosk/<id>), the phone page (/t/<key>) and its QR code, and the
citizen's booking pages (/book, /book/<code>)."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from flask import Response, abort, render_template, request, url_for
from sqlalchemy import select

from evaluation.strings import rating_strings_for
from hallq.present import API_PREFIX
from hallq.present.booking import booking_out
from hallq.present.catalog import departments_out, topics_out
from hallq.present.hall_map import clean_floor_plan, lit_plan
from hallq.present.qr import qr_svg
from hallq.present.tickets import ticket_out
from hallq.present.written_notices import written_notice_out
from hallq.state import current_hall, state
from queue_core import written_notices
from queue_core.appointments import CODE_ALPHABET
from queue_core.booking import by_code, door_token
from queue_core.errors import NotFound
from queue_core.models import Ticket
from queue_core.numbering import local_time
from queue_core.spec import BookingSpec

from . import bp
from .strings import booking_strings_for, strings_for
from .voice import voice_guidance_setup

IDLE_SECONDS = 60  # back to the home screen after this long without a touch
NOTICE_SECONDS = 8  # each notice of the idle slideshow
PLAN_STYLE = (Path(__file__).parent / "static" / "hall-map.css").read_text(encoding="utf-8")
# The plan opened on its own (not as an <img>) is a document of its own: it may draw with its
# own inline style and nothing else. No script runs in it, it fetches nothing (default-src
# 'none'), and `sandbox` gives it an origin of its own, away from the hall's cookies and storage.
PLAN_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"


@bp.get("/kiosk/<kiosk_id>")
def kiosk(kiosk_id: str) -> Any:
    declared = next((k for k in state().spec.kiosks if k.id == kiosk_id), None)
    if declared is None:
        abort(404, f"hall.toml declares no kiosk {kiosk_id}")
    with state().db.read() as uow:
        hall = current_hall(uow)
        setup = {
            "kiosk": kiosk_id,
            "hall": hall.name,
            "departments": [d.model_dump() for d in departments_out(uow, hall)],
            "topics": [t.model_dump() for t in topics_out(uow, hall)],
            "strings": {"zh": strings_for("zh_CN"), "en": strings_for("en")},
            "idleSeconds": IDLE_SECONDS,
            "ticketSeconds": declared.ticket_seconds,
            "priorityPin": hall.priority_pin,
            "codeAlphabet": CODE_ALPHABET,
            "notices": [n.model_dump() for n in state().spec.notices],
            "noticeSeconds": NOTICE_SECONDS,
            "map": url_for("kiosk.hall_map") if hall.map_svg is not None or state().spec.hall.map else None,
            "api": API_PREFIX,
            "phonePage": url_for("kiosk.phone", key="KEY", _external=True),
            "voice": voice_guidance_setup() if declared.voice_guidance else None,
        }
    return render_template("kiosk/kiosk.html", setup=setup, hall_name=hall.name)


@bp.get("/kiosk/map.svg")
def hall_map() -> Response:
    """The floor plan as hallq.present.svg_sanitiser rebuilt it, with the kiosk's stylesheet
    and the windows in ?lit=4,16 (and the kiosk ?kiosk=K1) lit. Revalidated on every fetch: a manager may replace it.

    The kiosk (and the manager's page) show it as an <img>, not inlined and not in a frame: an
    image runs no script, fetches nothing and is reached by no stylesheet of the page, so even
    something the sanitiser let through could not re-base, restyle or navigate the kiosk. The
    lit windows are therefore drawn here, into the image, rather than by the page."""
    with state().db.read() as uow:
        plan = clean_floor_plan(current_hall(uow), state().map_file)
    if plan is None:
        abort(404)
    lit = {int(n) for n in request.args.get("lit", "").split(",") if n.isdigit()}
    kiosks = [request.args["kiosk"]] if request.args.get("kiosk") else []  # a guide's way to it
    svg = lit_plan(plan, lit, PLAN_STYLE, kiosks)
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": PLAN_POLICY}
    response = Response(svg, mimetype="image/svg+xml", headers=headers)
    response.set_etag(hashlib.sha256(svg).hexdigest())
    response.make_conditional(request)  # in place (it returns the same response)
    return response


@bp.get("/t/<key>")
def phone(key: str) -> Any:
    """The citizen's phone page: the ticket, live. Its address carries the ticket's
    unguessable key, printed only on the ticket."""
    with state().db.read() as uow:
        hall = current_hall(uow)
        ticket = uow.session.scalar(select(Ticket).where(Ticket.key == key, Ticket.hall_id == hall.id))
        if ticket is None:
            abort(404)
        data = ticket_out(uow, ticket).model_dump(mode="json")
        hall_name = hall.name
        # The 书面告知 the windows gave for it, as the citizen's paper says them.
        notices = [
            {
                **written_notice_out(n, ticket.number).model_dump(),
                "issued_on": f"{local_time(hall, n.issued_at):%Y-%m-%d %H:%M}",
            }
            for n in written_notices.of_ticket(uow, ticket.id)
        ]
    # With the texts of the rating widget it shares with the keypad, for the finished service.
    strings = {
        "zh": strings_for("zh_CN") | rating_strings_for("zh_CN"),
        "en": strings_for("en") | rating_strings_for("en"),
    }
    setup = {
        "ticket": data,
        "key": key,  # its room is joined with the key, which only its paper and this page hold
        "strings": strings,
        "api": API_PREFIX,
        "rating": url_for("api.phone_rating", key=key),
        "timezone": state().spec.hall.timezone,
        "remindAhead": state().spec.hall.remind_ahead,
        "postponePlaces": state().spec.hall.postpone_places,
    }
    return render_template("kiosk/phone.html", setup=setup, ticket=data, hall_name=hall_name, notices=notices)


@bp.get("/t/<key>/qr.svg")
def phone_qr(key: str) -> Response:
    with state().db.read() as uow:
        found = select(Ticket.id).where(Ticket.key == key, Ticket.hall_id == current_hall(uow).id)
        if uow.session.scalar(found) is None:
            abort(404)
    svg = qr_svg(url_for("kiosk.phone", key=key, _external=True))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@bp.get("/book")
def book() -> Any:
    """The citizen's booking page (网上预约): a service, a day, a time, then name and ID."""
    return _booking_page(None)


@bp.get("/book/qr.svg")
def book_qr() -> Response:
    """The booking page's QR code, for the hall's posters, website and notices."""
    svg = qr_svg(url_for("kiosk.book", _external=True))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@bp.get("/book/<code>/qr.svg")
def booking_qr(code: str) -> Response:
    """The booking's code as a QR code, for a kiosk's scanner (it types the code, as its
    keyboard-wedge reader does) or to show at the desk."""
    with state().db.read() as uow:
        try:
            found = by_code(uow, current_hall(uow), code).code
        except NotFound:
            abort(404)
    return Response(qr_svg(found), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@bp.get("/book/<code>")
def booking(code: str) -> Any:
    """One booking, by its code: when, what to bring, and cancelling it."""
    with state().db.read() as uow:
        try:
            hall = current_hall(uow)
            found = booking_out(hall, by_code(uow, hall, code)).model_dump(mode="json")
        except NotFound:
            abort(404)
    return _booking_page(found)


@bp.get("/arrive/<door>")
def arrive(door: str) -> Any:
    """我已到达: where the QR code on the hall's door leads. The citizen's booking (remembered
    by this phone, or its code typed) checks in from here within its slot."""
    with state().db.read() as uow:
        code = current_hall(uow).code
    if not hmac.compare_digest(door.encode(), door_token(state().settings.secret_key(), code).encode()):
        abort(404)
    return _booking_page(None, door=door)


def _booking_page(found: dict[str, Any] | None, door: str | None = None) -> Any:
    with state().db.read() as uow:
        hall = current_hall(uow)
        hall_name = hall.name
    setup = {
        "api": API_PREFIX,
        "booking": found,
        "door": door,
        "ticketPage": url_for("kiosk.phone", key="KEY"),
        "remoteGraceMinutes": BookingSpec.of_hall(hall).remote_grace_minutes,
        "page": url_for("kiosk.booking", code="CODE"),
        "qr": url_for("kiosk.booking_qr", code="CODE"),
        "timezone": state().spec.hall.timezone,
        "strings": {"zh": booking_strings_for("zh_CN"), "en": booking_strings_for("en")},
    }
    return render_template("kiosk/book.html", setup=setup, hall_name=hall_name)
