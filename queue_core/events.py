"""Domain events: what happened, with everything a display needs to show it. They are
produced inside a transaction and published only after it commits."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class DomainEvent:
    name: ClassVar[str]
    hall_id: int

    def payload(self) -> dict[str, Any]:
        """JSON-ready fields (times as ISO 8601 UTC), without the hall id."""
        return {f.name: _json_ready(getattr(self, f.name)) for f in fields(self) if f.name != "hall_id"}

    def audit_payload(self) -> dict[str, Any]:
        """What the audit trail keeps of it: the payload, less any personal value (the
        trail is kept for ever, personal data only for its days: queue_core.retention)."""
        return self.payload()


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class TicketIssued(DomainEvent):
    name: ClassVar[str] = "ticket_issued"
    ticket_id: int
    number: str
    queue: str
    priority: str | None
    at: datetime


@dataclass(frozen=True)
class TicketCalled(DomainEvent):
    name: ClassVar[str] = "ticket_called"
    ticket_id: int
    number: str
    queue: str
    queue_name: str
    window: int
    window_name: str
    recall: bool
    at: datetime


@dataclass(frozen=True)
class TicketChanged(DomainEvent):
    """Any other step of a ticket (started, finished, no_show, requeued, transferred...)."""

    name: ClassVar[str] = "ticket_changed"
    ticket_id: int
    number: str
    queue: str
    status: str
    step: str
    window: int | None
    at: datetime


@dataclass(frozen=True)
class WindowState(DomainEvent):
    """A window as it is now: the same shape as the API's window (hallq.present.windows.WindowOut),
    so that a page draws a push and an answer alike."""

    name: ClassVar[str] = "window_state"
    number: int
    # Its name (the event's own name is the class's `name`; a dataclass field may not shadow it).
    title: str
    # The queues it serves, in its order: a manager may change them during the day.
    queues: list[str]
    state: str  # closed / idle / called / serving / paused
    pause_reason: str | None
    since: datetime | None
    clerk: dict[str, str] | None  # {name, badge}
    # {id, number, queue, status, item, since}: since is when it was called, or started once served.
    current: dict[str, Any] | None

    def payload(self) -> dict[str, Any]:
        fields_ = super().payload()
        return {"number": fields_.pop("number"), "name": fields_.pop("title"), **fields_}


@dataclass(frozen=True)
class QueueState(DomainEvent):
    name: ClassVar[str] = "queue_state"
    queue: str
    queue_name: str
    waiting: int
    oldest_issued_at: datetime | None  # the longest-waiting ticket's issue time
    # The ids of its waiting tickets in the order they will be called: a citizen's phone page
    # finds its place here, with no request per call.
    line: list[int]


@dataclass(frozen=True)
class QueueWaits(DomainEvent):
    """Each queue's expected wait for a ticket taken now (queue_core.wait_forecast), by code:
    its 80 % range [low, high] in seconds, or None where nothing honest can be said. Sent to
    the hall boards every minute by the sweeper (hallq.sweeper): the forecast moves with the
    day's pace, not with each ticket, so no request pays for it."""

    name: ClassVar[str] = "queue_waits"
    waits: dict[str, tuple[int, int] | None]


@dataclass(frozen=True)
class AdviceChanged(DomainEvent):
    """The advisor's moves now (queue_core.advisor: which window should serve which queue too,
    with the waits before and after), to the managers' dashboards every minute by the sweeper,
    like the boards' QueueWaits: read, never written."""

    name: ClassVar[str] = "advice"
    moves: list[dict[str, Any]]


@dataclass(frozen=True)
class PrintDone(DomainEvent):
    """A print job ended (printed, sent or failed): the kiosk that asked, the citizen's
    phone page and the dashboard hear of it."""

    name: ClassVar[str] = "print_done"
    job_id: int
    kind: str
    kiosk: str
    ticket_id: int | None
    status: str
    printer: str
    reprinted: bool
    error: str


@dataclass(frozen=True)
class PrintQueued(DomainEvent):
    """A print job is waiting for the agent (hall PC) that drives its printer, or for the
    server (agent ""), to claim it."""

    name: ClassVar[str] = "print_job"
    job_id: int
    agent: str
    kiosk: str
    printer: str


@dataclass(frozen=True)
class PrinterState(DomainEvent):
    """A printer's state changed (paper low or out, cover open, offline, back online)."""

    name: ClassVar[str] = "printer_state"
    printer: str
    kiosk: str
    url: str
    status: str
    alarm: bool
    error: str | None
    away: bool = False  # the hall PC's agent that drives it is offline: nothing can reach it


@dataclass(frozen=True)
class NoticeChanged(DomainEvent):
    """A manager posted a notice to the hall boards, or withdrew one (withdrawn: true)."""

    name: ClassVar[str] = "notice"
    id: int
    title: str
    text: str
    until: datetime | None
    withdrawn: bool


@dataclass(frozen=True)
class EvaluationRequested(DomainEvent):
    """A service just finished: its window's keypad asks the citizen to rate it, until
    `expires_at`. Only that window's keypad hears it."""

    name: ClassVar[str] = "evaluation_request"
    evaluation_id: int
    window: int
    ticket_id: int
    number: str
    item: str | None
    queue_name: str
    clerk_name: str | None
    clerk_badge: str | None
    expires_at: datetime


@dataclass(frozen=True)
class EvaluationClosed(DomainEvent):
    """The keypad's question is over: rated (on the keypad or the phone page), expired (not
    rated in time), or superseded (the window finished its next service first). Without the
    score: the ticket's room hears it, and ratings are for managers (the API)."""

    name: ClassVar[str] = "evaluation_closed"
    evaluation_id: int
    window: int
    ticket_id: int
    number: str
    reason: str


@dataclass(frozen=True)
class CaseChanged(DomainEvent):
    """A bad rating's follow-up case opened or moved on (the managers' desk hears of it)."""

    name: ClassVar[str] = "evaluation_case"
    case_id: int
    number: str
    window: int
    score: int
    stage: str
    owner: str | None
    deadline: str  # ISO date: the current stage's last working day


@dataclass(frozen=True)
class WrittenNoticeGiven(DomainEvent):
    """A window gave the citizen a written notice (queue_core.written_notices): for the audit
    trail; no screen follows it."""

    name: ClassVar[str] = "written_notice"
    notice_id: int
    kind: str
    number: str  # 告知〔2026〕第 0001 号
    ticket: str
    window: int


@dataclass(frozen=True)
class AlarmChanged(DomainEvent):
    """An alarm (超时预警) was raised, acknowledged or cleared (the managers' dashboard hears it).
    `state` is open, acknowledged (still holding, seen by a manager) or cleared."""

    name: ClassVar[str] = "alarm"
    id: int
    kind: str
    subject: str
    incident: str  # the queue or window its kind gathers by, else its subject (alarms.incident_of)
    label: str
    message: str
    detail: dict[str, Any]
    state: str
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None  # the manager's name
    cleared_at: datetime | None

    def audit_payload(self) -> dict[str, Any]:
        """A bad rating's alarm carries the citizen's comment for the dashboard; the trail
        keeps the rating's id (in the detail) instead."""
        payload = self.payload()
        if "comment" in self.detail:
            payload["detail"] = {key: value for key, value in payload["detail"].items() if key != "comment"}
        return payload
