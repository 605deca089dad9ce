"""The hall's data model (SQLAlchemy 2). Every hall-scoped row carries its hall, so one
database can serve a city's several centres. Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones) and always returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    # Named constraints, so that migrations can alter and drop them (SQLite batch mode too).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's own convention
        datetime: UTCDateTime,
        date: Date,
        time: Time,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # each model here is mapped to a table (a FromClause in general)


class TicketStatus(StrEnum):
    REMOTE = "remote"  # taken on the phone before arriving: in no line until its holder arrives
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    SENIOR = "senior"
    DISABLED = "disabled"
    MILITARY = "military"
    GREEN_CHANNEL = "green_channel"
    APPOINTMENT = "appointment"  # checked in for a booked slot


class Outcome(StrEnum):
    """How a service ended (办结 / 补正材料 / 不予受理 / 咨询)."""

    COMPLETED = "completed"
    SUPPLEMENT = "supplement"
    REJECTED = "rejected"
    CONSULTATION = "consultation"


class TicketEventKind(StrEnum):
    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    REQUEUED = "requeued"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    ARRIVED = "arrived"  # a remote ticket's holder arrived: it enters its line
    POSTPONED = "postponed"  # moved back a few places in its line, once (我需要多一点时间)


class WindowStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class WindowEventKind(StrEnum):
    SIGNED_IN = "signed_in"
    SIGNED_OUT = "signed_out"
    PAUSED = "paused"
    RESUMED = "resumed"
    RESET = "reset"  # a manager cleared a stuck window (复位窗口), with a reason


class Role(StrEnum):
    CLERK = "clerk"
    GUIDE = "guide"
    MANAGER = "manager"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # 电子监察: reads everything, changes nothing
    CITY = "city"  # 市级监管: reads every hall of the database's figures, changes nothing


# Who may read the hall's figures, ratings, cases and audit trail; who may change them.
OVERSIGHT = (Role.MANAGER, Role.ADMIN, Role.SUPERVISOR)
MANAGERS = (Role.MANAGER, Role.ADMIN)
# Who may do a guide's work: issue tickets for people, look them up, answer the kiosks' 求助.
GUIDES = (Role.GUIDE, Role.MANAGER, Role.ADMIN)


class ItemKind(StrEnum):
    INSTANT = "instant"  # 即办件
    COMMITMENT = "commitment"  # 承诺件


class Hall(Base):
    __tablename__ = "hall"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # After this many priority calls in a row, a window serves one normal ticket.
    priority_fairness: Mapped[int] = mapped_column(Integer, default=3)
    requeue_no_show: Mapped[bool] = mapped_column(Boolean, default=True)
    remote_ticketing: Mapped[bool] = mapped_column(Boolean, default=False)
    enforce_hours: Mapped[bool] = mapped_column(Boolean, default=True)
    # A kiosk's priority (green-channel) ticket needs a guide's PIN.
    priority_pin: Mapped[bool] = mapped_column(Boolean, default=False)
    # The hall's 好差评 rules (queue_core.spec.EvaluationSpec as JSON; {} means the defaults).
    evaluation_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The hall's alarm thresholds (queue_core.spec.AlarmSpec as JSON; {} means the defaults).
    alarm_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The hall's calendar (queue_core.spec.CalendarSpec as JSON text; "" means the official
    # calendar alone): kept as text, so that a process parses each version of it once.
    calendar_rules: Mapped[str] = mapped_column(Text, default="")
    # Citizens' booking (queue_core.spec.BookingSpec as JSON; {} means none).
    booking_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The floor plan a manager uploaded (SVG text); none: the config folder's `map` file.
    # Deferred: up to megabytes, read by the plan's pages only, not by every request's hall.
    map_svg: Mapped[str | None] = mapped_column(Text, deferred=True)


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Queue(Base):
    __tablename__ = "queue"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    code: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    number_format: Mapped[str] = mapped_column(String(40), default="{code}{n:03d}")
    number_start: Mapped[int] = mapped_column(Integer, default=1)
    number_end: Mapped[int] = mapped_column(Integer, default=999)
    wrap: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_quota: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[time | None]
    closes_at: Mapped[time | None]
    # The last ticket of the day is given at this time (before closing, so all get served).
    last_ticket_at: Mapped[time | None]
    target_wait_minutes: Mapped[int] = mapped_column(Integer, default=30)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Anti-hoarding (黄牛): tickets per person per day; where set, tickets need an ID number.
    id_limit: Mapped[int | None] = mapped_column(Integer)

    def format_number(self, seq: int) -> str:
        """The printed number for the seq-th ticket of the day (wrapping within the range)."""
        span = self.number_end - self.number_start + 1
        n = self.number_start + (seq - 1) % span
        return self.number_format.format(code=self.code, n=n)


class ServiceItem(Base):
    __tablename__ = "service_item"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default=ItemKind.INSTANT)
    legal_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    promised_limit_days: Mapped[int] = mapped_column(Integer, default=0)
    applicant: Mapped[str] = mapped_column(String(40), default="")
    basis: Mapped[list[str]] = mapped_column(default=list)
    materials: Mapped[list[str]] = mapped_column(default=list)
    conditions: Mapped[list[str]] = mapped_column(default=list)
    procedure: Mapped[list[str]] = mapped_column(default=list)
    fees: Mapped[str] = mapped_column(Text, default="")
    fee_basis: Mapped[str] = mapped_column(Text, default="")
    authority: Mapped[str] = mapped_column(String(200), default="")
    # The disclosures in English, for the kiosk's English mode; an empty one shows the
    # Chinese, marked as such.
    applicant_en: Mapped[str] = mapped_column(String(80), default="")
    basis_en: Mapped[list[str]] = mapped_column(default=list)
    materials_en: Mapped[list[str]] = mapped_column(default=list)
    conditions_en: Mapped[list[str]] = mapped_column(default=list)
    procedure_en: Mapped[list[str]] = mapped_column(default=list)
    fees_en: Mapped[str] = mapped_column(Text, default="")
    fee_basis_en: Mapped[str] = mapped_column(Text, default="")
    authority_en: Mapped[str] = mapped_column(String(400), default="")
    topics: Mapped[list[str]] = mapped_column(default=list)
    # The names citizens use for the item (社保卡, 身份证丢了, 准生证), for the search.
    keywords: Mapped[list[str]] = mapped_column(default=list)
    # Search keys, filled from the name (and for search_terms the keywords) by queue_core.search
    # whenever the item is saved: a search reads them and never spells out pinyin itself.
    search_pinyin: Mapped[str] = mapped_column(String(800), default="")
    search_initials: Mapped[str] = mapped_column(String(200), default="")
    # The name, its parts and each keyword, a line each: its characters and their pinyin,
    # space-separated, with a tab between ("社 保 卡\tshe bao ka").
    search_terms: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship(lazy="joined")
    queue: Mapped[Queue] = relationship(lazy="joined")


USERNAME_LENGTH = 60


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    badge: Mapped[str] = mapped_column(String(30), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    # HMAC of the guide's PIN (keyed with the server's secret), unique, so that a PIN typed
    # at a kiosk finds its guide in one look-up.
    pin_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Every login session carries the version it began with; logging out, a new password and
    # deactivation raise it, which ends every session of the account at once, on every process.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # The password was set by someone else (an account created or reset by a manager or an
    # admin): its owner's login leads only to the change-password page until they choose one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class Window(Base):
    __tablename__ = "window"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    # What the window does, in English ("Marriage Registration"): the English boards call
    # "window 4 (Marriage Registration)".
    name_en: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(10), default=WindowStatus.CLOSED)
    pause_reason: Mapped[str | None] = mapped_column(String(80))
    status_since: Mapped[datetime | None]
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    current_ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket.id", use_alter=True, name="fk_window_current_ticket")
    )
    # Consecutive priority calls at this window, for the fairness rule.
    priority_streak: Mapped[int] = mapped_column(Integer, default=0)

    clerk: Mapped[Staff | None] = relationship(lazy="joined")
    queue_links: Mapped[list[WindowQueue]] = relationship(
        order_by="WindowQueue.position", cascade="all, delete-orphan", lazy="selectin"
    )


class WindowQueue(Base):
    """A queue a window serves: its place in the window's order of preference and an
    optional weight. swrr_current is the smooth weighted round-robin state."""

    __tablename__ = "window_queue"

    window_id: Mapped[int] = mapped_column(ForeignKey("window.id"), primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int | None] = mapped_column(Integer)
    swrr_current: Mapped[int] = mapped_column(Integer, default=0)

    queue: Mapped[Queue] = relationship(lazy="joined")


class NumberCounter(Base):
    """Last sequence issued per queue per service day; the row lock serialises numbering."""

    __tablename__ = "number_counter"

    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class FinishedTally(Base):
    """One clerk's tickets finished in one queue on one service day, with the sums of their
    handling times: kept by the finish in its own transaction (queue_core.tallies), so that a
    clerk's panel and a ticket's wait forecast read a few rows instead of counting the day.
    A row is written only by its clerk's finishes (a clerk works at one window at a time), so
    windows finishing at once never wait on each other's row; a queue's day is the sum of its
    clerks' rows, a clerk's day the sum of their queues' rows."""

    __tablename__ = "finished_tally"
    __table_args__ = (
        Index("ix_finished_tally_clerk_day", "clerk_id", "service_day"),
        Index("ix_finished_tally_hall_day", "hall_id", "service_day"),
    )

    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    clerk_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # tallies.NO_CLERK: none
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    finished: Mapped[int] = mapped_column(Integer)
    handled: Mapped[int] = mapped_column(Integer)  # of them, those with a handling time
    handle_sum: Mapped[int] = mapped_column(BigInteger)  # their handling times, in seconds
    handle_square_sum: Mapped[int] = mapped_column(BigInteger)  # and their squares


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        # A number is never issued twice: seq is unique in the queue that issued it.
        UniqueConstraint("origin_queue_id", "service_day", "seq"),
        # A kiosk's retried or double-tapped request finds the ticket it already made.
        UniqueConstraint("hall_id", "request_id"),
        Index("ix_ticket_waiting", "hall_id", "service_day", "status", "queued_at"),
        # A queue's line and a window's direct line, covering what the counts and the
        # call-next pick filter on, so they read only that line and never the table.
        Index(
            "ix_ticket_queue_line",
            "queue_id",
            "service_day",
            "status",
            "target_window_id",
            "priority",
            "queued_at",
        ),
        Index("ix_ticket_window_line", "target_window_id", "service_day", "status", "priority", "queued_at"),
        # The oldest of a queue's line in one seek, and the day's handling times of a clerk and
        # of a queue from the index alone (the panel and the wait estimate on every request).
        Index("ix_ticket_queue_oldest", "queue_id", "service_day", "status", "target_window_id", "issued_at"),
        Index("ix_ticket_clerk_day", "clerk_id", "service_day", "status", "handle_seconds"),
        Index("ix_ticket_queue_handled", "queue_id", "service_day", "status", "handle_seconds"),
        # The tickets still holding a holder's hash, by day: what the retention sweep reads.
        Index(
            "ix_ticket_holder_kept",
            "hall_id",
            "service_day",
            sqlite_where=sql_text("holder_digest IS NOT NULL"),
            postgresql_where=sql_text("holder_digest IS NOT NULL"),
        ),
        # Covers the statistics' grouped queries: a year of tickets is read from the index alone.
        Index(
            "ix_ticket_statistics",
            "hall_id",
            "service_day",
            "origin_queue_id",
            "item_id",
            "window_id",
            "clerk_id",
            "status",
            "transfer_count",
            "wait_seconds",
            "handle_seconds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))  # where it waits now
    origin_queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))  # where it was issued
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"))
    service_day: Mapped[date]
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    # Unguessable key for the citizen's phone page; printed only on the ticket.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    priority: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.WAITING)
    kiosk_id: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Keyed hash of the holder's ID number, where the queue limits tickets per person.
    holder_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime]
    # Order in the queue: kept on transfer, renewed when a no-show is requeued.
    queued_at: Mapped[datetime]
    target_window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    first_called_at: Mapped[datetime | None]
    called_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    requeue_count: Mapped[int] = mapped_column(Integer, default=0)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # Durations per step, in seconds (waiting = last call - issue; handling = finish - start).
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    handle_seconds: Mapped[int | None] = mapped_column(Integer)

    queue: Mapped[Queue] = relationship(foreign_keys=[queue_id], lazy="joined")
    item: Mapped[ServiceItem | None] = relationship(lazy="select")
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id], lazy="select")


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"


