"""The API's request models: they validate the JSON bodies and query strings, and the OpenAPI
document is made from them. The response models are hallq.present's, shared with the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from queue_core import UnitOfWork
from queue_core.errors import Invalid
from queue_core.identity import normalise_id_number
from queue_core.models import AlarmKind, Hall, Outcome, Priority
from queue_core.numbering import FIRST_DAY, LAST_DAY, service_day
from queue_core.spec import QUEUE_CODE_LENGTH, Reason, WindowQueues, no_nul_bytes

from .openapi import DB_INT_MAX

# An id or a window's number, as the databases can hold it.
DbInt = Annotated[int, Field(ge=1, le=DB_INT_MAX)]
# A resident ID number, normalised (18 characters, upper case X) once its check digit holds.
IdNumber = Annotated[str, Field(max_length=18), AfterValidator(normalise_id_number)]
QueueCode = Annotated[str, Field(pattern=r"^[A-Z]{1,2}$", max_length=QUEUE_CODE_LENGTH)]
# Chosen by the client per tap, so that a tap sent twice does one thing.
RequestId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", max_length=64)]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", max_length=10)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_nul_bytes = model_validator(mode="before")(no_nul_bytes)


def exactly_one(first: str, second: str) -> Any:
    """A model validator: of two optional fields, exactly one must be given."""

    def check(model: Payload) -> Payload:
        if (getattr(model, first) is None) == (getattr(model, second) is None):
            raise ValueError(f"give either {first} or {second} (exactly one)")
        return model

    return model_validator(mode="after")(check)


# What a ticket request may ask for; appointment priority comes only from a check-in.
RequestedPriority = Literal[Priority.SENIOR, Priority.DISABLED, Priority.MILITARY, Priority.GREEN_CHANNEL]


class TicketRequest(Payload):
    """Give the item the citizen chose (its queue is taken) or a queue code."""

    item_id: DbInt | None = None
    queue: QueueCode | None = None
    priority: RequestedPriority | None = None
    kiosk: str | None = Field(None, max_length=40)
    guide_pin: str | None = Field(
        None,
        pattern=r"^[0-9]{4,8}$",
        max_length=8,
        description="A kiosk's priority ticket, where the hall requires it",
    )
    id_number: IdNumber | None = Field(
        None,
        description="The holder's resident ID number, where the queue limits tickets per person; never stored",
    )
    request_id: RequestId | None = Field(
        None, description="Chosen by the client per tap; the same id again returns the same ticket (200)"
    )

    _one_target = exactly_one("item_id", "queue")


def _within_the_halls_years(moment: datetime) -> datetime:
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise ValueError(f"must lie between {FIRST_DAY} and {LAST_DAY}")
    return moment


def _as_utc(moment: datetime) -> datetime:
    """The hall's convention, as its database keeps moments: UTC, whatever offset came."""
    return moment.astimezone(UTC)


# A moment with its time zone, in the years a hall's records can be about.
HallTime = Annotated[AwareDatetime, AfterValidator(_within_the_halls_years), AfterValidator(_as_utc)]


class AppointmentRequest(Payload):
    item_id: DbInt
    slot_start: HallTime = Field(description="With its time zone, e.g. 2026-11-23T09:00:00+08:00")
    slot_end: HallTime | None = Field(None, description="Default: 30 minutes after the start")
    name: str = Field("", max_length=60)
    id_number: IdNumber | None = Field(
        None,
        description="The booker's resident ID number, to find the booking for their export or erasure "
        "(/personal-data); only a keyed hash is stored",
    )


class CheckInByIdRequest(Payload):
    id_number: IdNumber = Field(description="The booker's resident ID number; hashed, never stored")
    request_id: RequestId | None = None


class PersonalDataRequest(Payload):
    id_number: IdNumber = Field(
        description="The citizen's resident ID number; hashed, never stored or logged"
    )


class CheckInRequest(Payload):
    request_id: RequestId | None = None


