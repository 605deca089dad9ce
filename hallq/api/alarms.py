"""Alarms (超时预警) of the managers' dashboard: the list, acknowledging one (确认), and a kiosk's 求助.
Managers and admins acknowledge; supervisors (电子监察) read them too."""

from __future__ import annotations

from flask_login import current_user

from queue_core import alarms
from queue_core.models import GUIDES, MANAGERS, OVERSIGHT, AlarmKind

from ..present.alarms import AlarmOut, alarm_out
from ..state import current_hall, state
from . import bp, doc
from .schemas import AlarmQuery, IncidentAcknowledgement


@doc.operation(
    bp,
    "/alarms",
    "GET",
    summary="List the alarms",
    tag="alarms",
    query=AlarmQuery,
    roles=OVERSIGHT,
    responses={200: ("Alarms, newest first (with open=true only those not cleared)", AlarmOut)},
)
def list_alarms(query: AlarmQuery) -> list[AlarmOut]:
    with state().db.read() as uow:
        rows = alarms.listing(uow, current_hall(uow), open_only=query.open, limit=query.limit)
        return [alarm_out(a) for a in rows]


@doc.operation(
    bp,
    "/alarms/<int:alarm_id>/acknowledge",
    "POST",
    summary="Acknowledge an alarm",
    tag="alarms",
    roles=MANAGERS,
    responses={
        200: ("The alarm, acknowledged by you; it stays open while its condition holds", AlarmOut),
        404: ("No such alarm", None),
        409: ("Already acknowledged (the answer names by whom)", None),
    },
)
def acknowledge_alarm(alarm_id: int) -> AlarmOut:
    with state().db.write() as uow:
        return alarm_out(alarms.acknowledge(uow, current_hall(uow), alarm_id, current_user.id))


@doc.operation(
    bp,
    "/alarms/acknowledge",
    "POST",
    summary="Acknowledge an incident, or every open alarm of a kind (全部确认)",
    tag="alarms",
    roles=MANAGERS,
    body=IncidentAcknowledgement,
    responses={200: ("The alarms acknowledged by you (none when someone was first)", AlarmOut)},
)
def acknowledge_incident(body: IncidentAcknowledgement) -> list[AlarmOut]:
    with state().db.write() as uow:
        hall = current_hall(uow)
        found = alarms.acknowledge_incident(uow, hall, body.kind, body.incident, current_user.id)
        return [alarm_out(a) for a in found]


@doc.operation(
    bp,
    "/help/<int:alarm_id>/answer",
    "POST",
    summary="我去处理: a guide answers a kiosk's 求助",
    tag="alarms",
    roles=GUIDES,
    responses={
        200: (
            "The help call, acknowledged by you and so cleared on every guide's page and dashboard",
            AlarmOut,
        ),
        404: ("No such help call", None),
        409: ("Another guide answered it first (the answer names who)", None),
    },
)
def answer_help(alarm_id: int) -> AlarmOut:
    with state().db.write() as uow:
        return alarm_out(alarms.answer_help(uow, current_hall(uow), alarm_id, current_user.id))


@doc.operation(
    bp,
    "/help",
    "POST",
    summary="求助: a citizen at the kiosk asks for a guide",
    tag="alarms",
    roles=("device:kiosk",),
    responses={
        201: ("The help alarm, raised", AlarmOut),
        200: ("Help was asked for already and nobody has answered yet: the same alarm", AlarmOut),
    },
)
def ask_for_help() -> tuple[AlarmOut, int]:
    kiosk = current_user.device_id
    name = next((k.name for k in state().spec.kiosks if k.id == kiosk), "")
    with state().db.write() as uow:
        hall = current_hall(uow)
        raised = alarms.help_requested(uow, hall, kiosk, name)
        if raised is not None:
            return alarm_out(raised), 201
        standing = alarms.open_alarm(uow, hall, AlarmKind.HELP_REQUESTED, f"kiosk:{kiosk}")
        assert standing is not None  # raise_alarm found it open
        return alarm_out(standing), 200
