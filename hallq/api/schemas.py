"""The API's request and response models: they validate, and the OpenAPI document is made
from them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from queue_core.identity import normalise_id_number
from queue_core.models import Outcome, Priority

from .openapi import DB_INT_MAX

# An id or a window's number, as the databases can hold it.
DbInt = Annotated[int, Field(ge=1, le=DB_INT_MAX)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def exactly_one(first: str, second: str) -> Any:
    """A model validator: of two optional fields, exactly one must be given."""

    def check(model: Payload) -> Payload:
        if (getattr(model, first) is None) == (getattr(model, second) is None):
            raise ValueError(f"give either {first} or {second} (exactly one)")
        return model

    return model_validator(mode="after")(check)


# -- requests ---------------------------------------------------------------------------


# What a ticket request may ask for; appointment priority comes only from a check-in.
RequestedPriority = Literal[Priority.SENIOR, Priority.DISABLED, Priority.MILITARY, Priority.GREEN_CHANNEL]


class TicketRequest(Payload):
    """Give the item the citizen chose (its queue is taken) or a queue code."""

    item_id: DbInt | None = None
    queue: str | None = Field(None, pattern=r"^[A-Z]{1,2}$")
    priority: RequestedPriority | None = None
    kiosk: str | None = Field(None, max_length=40)
    guide_pin: str | None = Field(
        None, pattern=r"^[0-9]{4,8}$", description="A kiosk's priority ticket, where the hall requires it"
    )
    id_number: str | None = Field(
        None,
        description="The holder's resident ID number, where the queue limits tickets per person; never stored",
    )
    request_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Chosen by the client per tap; the same id again returns the same ticket (200)",
    )

    _one_target = exactly_one("item_id", "queue")

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str | None) -> str | None:
        return None if value is None else normalise_id_number(value)


class AppointmentRequest(Payload):
    item_id: DbInt
    slot_start: AwareDatetime = Field(description="With its time zone, e.g. 2026-11-23T09:00:00+08:00")
    slot_end: AwareDatetime | None = Field(None, description="Default: 30 minutes after the start")
    name: str = Field("", max_length=60)


class CheckInRequest(Payload):
    request_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


class ItemQuery(Payload):
    q: str = Field("", max_length=60, description="Chinese text, full pinyin (hunyin) or initials (hydj)")
    department: str | None = Field(None, max_length=20, description="a department code")
    topic: str | None = Field(None, max_length=20, description="a life-event topic, such as 婚姻")
    limit: int = Field(50, ge=1, le=200)


class FinishRequest(Payload):
    outcome: Outcome = Outcome.COMPLETED


class NoShowRequest(Payload):
    requeue: bool = False


class TransferRequest(Payload):
    queue: str | None = Field(None, pattern=r"^[A-Z]{1,2}$")
    window: DbInt | None = None
    note: str = Field("", max_length=200)

    _one_target = exactly_one("queue", "window")


class CallNumberRequest(Payload):
    number: str = Field(min_length=1, max_length=16)


class PauseRequest(Payload):
    reason: str = Field(min_length=1, max_length=80, description="e.g. 休息, 会议, 外出, 系统故障")


# -- responses --------------------------------------------------------------------------


class QueueOut(BaseModel):
    code: str
    name: str
    name_en: str
    waiting: int
    windows: list[int]
    needs_id: bool = Field(description="Tickets need the holder's ID number (a per-person daily limit)")


class WindowBrief(BaseModel):
    number: int
    name: str


class ItemSummary(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    department: str
    queue: str
    kind: str = Field(description="instant (即办件) or commitment (承诺件)")
    promised_limit_days: int


class ItemDetail(ItemSummary):
    department_name: str
    queue_name: str
    legal_limit_days: int
    applicant: str
    basis: list[str]
    materials: list[str]
    conditions: list[str]
    procedure: list[str]
    fees: str
    fee_basis: str
    authority: str
    topics: list[str]
    windows: list[WindowBrief]
    needs_id: bool = Field(description="Its tickets need the holder's ID number (a per-person daily limit)")


class DepartmentOut(BaseModel):
    code: str
    name: str
    items: int


class TopicOut(BaseModel):
    name: str
    items: int


class TicketOut(BaseModel):
    id: int
    number: str
    queue: str
    queue_name: str
    item_id: int | None
    item_name: str | None
    priority: Priority | None
    status: str
    waiting_ahead: int
    estimated_wait_seconds: int | None = Field(
        description="From today's handling times in the queue; null until there are some"
    )
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    window: WindowBrief | None = Field(description="The window it was called to")
    windows: list[WindowBrief] = Field(description="Where it will be served")
    print: PrintOut | None = Field(None, description="Its latest print job, when a kiosk printed it")


class IssuedTicketOut(TicketOut):
    key: str = Field(description="Unguessable key for the citizen's phone page; print it only on the ticket")


class AppointmentOut(BaseModel):
    code: str = Field(description="What the citizen enters or scans at the kiosk")
    item_id: int
    item_name: str
    slot_start: datetime
    slot_end: datetime
    name: str
    status: str


class ClerkOut(BaseModel):
    name: str
    badge: str


class CurrentTicketOut(BaseModel):
    id: int
    number: str
    queue: str
    status: str
    item: str | None


class WindowOut(BaseModel):
    number: int
    name: str
    queues: list[str]
    state: str = Field(description="closed, idle, called, serving or paused")
    pause_reason: str | None
    since: datetime | None
    clerk: ClerkOut | None
    current: CurrentTicketOut | None


class QueueLoadOut(BaseModel):
    code: str
    name: str
    waiting: int
    oldest_issued_at: datetime | None = Field(description="When the longest-waiting ticket was issued")


class ClerkDayOut(BaseModel):
    served: int = Field(description="Tickets the clerk finished today")
    average_handle_seconds: int | None = Field(description="From start (开始办理) to finish (办结)")


class PanelOut(BaseModel):
    """Everything a clerk's window panel shows."""

    window: WindowOut
    yours: bool = Field(description="The caller may act here: the clerk signed in, a manager, its caller")
    ticket: TicketOut | None = Field(description="The ticket called to or served at the window")
    transfer_note: str | None = Field(description="The note of the transfer that brought the ticket here")
    queues: list[QueueLoadOut] = Field(description="The window's queues, in its order of preference")
    waiting_here: int = Field(description="Tickets transferred to this very window, waiting")
    today: ClerkDayOut | None = Field(description="The signed-in clerk's day so far")


