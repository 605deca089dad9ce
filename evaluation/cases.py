"""/evaluation/cases: the managers' follow-up of bad ratings (差评核实整改). The list with its
filters, and one case with its rating, its trail and a form for the next step.

A thin layer over queue_core.cases: the step goes through ``cases.act`` exactly as the API's
does, and the pages read the case as the API answers it (hallq.present's ``case_out``). Plain
HTML forms: the step is a POST with the CSRF token, answered by a redirect back with a flashed
result."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from hallq.error_texts import domain_text
from hallq.present.evaluations import case_out
from hallq.state import current_hall, state
from queue_core import UnitOfWork, accounts, cases
from queue_core.errors import DomainError, NotFound
from queue_core.halls import window_by_number, windows_of
from queue_core.models import MANAGERS, OVERSIGHT, CaseStage, EvaluationCase, Hall, Staff
from queue_core.numbering import service_day

from . import bp

LIST_LIMIT = 200  # rows on the list page; the filters narrow it down
NOTE_KEY = "case_note"  # the note of a refused step, offered again on the case's page
KEEP_NOTE_LIMIT = 400  # characters

LEVEL_NAMES = {
    5: _l("Very satisfied"),
    4: _l("Satisfied"),
    3: _l("Fair"),  # 基本满意; the same words as the rating pages
    2: _l("Dissatisfied"),
    1: _l("Very dissatisfied"),
}
STAGE_NAMES = {
    CaseStage.VERIFY: _l("Verification"),
    CaseStage.RECTIFY: _l("Rectification"),
    CaseStage.CALLBACK: _l("Call-back"),
    CaseStage.CLOSE: _l("Closing"),
    CaseStage.REVIEW: _l("Appeal review"),
    CaseStage.CLOSED: _l("Case closed"),
}
# The buttons of the step form and the trail's words for each step.
ACTION_NAMES = {
    "open": _l("Bad rating received"),
    "verify": _l("Verified"),
    "appeal": _l("Appeal"),
    "uphold": _l("Review: appeal upheld"),
    "reject": _l("Review: appeal rejected"),
    "rectify": _l("Rectified"),
    "callback": _l("Called back"),
    "close": _l("Close the case"),
    cases.REASSIGN: _l("Hand over"),
    cases.RECOUNTED: _l("Deadline recounted: the hall's calendar changed"),
}
RESOLUTION_NAMES = {
    "rectified": _l("Rectified and closed"),
    "appeal_upheld": _l("Appeal upheld"),
}
CHANNEL_NAMES = {
    "keypad": _l("Window keypad"),
    "phone": _l("Phone page"),
    "default": _l("Default rating"),
}
STAGE_FILTERS = {"": _l("All cases"), "open": _l("Still open")} | {s.value: n for s, n in STAGE_NAMES.items()}


def require_manager(*, to_change: bool = False) -> None:
    """Managers and admins; supervisors too when only reading. Anyone else gets 403
    (anonymous people were sent to the login page by login_required)."""
    if not current_user.has_role(*(MANAGERS if to_change else OVERSIGHT)):
        abort(403)


def case_counts(uow: UnitOfWork, hall: Hall) -> tuple[int, int]:
    """How many cases are open, and how many of them are overdue."""
    today = service_day(hall, uow.now())
    is_open = (EvaluationCase.hall_id == hall.id) & (EvaluationCase.stage != CaseStage.CLOSED)
    open_count = uow.session.scalar(select(func.count()).where(is_open)) or 0
    overdue = uow.session.scalar(select(func.count()).where(is_open, EvaluationCase.deadline < today)) or 0
    return open_count, overdue


def _page_context(uow: UnitOfWork, hall: Hall) -> dict[str, Any]:
    zone = ZoneInfo(hall.timezone)
    windows = {w.number: w.name for w in windows_of(uow, hall.id)}
    return {
        "hall_name": hall.name,
        "level_names": LEVEL_NAMES,
        "stage_names": STAGE_NAMES,
        "action_names": ACTION_NAMES,
        "resolution_names": RESOLUTION_NAMES,
        "channel_names": CHANNEL_NAMES,
        "window_name": lambda n: windows.get(n) or _("Window %(n)s", n=n),
        "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "",
    }


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.lower() in ("1", "true", "on", "yes")


@bp.get("/evaluation/cases")
@login_required
def case_list() -> Any:
    require_manager()
    stage = request.args.get("stage", "")
    overdue = _flag(request.args.get("overdue"))
    window = request.args.get("window", type=int)
    clerk = request.args.get("staff", "").strip()
    with state().db.read() as uow:
        hall = current_hall(uow)
        error = None
        found: list[EvaluationCase] = []
        try:
            window_id = window_by_number(uow, hall.id, window).id if window is not None else None
            found = cases.find(
                uow,
                hall,
                stage=stage or None,
                overdue=overdue,
                window_id=window_id,
                clerk_id=accounts.account(uow, hall, clerk).id if clerk else None,
            )
        except DomainError as exc:
            error = domain_text(exc)
        open_count, overdue_count = case_counts(uow, hall)
        return render_template(
            "evaluation/cases.html",
            cases=[case_out(uow, hall, c) for c in found[:LIST_LIMIT]],
            total=len(found),
            limit=LIST_LIMIT,
            error=error,
            open_count=open_count,
            overdue_count=overdue_count,
            filters={"stage": stage, "overdue": bool(overdue), "window": window, "staff": clerk},
            stage_filters=STAGE_FILTERS,
            windows=windows_of(uow, hall.id),
            staff=_active_staff(uow, hall),
            **_page_context(uow, hall),
        )


@bp.get("/evaluation/cases/<int:case_id>")
@login_required
def case_page(case_id: int) -> Any:
    require_manager()
    with state().db.read() as uow:
        hall = current_hall(uow)
        try:
            case = cases.case_by_id(uow, hall, case_id)
        except NotFound as exc:
            abort(404, exc.message)
        kept = session.pop(NOTE_KEY, None)
        kept = kept if isinstance(kept, dict) and kept.get("case") == case_id else {}
        return render_template(
            "evaluation/case.html",
            case=case_out(uow, hall, case),
            staff=_active_staff(uow, hall),
            note=kept.get("note", ""),
            owner=kept.get("owner") or current_user.username,
            note_limit=cases.NOTE_LIMIT,
            may_act=current_user.has_role(*MANAGERS),
            **_page_context(uow, hall),
        )


@bp.post("/evaluation/cases/<int:case_id>")
@login_required
def case_step(case_id: int) -> Any:
    """One step of the case, by the core; its result or its refusal is flashed."""
    require_manager(to_change=True)
    action = request.form.get("action", "")
    note = request.form.get("note", "")
    owner = request.form.get("owner", "").strip()
    try:
        with state().db.write() as uow:
            hall = current_hall(uow)
            owner_id = accounts.account(uow, hall, owner).id if owner else None
            case = cases.act(uow, hall, case_id, action, current_user.id, note, owner_id)
            message = _done_message(case_out(uow, hall, case), action)
    except DomainError as exc:
        # Nothing was done (the unit of work rolled back): what was typed is offered again,
        # when it is short enough for the session cookie (browsers drop cookies over 4 KB).
        kept = note if len(note) <= KEEP_NOTE_LIMIT else ""
        session[NOTE_KEY] = {"case": case_id, "note": kept, "owner": owner}
        flash(_("Not done: %(message)s", message=domain_text(exc)), "error")
    else:
        flash(message, "ok")
    return redirect(url_for(".case_page", case_id=case_id))


def _done_message(case: Any, action: str) -> str:
    did = ACTION_NAMES.get(action, action)
    if case.stage == CaseStage.CLOSED:
        return _("Case %(id)d: %(action)s. The case is closed.", id=case.id, action=did)
    if action == cases.REASSIGN:
        return _("Case %(id)d handed over to %(owner)s.", id=case.id, owner=case.owner_name)
    return _(
        "Case %(id)d: %(action)s. Now at %(stage)s, owned by %(owner)s, due %(deadline)s.",
        id=case.id,
        action=did,
        stage=STAGE_NAMES[CaseStage(case.stage)],
        owner=case.owner_name,
        deadline=case.deadline,
    )


def _active_staff(uow: UnitOfWork, hall: Hall) -> list[Staff]:
    people = uow.session.scalars(select(Staff).where(Staff.hall_id == hall.id, Staff.active.is_(True)))
    return sorted(people, key=lambda person: accounts.natural_key(person.username))
