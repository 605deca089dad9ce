"""The audit trail in the hall's words: what each action is called, who each kind of actor
is, and what each recorded event did ("在 4 号窗口叫号 C013"). The trail itself keeps the
stable identifiers (api.call_number, ticket_called); only the page translates them."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from queue_core.models import AuditEntry

ACTIONS = {
    "api.acknowledge_alarm": _l("Acknowledge an alarm"),
    "api.acknowledge_incident": _l("Acknowledge alarms together"),
    "api.agent_report": _l("Hall PC reports its devices"),
    "api.arrive": _l("Arrival checked in"),
    "api.arrive_remote": _l("Remote ticket checked in"),
    "api.ask_for_help": _l("Help asked for at a kiosk (求助)"),
    "api.call_next": _l("Call the next number"),
    "api.call_number": _l("Call a chosen number"),
    "api.cancel": _l("Cancel a ticket"),
    "api.cancel_booking": _l("Cancel a booking"),
    "api.case_step": _l("Follow-up of a bad rating"),
    "api.check_in_appointment": _l("Appointment checked in"),
    "api.check_in_by_id": _l("Checked in by ID card"),
    "api.claim_job": _l("Print job taken by a hall PC"),
    "api.create_appointment": _l("Appointment made by another system"),
    "api.create_booking": _l("Online booking"),
    "api.create_ticket": _l("Ticket taken"),
    "api.delete_hall_map": _l("Floor plan removed"),
    "api.enter_day": _l("Calendar day entered"),
    "api.erase_personal_data": _l("Personal data erased"),
    "api.export_personal_data": _l("Personal data exported"),
    "api.finish": _l("Service finished"),
    "api.import_catalogue": _l("Catalogue imported"),
    "api.issue_device_token": _l("Device token issued"),
    "api.issue_staff_token": _l("Staff API token issued"),
    "api.job_result": _l("Print result reported"),
    "api.make_pairing": _l("Pairing code made"),
    "api.no_show": _l("Marked absent (过号)"),
    "api.pair": _l("Device paired"),
    "api.pause": _l("Window paused"),
    "api.post_notice": _l("Notice posted"),
    "api.postpone_ticket": _l("Ticket moved back (我需要多一点时间)"),
    "api.print_notice": _l("Written notice printed"),
    "api.print_written_notice": _l("Written notice given at a window"),
    "api.put_catalogue_item": _l("Service item saved"),
    "api.put_department": _l("Department saved"),
    "api.put_hall_map": _l("Floor plan saved"),
    "api.put_item_active": _l("Service item switched on or off"),
    "api.put_queue": _l("Queue saved"),
    "api.put_staff": _l("Staff account saved"),
    "api.put_staff_password": _l("Password set"),
    "api.put_window": _l("Window saved"),
    "api.put_window_queues": _l("Window's queues set"),
    "api.rate_at_window": _l("Rated on the window's keypad"),
    "api.rate_by_key": _l("Rated on a phone"),
    "api.recall": _l("Call again (重呼)"),
    "api.reset": _l("Window reset"),
    "api.resume": _l("Window resumed"),
    "api.revoke_pairing": _l("Pairing code withdrawn"),
    "api.revoke_token": _l("Token revoked"),
    "api.sign_in": _l("Signed in at a window"),
    "api.sign_out": _l("Signed out of a window"),
    "api.start": _l("Service started"),
    "api.take_remote": _l("Ticket taken on a phone"),
    "api.transfer": _l("Ticket transferred"),
    "api.withdraw_day": _l("Calendar day withdrawn"),
    "api.withdraw_notice": _l("Notice withdrawn"),
    "auth.login": _l("Logged in"),
    "auth.logout": _l("Logged out"),
    "auth.change_password": _l("Own password changed"),
    "auth.set_language": _l("Language changed"),
    "agents.connected": _l("Hall PC connected"),
    "agents.disconnected": _l("Hall PC disconnected"),
    "alarms.sweep": _l("Alarm check"),
    "evaluations.close_expired": _l("Unrated services closed"),
    "printing.sweep": _l("Print jobs checked"),
    "remote.cancel_passed": _l("Remote tickets past their turn cancelled"),
    "day_end.void_unserved": _l("Day end: unserved numbers void"),
    "retention.anonymise": _l("Old personal data anonymised"),
    "cli.calendar_apply": _l("Calendar file applied"),
    "printing.redeliver": _l("Print jobs delivered again"),
}
ACTOR_KINDS = {
    "staff": _l("staff"),
    "kiosk": _l("kiosk"),
    "keypad": _l("keypad"),
    "board": _l("board"),
    "caller": _l("caller"),
    "agent": _l("hall PC"),
    "citizen": _l("citizen"),
    "system": _l("system"),
}
# The server's own workers, as the trail names them.
SYSTEM_ACTORS = {
    "sweeper": _l("routine checks"),
    "printer": _l("printing service"),
    "cli": _l("command line"),
}
# The server's periodic housekeeping: summarised on the page, listed when asked for.
HOUSEKEEPING = frozenset(
    {
        "alarms.sweep",
        "printing.sweep",
        "evaluations.close_expired",
        "remote.cancel_passed",
        "retention.anonymise",
    }
)
STEPS = {
    "started": _l("started serving %(number)s"),
    "finished": _l("finished %(number)s"),
    "no_show": _l("%(number)s absent"),
    "requeued": _l("%(number)s back in the queue"),
    "transferred": _l("transferred %(number)s"),
    "cancelled": _l("cancelled %(number)s"),
    "postponed": _l("%(number)s moved back"),
}


def action_name(action: str) -> str:
    named = ACTIONS.get(action)
    return str(named) if named is not None else action


def actor_name(entry: AuditEntry, badges: dict[str, str]) -> str:
    """A staff member as "刘洋（工号 1004）"; a device or the system by its kind and id."""
    if entry.actor_kind == "staff":
        name = entry.actor_name or entry.actor_id
        badge = badges.get(entry.actor_id)
        return _("%(name)s (badge %(badge)s)", name=name, badge=badge) if badge else name
    if entry.actor_kind == "system" and entry.actor_id in SYSTEM_ACTORS:
        return f"{ACTOR_KINDS['system']} · {SYSTEM_ACTORS[entry.actor_id]}"
    kind = ACTOR_KINDS.get(entry.actor_kind)
    return f"{kind} {entry.actor_id}" if kind is not None else f"{entry.actor_kind} {entry.actor_id}"


def what_happened(entry: AuditEntry) -> str:
    """The entry's events as a sentence: "在 4 号窗口叫号 C013；…". The states of windows and
    queues that follow from them are left out: they say the same again."""
    phrases = [phrase for event in entry.detail.get("events", []) if (phrase := _event_phrase(event))]
    return _("; ").join(phrases)


def _event_phrase(event: dict[str, Any]) -> str | None:
    kind = event.get("event")
    if kind == "ticket_issued":
        return _("took %(number)s", number=event.get("number", ""))
    if kind == "ticket_called":
        template = (
            _("called %(number)s again at window %(window)s")
            if event.get("recall")
            else _("called %(number)s at window %(window)s")
        )
        return template % {"number": event.get("number", ""), "window": event.get("window", "")}
    if kind == "ticket_changed":
        step = STEPS.get(event.get("step", ""))
        return str(step) % {"number": event.get("number", "")} if step is not None else None
    if kind == "written_notice":
        return _(
            "gave %(number)s for %(ticket)s at window %(window)s",
            number=event.get("number", ""),
            ticket=event.get("ticket", ""),
            window=event.get("window", ""),
        )
    if kind == "alarm":
        return _(
            "alarm %(label)s: %(state)s", label=event.get("label", ""), state=_alarm_state(event.get("state"))
        )
    return None


def _alarm_state(state: str | None) -> str:
    return {"open": _("raised"), "acknowledged": _("acknowledged"), "cleared": _("cleared")}.get(
        state or "", ""
    )