class WindowActionOut(PanelOut):
    """A clerk's action: the panel after it, and the ticket it moved."""

    acted_on: TicketOut | None = Field(
        description="The ticket the action called, started, finished, marked absent or transferred: "
        "after a finish it is no longer the window's"
    )


class PrintOut(BaseModel):
    job_id: int
    queued: bool = Field(
        description="Handed to the kiosk's printer; false when every printer of it is out of order"
    )
    status: Literal["queued", "printed", "sent", "failed"] = Field(
        description="printed: the printer reported itself fine afterwards; sent: every byte went out "
        "but the printer does not report its state; failed: see error"
    )
    printer: str | None
    reprinted: bool = Field(description="Printed a second time (marked 重打) after a printer was interrupted")
    error: str | None
    problems: list[str] = Field(
        description="What could not be printed as laid out, such as a character the printer's encoding lacks"
    )
    at: datetime | None = Field(description="When it ended")


class NoticeRequest(Payload):
    kiosk: str | None = Field(None, max_length=40, description="Staff only: the kiosk whose printer to use")


class HallNoticeRequest(Payload):
    title: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=600)
    minutes: int | None = Field(
        None, ge=1, le=7 * 24 * 60, description="Shown for this long; until withdrawn if none"
    )


class HallNoticeOut(BaseModel):
    id: int | None = Field(description="None for the hall's standing notices of hall.toml")
    title: str
    text: str
    until: datetime | None


class PrinterOut(BaseModel):
    name: str = Field(description='The kiosk\'s id, or "<kiosk> backup"')
    kiosk: str
    url: str
    mode: Literal["text", "image"]
    paper: int
    status: Literal["online", "paper_low", "paper_out", "cover_open", "offline", "unknown"]
    alarm: bool = Field(description="Needs a person: paper low or out, cover open, offline")
    error: str | None
    last_job: PrintOut | None


# -- 好差评 -------------------------------------------------------------------------------


class RatingRequest(Payload):
    score: int = Field(ge=1, le=5, description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    reasons: list[str] = Field(
        default_factory=list, max_length=10, description="With a bad rating: reasons from the hall's list"
    )
    comment: str = Field("", max_length=500)


class EvaluationOut(BaseModel):
    id: int
    ticket: str = Field(description="The ticket's number")
    ticket_id: int
    window: int
    clerk: ClerkOut | None
    item: str | None
    department: str | None
    service_day: str
    status: Literal["awaiting", "unrated", "rated", "defaulted"]
    score: int | None
    reasons: list[str]
    comment: str
    channel: Literal["keypad", "phone", "default"] | None
    requested_at: datetime
    rated_at: datetime | None
    case_id: int | None = Field(description="The follow-up case of a bad rating")


class PhoneRatingOut(BaseModel):
    """What a ticket's phone page may do about rating its service."""

    status: Literal["awaiting", "unrated", "rated", "defaulted"]
    score: int | None
    can_rate: bool
    rate_until: datetime
    reasons: list[str] = Field(description="The hall's reasons for a bad rating")


class Period(Payload):
    """A period of service days, today unless given."""

    from_: str | None = Field(
        None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; today if none"
    )
    to: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, inclusive; from if none"
    )

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class PeriodQuery(Period):
    window: DbInt | None = None
    staff: str | None = Field(None, max_length=60, description="a clerk's username")
    item: str | None = Field(None, max_length=40, description="a service item's code")