class Appointment(Base):
    """A booked slot for an item (预约). Checking in at a kiosk within the slot issues its
    ticket with appointment priority."""

    __tablename__ = "appointment"
    __table_args__ = (
        UniqueConstraint("hall_id", "code"),
        # The appointments still holding a name or an ID hash: what the retention sweep reads.
        Index(
            "ix_appointment_personal_kept",
            "hall_id",
            "slot_end",
            sqlite_where=sql_text("name <> '' OR holder_digest IS NOT NULL"),
            postgresql_where=sql_text("name <> '' OR holder_digest IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    code: Mapped[str] = mapped_column(String(12))
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"))
    slot_start: Mapped[datetime]
    slot_end: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(60), default="")
    # Keyed hash of the booker's ID number (queue_core.identity), when the booking gave one:
    # what finds the appointment for the person's export or erasure (queue_core.retention).
    holder_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(12), default=AppointmentStatus.BOOKED)
    created_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))

    item: Mapped[ServiceItem] = relationship(lazy="joined")


class TicketEvent(Base):
    """Append-only log of every step of every ticket."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_hall_at", "hall_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("window.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WindowEvent(Base):
    """Append-only log of a window's sign-ins, sign-outs, pauses and resumes."""

    __tablename__ = "window_event"
    __table_args__ = (Index("ix_window_event_hall_at", "hall_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    window_id: Mapped[int] = mapped_column(ForeignKey("window.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiToken(Base):
    """A bearer token for a person (staff_id) or a device declared in hall.toml
    (device_kind + device_id). Only the SHA-256 of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    device_kind: Mapped[str | None] = mapped_column(String(10))
    device_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    staff: Mapped[Staff | None] = relationship(lazy="joined")


class PrintStatus(StrEnum):
    QUEUED = "queued"  # written with what it prints, waiting for its printer's agent to claim it
    CLAIMED = "claimed"  # an agent (or the server) took it and is printing it
    ABANDONED = "abandoned"  # not printed: too late for the citizen, who has gone (the screen showed it)
    PRINTED = "printed"  # the printer took it and reported itself fine afterwards
    SENT = "sent"  # every byte went out; the printer does not report its state
    FAILED = "failed"


class PrintRecord(Base):
    """Every print job, so that "no ticket came out" can be checked: what, where, how many
    bytes, and what happened."""

    __tablename__ = "print_record"
    __table_args__ = (
        Index("ix_print_record_hall_created", "hall_id", "created_at"),
        Index("ix_print_record_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    kind: Mapped[str] = mapped_column(String(10))  # ticket or notice
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"))
    kiosk: Mapped[str] = mapped_column(String(40))
    printer: Mapped[str] = mapped_column(String(60), default="")  # the one that printed it, or tried last
    url: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default=PrintStatus.QUEUED)
    # Where it goes: the agent (hall PC) that drives `printer`, or "" for the server itself.
    agent: Mapped[str] = mapped_column(String(40), default="")
    # What it prints: the layout's field values and a label for people ("ticket A012"),
    # so that any process can deliver it again after a restart.
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    claimed_by: Mapped[str] = mapped_column(String(60), default="")  # "kiosk-pc-1", "server"
    claimed_at: Mapped[datetime | None]
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    reprinted: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class AgentState(Base):
    """A hall PC's agent as the server last heard it: connected or not, since when, and the
    state of each device it drives (its printers' states are the only ones known)."""

    __tablename__ = "agent_state"
    __table_args__ = (UniqueConstraint("hall_id", "agent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    agent: Mapped[str] = mapped_column(String(40))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime]  # of being online, or offline
    version: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(60), default="")
    # Its socket now (server process and socket id): only the end of that one takes it offline.
    connection: Mapped[str] = mapped_column(String(80), default="")
    # printer name -> {"status": ..., "error": ...}, as the agent reported them
    printers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_job_id: Mapped[int | None]
    last_job_at: Mapped[datetime | None]


class PairingCode(Base):
    """A one-time code (配对码) that sets a device up without a terminal: a manager makes it for
    one device of hall.toml, the device sends it once within its minutes and gets its token."""

    __tablename__ = "pairing_code"
    __table_args__ = (Index("ix_pairing_code_hall_digest", "hall_id", "code_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    device_id: Mapped[str] = mapped_column(String(40))
    device_kind: Mapped[str] = mapped_column(String(20))
    code_digest: Mapped[str] = mapped_column(String(64))  # keyed: the six digits are not kept
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))  # the token it gave


class HallNotice(Base):
    """A notice a manager posts to the hall boards (信息发布), until it expires or is withdrawn."""

    __tablename__ = "hall_notice"
    __table_args__ = (Index("ix_hall_notice_hall_posted", "hall_id", "posted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    title: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime]
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    until: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]


class WrittenNoticeKind(StrEnum):
    """The written notices a window hands a citizen (queue_core.written_notices)."""

    MISSING_MATERIALS = "missing_materials"  # 一次性告知书: every missing material at once
    REFUSAL = "refusal"  # 不予受理告知书
    ACCEPTANCE = "acceptance"  # 受理通知单, with the promised completion date


class WrittenNotice(Base):
    """A numbered notice a clerk printed for the ticket at their window, kept with the ticket:
    its number (第 0001 号 of its kind and year), what it said, who gave it, where and when."""

    __tablename__ = "written_notice"
    __table_args__ = (
        UniqueConstraint("hall_id", "kind", "year", "seq"),
        Index("ix_written_notice_hall_issued", "hall_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"))
    window_number: Mapped[int] = mapped_column(Integer)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # As printed: the clerk may be renamed or leave, the notice stays what the citizen holds.
    clerk_name: Mapped[str] = mapped_column(String(60))
    clerk_badge: Mapped[str] = mapped_column(String(30), default="")
    item_name: Mapped[str] = mapped_column(String(200))
    materials: Mapped[list[str]] = mapped_column(default=list)  # the ticked missing materials
    reason: Mapped[str] = mapped_column(Text, default="")  # a refusal's reason
    completion_date: Mapped[date | None]  # an acceptance's promised date
    print_job_id: Mapped[int | None] = mapped_column(ForeignKey("print_record.id"))
    issued_at: Mapped[datetime]


class EvaluationStatus(StrEnum):
    AWAITING = "awaiting"  # the window's keypad asks the citizen now
    UNRATED = "unrated"  # 未评价: the keypad's time passed (the phone page may still rate)
    RATED = "rated"  # the citizen rated, on the keypad or the phone page
    DEFAULTED = "defaulted"  # never rated: the hall's default level, flagged as such


class EvaluationChannel(StrEnum):
    KEYPAD = "keypad"
    PHONE = "phone"
    DEFAULT = "default"


class Evaluation(Base):
    """One service's rating (一次一评): made when a ticket is finished, rated at most once.
    Window, clerk, item and department are those of the service, kept as they were."""

    __tablename__ = "evaluation"
    __table_args__ = (
        Index("ix_evaluation_hall_day", "hall_id", "service_day"),
        Index("ix_evaluation_window_status", "window_id", "status"),
        Index("ix_evaluation_hall_status", "hall_id", "status", "requested_at"),
        # Covers the figures' grouped query: a year of ratings is read from the index alone.
        Index(
            "ix_evaluation_figures",
            "hall_id",
            "service_day",
            "window_id",
            "clerk_id",
            "item_id",
            "department_id",
            "queue_id",
            "status",
            "score",
        ),
        # The ratings still holding a comment, by day: what the retention sweep reads.
        Index(
            "ix_evaluation_comment_kept",
            "hall_id",
            "service_day",
            sqlite_where=sql_text("comment <> ''"),
            postgresql_where=sql_text("comment <> ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    service_day: Mapped[date]
    window_id: Mapped[int] = mapped_column(ForeignKey("window.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queue.id"))  # the ticket's queue of issue
    status: Mapped[str] = mapped_column(String(10), default=EvaluationStatus.AWAITING)
    score: Mapped[int | None] = mapped_column(Integer)  # 5 非常满意 .. 1 非常不满意
    reasons: Mapped[list[str]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str | None] = mapped_column(String(10))
    device_id: Mapped[str | None] = mapped_column(String(40))  # the keypad that rated
    requested_at: Mapped[datetime]  # when the service finished
    keypad_until: Mapped[datetime]
    rated_at: Mapped[datetime | None]

    ticket: Mapped[Ticket] = relationship(lazy="joined")
    clerk: Mapped[Staff | None] = relationship(lazy="joined")


class CaseStage(StrEnum):
    """Where a bad rating's follow-up stands. The normal path is verify → rectify → callback →
    close → closed; an appeal goes verify → review, then closed (upheld) or rectify."""

    VERIFY = "verify"  # 核实
    RECTIFY = "rectify"  # 整改
    CALLBACK = "callback"  # 回访
    CLOSE = "close"  # 办结归档
    REVIEW = "review"  # 申诉复核
    CLOSED = "closed"


class EvaluationCase(Base):
    """The follow-up of one bad rating (差评): its stage, who owns it and by when."""

    __tablename__ = "evaluation_case"
    __table_args__ = (Index("ix_evaluation_case_hall_stage", "hall_id", "stage", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), unique=True)
    stage: Mapped[str] = mapped_column(String(10), default=CaseStage.VERIFY)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    deadline: Mapped[date]  # the current stage's last working day
    opened_at: Mapped[datetime]
    called_back: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))  # rectified / appeal_upheld

    evaluation: Mapped[Evaluation] = relationship(lazy="joined")
    owner: Mapped[Staff | None] = relationship(lazy="joined")
    steps: Mapped[list[CaseStep]] = relationship(order_by="CaseStep.id", lazy="selectin")


class CaseStep(Base):
    """Append-only trail of a case: every step with who, the owner it handed to, the note
    and the deadline it set."""

    __tablename__ = "evaluation_case_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("evaluation_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    from_stage: Mapped[str | None] = mapped_column(String(10))
    to_stage: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None]
    at: Mapped[datetime]

    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id], lazy="joined")
    owner: Mapped[Staff | None] = relationship(foreign_keys=[owner_id], lazy="joined")


class AuditEntry(Base):
    """One entry of the audit trail (queue_core.audit): append-only, chained by hash."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_hall_id", "hall_id", "id"),
        Index("ix_audit_entry_hall_at", "hall_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(
        String(10)
    )  # staff, kiosk, keypad, board, caller, citizen, system
    actor_id: Mapped[str] = mapped_column(String(60))
    actor_name: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(Base):
    """A copy of a signed checkpoint of the audit trail's head (queue_core.audit_anchors), kept
    for the city's view of every hall. `hallq audit verify` trusts only the anchors file."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (Index("ix_audit_checkpoint_hall_id", "hall_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(10))  # periodic, day-end, shutdown, command
    entries: Mapped[int]
    last_id: Mapped[int]
    head: Mapped[str] = mapped_column(String(64))


class AlarmKind(StrEnum):
    """What an alarm (超时预警) warns of; queue_core.alarms raises and clears them."""

    WAIT_OVER_TARGET = "wait_over_target"  # a ticket waits longer than its queue's target
    QUEUE_OVERLOADED = "queue_overloaded"  # many waiting for few open windows, or none open
    PAUSE_TOO_LONG = "pause_too_long"  # a window paused too long
    SERVICE_TOO_LONG = "service_too_long"  # a service running far over the item's usual time
    PRINTER_FAULT = "printer_fault"  # a kiosk's printer out of paper, open, offline...
    BAD_RATING = "bad_rating"  # a citizen rated a service 不满意 or 非常不满意
    INVARIANT_BROKEN = "invariant_broken"  # a window and a ticket disagree (queue_core.invariants)
    STORAGE_FULL = "storage_full"  # the database's disk is full: pushed, never stored (hallq.faults)
    HELP_REQUESTED = "help_requested"  # a citizen tapped 求助 on a kiosk: a guide is wanted there


class Alarm(Base):
    """One alarm on the managers' dashboard. At most one per (kind, subject) is open (not
    cleared) at a time; an alarm whose condition is gone is cleared, never deleted."""

    __tablename__ = "alarm"
    __table_args__ = (
        Index("ix_alarm_hall_raised", "hall_id", "raised_at"),
        # The backstop of the one-open-alarm rule when two processes raise it at once.
        Index(
            "uq_alarm_open_subject",
            "hall_id",
            "kind",
            "subject",
            unique=True,
            sqlite_where=sql_text("cleared_at IS NULL"),
            postgresql_where=sql_text("cleared_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    kind: Mapped[str] = mapped_column(String(24))
    # What it is about: "queue:A", "window:3", "ticket:123", "printer:K1", "evaluation:45".
    subject: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(80))  # the subject for people: A012, 3号窗口 ...
    message: Mapped[str] = mapped_column(String(300))  # the whole alarm in the hall's words
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # its figures, for other languages
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cleared_at: Mapped[datetime | None]

    acknowledger: Mapped[Staff | None] = relationship(lazy="joined")


class StatsDay(Base):
    """A closed service day whose statistics are rolled up (queue_core.rollups): the hall's
    open time that day, and what the rollup left to be computed from the rows each time."""

    __tablename__ = "stats_day"

    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"), primary_key=True)
    service_day: Mapped[date] = mapped_column(primary_key=True)
    built_at: Mapped[datetime]
    # Tickets not yet ended when it was built (a window's citizen past midnight, a number
    # never called): they may still change, so they are counted from their rows.
    open_ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Each queue's target wait (minutes, by queue id) that its service level was judged by.
    targets: Mapped[dict[str, Any]]
    hall_open_us: Mapped[int] = mapped_column(BigInteger)  # first sign-in to last sign-out
    windows_open_us: Mapped[int] = mapped_column(BigInteger)  # every window's open time, summed
    # Whether its ratings are final (the rollup's rating counts are then used), under which
    # rules (phone_days, default_after_days) they were found final, and when they may be.
    ratings_settled: Mapped[bool] = mapped_column(Boolean)
    ratings_rules: Mapped[dict[str, Any] | None]
    ratings_final_at: Mapped[datetime | None]


class StatsRollup(Base):
    """One group's figures of one closed day: the counts, whole-second histograms of waiting
    and handling time, its own open time (windows and clerks) and its rating counts."""

    __tablename__ = "stats_rollup"
    __table_args__ = (Index("ix_stats_rollup_day", "hall_id", "grouping", "service_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("hall.id"))
    service_day: Mapped[date]
    grouping: Mapped[str] = mapped_column(String(12))  # "hall" or one of statistics.GROUPINGS
    group_id: Mapped[int | None] = mapped_column(Integer)  # the queue's, item's, … id; null: none
    issued: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    no_show: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[int] = mapped_column(Integer)
    transferred: Mapped[int] = mapped_column(Integer)
    called: Mapped[int] = mapped_column(Integer)
    within_target: Mapped[int] = mapped_column(Integer)
    handling_seconds: Mapped[int] = mapped_column(BigInteger)
    # The tickets' durations in whole seconds, increasing, as 32-bit little-endian integers
    # (statistics.pack): read back without parsing
    wait: Mapped[bytes] = mapped_column(LargeBinary)
    handle: Mapped[bytes] = mapped_column(LargeBinary)
    open_us: Mapped[int] = mapped_column(BigInteger)
    # Its services' rating counts (evaluation_figures': served, rated, defaulted, per level);
    # 0 while the day's ratings may still change (StatsDay.ratings_settled).
    rating_served: Mapped[int] = mapped_column(Integer)
    rating_rated: Mapped[int] = mapped_column(Integer)
    rating_defaulted: Mapped[int] = mapped_column(Integer)
    rating_level_5: Mapped[int] = mapped_column(Integer)
    rating_level_4: Mapped[int] = mapped_column(Integer)
    rating_level_3: Mapped[int] = mapped_column(Integer)
    rating_level_2: Mapped[int] = mapped_column(Integer)
    rating_level_1: Mapped[int] = mapped_column(Integer)