class ItemQuery(Payload):
    q: str = Field(
        "",
        max_length=60,
        description="Chinese text, full pinyin (shebao), initials (sbk) or both (社bao), of a name or keyword",
    )
    department: str | None = Field(None, max_length=20, description="a department code")
    topic: str | None = Field(None, max_length=20, description="a life-event topic, such as 婚姻")
    limit: int = Field(50, ge=1, le=200)


class FinishRequest(Payload):
    outcome: Outcome = Outcome.COMPLETED


class NoShowRequest(Payload):
    requeue: bool = False


class TransferRequest(Payload):
    queue: QueueCode | None = None
    window: DbInt | None = None
    note: str = Field("", max_length=200)

    _one_target = exactly_one("queue", "window")


class CallNumberRequest(Payload):
    number: str = Field(min_length=1, max_length=16)


class PauseRequest(Payload):
    reason: str = Field(min_length=1, max_length=80, description="e.g. 休息, 会议, 外出, 系统故障")


class ResetRequest(Payload):
    reason: str = Field(
        min_length=1, max_length=200, description="Why the window is reset, for the audit log"
    )


# -- printing and notices -------------------------------------------------------------------


class NoticeRequest(Payload):
    kiosk: str | None = Field(None, max_length=40, description="Staff only: the kiosk whose printer to use")


class HallNoticeRequest(Payload):
    title: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=600)
    minutes: int | None = Field(
        None, ge=1, le=7 * 24 * 60, description="Shown for this long; until withdrawn if none"
    )


# -- 好差评 -------------------------------------------------------------------------------


class RatingRequest(Payload):
    score: int = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: list[Reason] = Field(
        default_factory=list, max_length=10, description="With a bad rating: reasons from the hall's list"
    )
    comment: str = Field("", max_length=500)


class Period(Payload):
    """A period of service days, today unless given."""

    from_: Day | None = Field(None, alias="from", description="YYYY-MM-DD; today if none")
    to: Day | None = Field(None, description="YYYY-MM-DD, inclusive; from if none")

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


def period(uow: UnitOfWork, hall: Hall, query: Period) -> tuple[date, date]:
    """The first and last service day a query asks for: today when it names none."""
    try:
        first = date.fromisoformat(query.from_) if query.from_ else service_day(hall, uow.now())
        last = date.fromisoformat(query.to) if query.to else first
    except ValueError as exc:
        raise Invalid(f"not a date: {exc}") from exc
    if last < first:
        raise Invalid(f"the period ends ({last}) before it begins ({first})")
    if first < FIRST_DAY or last > LAST_DAY:
        raise Invalid(f"a period must lie between {FIRST_DAY} and {LAST_DAY}")
    return first, last


class PeriodQuery(Period):
    window: DbInt | None = None
    staff: str | None = Field(None, max_length=60, description="a clerk's username")
    item: str | None = Field(None, max_length=40, description="a service item's code")


class RatingListQuery(PeriodQuery):
    status: Literal["awaiting", "unrated", "rated", "defaulted"] | None = None
    limit: int = Field(200, ge=1, le=1000)


class CaseStepRequest(Payload):
    action: Literal["verify", "appeal", "uphold", "reject", "rectify", "callback", "close", "assign"]
    note: str = Field(min_length=1, max_length=1000)
    owner: str | None = Field(
        None, max_length=60, description="Username of the next stage's owner; you if none"
    )


class CaseQuery(Payload):
    stage: str | None = Field(
        None, max_length=10, description="open, verify, rectify, callback, close, review or closed"
    )
    overdue: bool | None = None
    window: DbInt | None = None
    staff: str | None = Field(None, max_length=60, description="the rated clerk's username")


# -- statistics ---------------------------------------------------------------------------


class StatsQuery(Period):
    group_by: Literal["queue", "item", "department", "window", "staff"] | None = None


# -- audit trail ----------------------------------------------------------------------------