class RatingListQuery(PeriodQuery):
    status: Literal["awaiting", "unrated", "rated", "defaulted"] | None = None
    limit: int = Field(200, ge=1, le=1000)


class EvaluationFigures(BaseModel):
    served: int
    rated: int
    unrated: int
    defaulted: int = Field(description="Given the hall's default level; not counted as rated")
    levels: dict[str, int] = Field(description='Ratings per level, "5" 非常满意 .. "1" 非常不满意')
    good_rate: float | None = Field(description="好评率: (非常满意 + 满意) / rated")
    bad_count: int
    bad_rate: float | None = Field(description="差评率: bad ratings / rated")
    active_rate: float | None = Field(description="主动评价率: rated / served")
    rectified_rate: float | None = Field(description="差评整改率: closed cases / bad ratings")
    callback_rate: float | None = Field(description="回访率: called back / bad ratings")
    appeals_upheld: int


class WindowFigures(EvaluationFigures):
    window: int | None
    name: str | None


class StaffFigures(EvaluationFigures):
    staff: str | None
    name: str | None
    badge: str | None


class ItemFigures(EvaluationFigures):
    item: str | None
    name: str | None


class DepartmentFigures(EvaluationFigures):
    department: str | None
    name: str | None


class EvaluationSummaryOut(EvaluationFigures):
    from_: str = Field(alias="from")
    to: str
    by_window: list[WindowFigures]
    by_staff: list[StaffFigures]
    by_item: list[ItemFigures]
    by_department: list[DepartmentFigures]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


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


class CaseStepOut(BaseModel):
    action: str
    from_stage: str | None
    to_stage: str
    by: str | None
    owner: str | None
    note: str
    deadline: str | None
    at: datetime


class CaseOut(BaseModel):
    id: int
    stage: str
    owner: str | None = Field(description="The current stage's owner (username)")
    owner_name: str | None
    deadline: str = Field(description="The current stage's last working day")
    overdue: bool
    opened_at: datetime
    closed_at: datetime | None
    resolution: str | None
    called_back: bool
    next_actions: list[str]
    evaluation: EvaluationOut
    steps: list[CaseStepOut]


# -- statistics ---------------------------------------------------------------------------


class StatsQuery(Period):
    group_by: Literal["queue", "item", "department", "window", "staff"] | None = None


class DurationFigures(BaseModel):
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class StatsFigures(BaseModel):
    issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    wait: DurationFigures = Field(description="Seconds from issue to the last call, over called tickets")
    handle: DurationFigures = Field(description="Seconds from start to finish, over served tickets")
    service_level: float | None = Field(description="Called within the queue's target wait / called")
    throughput_per_hour: float | None
    utilisation: float | None = Field(description="Handling time / open time (hall, window, clerk)")
    evaluation: EvaluationFigures = Field(
        description="好差评 of the services finished in the period (the group's, for a group)"
    )


class StatsGroup(StatsFigures):
    queue: str | None = None
    item: str | None = None
    department: str | None = None
    window: int | None = None
    staff: str | None = None
    name: str | None = None
    badge: str | None = None


class StatsSummaryOut(StatsFigures):
    from_: str = Field(alias="from")
    to: str
    group_by: str | None
    groups: list[StatsGroup] | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


# -- audit trail ----------------------------------------------------------------------------


class AuditQuery(Payload):
    """Entries newest first; every filter is optional (no dates: the whole trail)."""

    from_: str | None = Field(
        None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, the hall's local day"
    )
    to: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD, inclusive")
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


class AuditActorOut(BaseModel):
    kind: str = Field(description="staff, kiosk, keypad, board, caller, citizen or system")
    id: str = Field(description="The username or device id; empty for a citizen")
    name: str


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: AuditActorOut
    address: str | None = Field(description="Where the request came from (IP address)")
    action: str
    subject: str = Field(description="What it acted on, usually the request's path")
    detail: dict[str, Any] = Field(description="What it did: its events, and the result of a login")
    hash: str
    prev_hash: str


# -- alarms (超时预警) ----------------------------------------------------------------------


class AlarmQuery(Payload):
    open: bool = Field(False, description="only the open ones (not cleared); newest first either way")
    limit: int = Field(200, ge=1, le=1000)


class AlarmOut(BaseModel):
    id: int
    kind: Literal[
        "wait_over_target",
        "queue_overloaded",
        "pause_too_long",
        "service_too_long",
        "printer_fault",
        "bad_rating",
    ]
    subject: str = Field(
        description='What it is about: "ticket:123", "queue:A", "window:3", "printer:K1" ...'
    )
    label: str = Field(description="The subject for people: a number, a window's name, a printer")
    message: str = Field(description="The alarm in the hall's words (Chinese)")
    detail: dict[str, Any] = Field(description="Its figures: minutes, target, waiting, window, clerk ...")
    state: Literal["open", "acknowledged", "cleared"]
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(description="The name of the manager who acknowledged it")
    cleared_at: datetime | None