class AuditQuery(Payload):
    """Entries newest first; every filter is optional (no dates: the whole trail)."""

    from_: Day | None = Field(None, alias="from", description="YYYY-MM-DD, the hall's local day")
    to: Day | None = Field(None, description="YYYY-MM-DD, inclusive")
    actor: str | None = Field(
        None,
        max_length=60,
        description="Who acted: a username, a device id (K1, P3 …) or a kind (kiosk, citizen …)",
    )
    action: str | None = Field(
        None, max_length=60, description="The action, e.g. api.call_next or auth.login"
    )
    limit: int = Field(200, ge=1, le=1000)

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class TicketLookup(Payload):
    """A ticket by its number today (A012, as the citizen reads it out) or by its key (its QR)."""

    number: str | None = Field(None, pattern=r"^[A-Za-z]{1,2}[0-9]{1,6}$", max_length=8)
    key: str | None = Field(None, min_length=8, max_length=64)

    _one_target = exactly_one("number", "key")


# -- alarms (超时预警) ----------------------------------------------------------------------


class AlarmQuery(Payload):
    open: bool = Field(False, description="only the open ones (not cleared); newest first either way")
    limit: int = Field(200, ge=1, le=1000)


class WindowQueuesChange(WindowQueues):
    advised: bool = Field(
        False, description="Applied from the dashboard's advice (潮汐窗口): the audit entry says so"
    )


DayType = Literal["today", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class PlanQuery(Payload):
    day_type: DayType = Field("today", description="today, or a weekday over the last 8 weeks (mon … sun)")


PlanQueueCode = Annotated[str, Field(min_length=1, max_length=QUEUE_CODE_LENGTH)]
Hour = Annotated[str, Field(max_length=2, pattern=r"^([01]?[0-9]|2[0-3])$")]  # JSON keys are strings
WindowsInHour = Annotated[float, Field(ge=0, le=200)]


class PlanPlay(Payload):
    """A staffing plan to play on a day type's demand: windows per queue per hour."""

    day_type: DayType = "today"
    plan: dict[PlanQueueCode, Annotated[dict[Hour, WindowsInHour], Field(max_length=24)]] = Field(
        max_length=100,
        description='Per queue code, per hour of the day (0–23), the windows serving it (0–200): {"A": {"9": 2.5}}',
    )
    replications: int = Field(4, ge=1, le=20)
    seed: int = Field(0, ge=0, le=1_000_000)

    def windows(self) -> dict[str, dict[int, float]]:
        """The plan with its hours as numbers, as queue_core.planner reads it."""
        return {code: {int(hour): n for hour, n in hours.items()} for code, hours in self.plan.items()}


class IncidentAcknowledgement(Payload):
    kind: AlarmKind
    incident: str | None = Field(
        None,
        max_length=120,
        description='The incident (an alarm\'s "incident": "queue:A", "window:3" ...); none: every '
        "open alarm of the kind (全部确认)",
    )


class AgentPrinterReport(Payload):
    status: Literal["online", "paper_low", "paper_out", "cover_open", "offline", "unknown"]
    error: str | None = Field(None, max_length=300)


class AgentReport(Payload):
    version: str = Field("", max_length=40, description="The agent's Hallq version")
    printers: dict[Annotated[str, Field(max_length=60)], AgentPrinterReport] = Field(
        default_factory=dict, max_length=64, description="Each of its printers by name, as it found them"
    )


class PrintResult(Payload):
    status: Literal["printed", "sent", "failed"]
    printer: str = Field(max_length=60, description="The printer that printed it, or tried last")
    url: str = Field("", max_length=300)
    bytes: int = Field(0, ge=0, le=10_000_000)
    reprinted: bool = False
    error: str = Field("", max_length=2000)
    problems: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=50)


class DocumentQuery(Payload):
    printer: str = Field(max_length=60, description="The printer to draw it for: one of the agent's")
    reprint: bool = Field(False, description="Marked 重打: printed again after a fault mid-job")
