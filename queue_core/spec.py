"""The description of a hall and its catalogue, as validated data. Files are read into
these models by hallq.config_files; queue_core.setup writes them into the database."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Hashable, Iterable
from datetime import date, time
from typing import Annotated, Literal, TypeVar

import limits
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from printer_driver import PrinterSettings

from .models import Hall, ItemKind

# A queue's numbers: at most 99,999 a day, and as printed they fit the ticket's column.
LAST_NUMBER = 99_999
NUMBER_LENGTH = 8  # a ticket's number, as printed and called: A012, GA0315
LAST_WINDOW = 9999  # window numbers run from 1 to this
TOPICS = (
    "出生", "户籍", "入学", "就业创业", "婚姻", "生育", "住房", "不动产", "开办企业", "纳税",
    "社会保障", "医疗", "出入境", "交通出行", "退休", "残疾人", "退役军人", "身后事",
)  # fmt: skip
# The life-event topics in English: a fixed list, so its English is fixed with it.
TOPIC_NAMES_EN = {
    "出生": "Birth", "户籍": "Household registration", "入学": "Starting school",
    "就业创业": "Jobs and self-employment", "婚姻": "Marriage", "生育": "Having a child",
    "住房": "Housing", "不动产": "Real estate", "开办企业": "Starting a business", "纳税": "Taxes",
    "社会保障": "Social security", "医疗": "Medical care", "出入境": "Travel abroad",
    "交通出行": "Driving and transport", "退休": "Retirement", "残疾人": "Disability",
    "退役军人": "Veterans", "身后事": "After a death",
}  # fmt: skip

Code = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")]
QUEUE_CODE_LENGTH = 2  # A, B ... GA: what a ticket's number starts with
# A device's or a person's name as a screen shows it.
Name = Annotated[str, Field(max_length=60)]
# A reason a citizen gives for a bad rating: a short phrase from the hall's list.
REASON_LENGTH = 20
Reason = Annotated[str, Field(min_length=1, max_length=REASON_LENGTH)]
# An item's disclosures (八公开), each a list of lines: the demo catalogue's longest line is
# some 200 characters (a law's article), its longest list 6 lines; these leave room for any
# real one and keep an item's page and its row a size a kiosk can show.
DISCLOSURE_LINE_LENGTH = 1000
DISCLOSURE_LINES = 30
DisclosureLines = Annotated[
    list[Annotated[str, Field(max_length=DISCLOSURE_LINE_LENGTH)]], Field(max_length=DISCLOSURE_LINES)
]
FEES_LENGTH = 2000  # fees and their basis (Text columns): the demo's longest is some 110 characters
# An item's keywords: the names citizens use for it (社保卡, 身份证丢了, 准生证). The demo's
# longest list has 13; a keyword is a word or a short phrase.
KEYWORD_LENGTH = 20
KEYWORDS = 40
KEYWORD_SEPARATORS = re.compile(r"[、,，;；\s]+")


def nul_byte_at(data: object, where: str = "") -> str | None:
    """Where a text in data holds a NUL byte: a person types none, and PostgreSQL's text cannot
    hold one (a 500 there, where SQLite would keep it)."""
    if isinstance(data, str):
        return where if "\x00" in data else None
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        here = f"{where}.{key}" if where else str(key)
        found = here if isinstance(key, str) and "\x00" in key else nul_byte_at(value, here)
        if found is not None:
            return found
    return None


def no_nul_bytes(data: object) -> object:
    """A model validator (mode="before") refusing a NUL byte anywhere in the data, by name."""
    where = nul_byte_at(data)
    if where is not None:
        raise ValueError(f"{where or 'the text'}: contains a NUL byte")
    return data


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_nul_bytes = model_validator(mode="before")(no_nul_bytes)


# A time of day in the hall's own time zone. Its JSON schema says so: JSON Schema's "time"
# format would demand a UTC offset, which a hall's opening hours do not have.
_HH_MM_SS = r"^\d{2}:\d{2}(:\d{2})?$"
_LOCAL_TIME = "must be a local time of day such as 08:30, without a time zone"


def _as_documented(value: object) -> object:
    """Text as the schema says, so that its pattern and length hold (TOML gives a time)."""
    if isinstance(value, str) and not re.fullmatch(_HH_MM_SS, value):
        raise ValueError(_LOCAL_TIME)
    return value


def _local(moment: time) -> time:
    if moment.tzinfo is not None:  # pydantic reads a number as seconds past midnight UTC
        raise ValueError(_LOCAL_TIME)
    return moment


LocalTime = Annotated[
    time,
    BeforeValidator(_as_documented),
    AfterValidator(_local),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _HH_MM_SS,
            "maxLength": len("HH:MM:SS"),
            "description": "local time, HH:MM or HH:MM:SS",
        }
    ),
]


class Hours(Strict):
    open: LocalTime
    close: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if self.open >= self.close:
            raise ValueError(f"opens at {self.open:%H:%M} but closes at {self.close:%H:%M}")
        return self


# A session (服务时段) of the hall's day as a hall writes it: "08:30-12:00".
_SESSION = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}$")


def session_times(text: str) -> tuple[time, time]:
    """The opening and closing times of a session already validated, such as "08:30-12:00"."""
    opens, closes = text.split("-")
    return time.fromisoformat(opens), time.fromisoformat(closes)


def _session(value: str) -> str:
    text = value.replace(" ", "")
    if not _SESSION.fullmatch(text):
        raise ValueError(f'"{value}" is not a session such as "08:30-12:00"')
    try:
        opens, closes = session_times(text)
    except ValueError as exc:
        raise ValueError(f'"{value}" is not a time of day from 00:00 to 23:59') from exc
    if opens >= closes:
        raise ValueError(f'session "{value}" closes before it opens')
    return text


def _in_order(sessions: list[str]) -> list[str]:
    spans = [session_times(s) for s in sessions]
    for (_, closes), (opens, _), later in zip(spans, spans[1:], sessions[1:], strict=False):
        if opens < closes:
            raise ValueError(f'session "{later}" begins before the one before it ends: give them in order')
    return sessions


Session = Annotated[str, Field(max_length=len("HH:MM-HH:MM") + 2), AfterValidator(_session)]
Sessions = Annotated[list[Session], Field(max_length=6), AfterValidator(_in_order)]


class QueueCalendar(Strict):
    """A queue's own rules within the hall's calendar ([calendar.queues.B] in hall.toml)."""

    sessions: Sessions | None = None  # on a working day, instead of the hall's sessions
    saturday: Sessions = []  # open on ordinary Saturdays too (not on a holiday's Saturday)
    # It takes its last ticket this many minutes before each session ends.
    stop_before_close: int = Field(0, ge=0, le=240)
    # Tickets per session (上午限号, 下午限号): the first session's, the second's...; the last
    # number holds for any session after it. Beside the queue's daily_quota, which still holds.
    session_quotas: list[Annotated[int, Field(ge=1, le=LAST_NUMBER)]] = Field([], max_length=6)


class CalendarDay(Strict):
    """One dated exception to the calendar (config/calendar.toml, or the admin pages): a day
    off, a make-up working day (调休上班), or other hours. It wins over the official calendar."""

    date: date
    closed: bool = False
    workday: bool = False
    sessions: Sessions | None = None
    reason: str = Field("", max_length=40)

    @model_validator(mode="after")
    def _says_one_thing(self) -> CalendarDay:
        if self.closed and (self.workday or self.sessions is not None):
            raise ValueError(f"{self.date}: a closed day has no workday or sessions")
        if not self.closed and not self.workday and self.sessions is None:
            raise ValueError(f"{self.date}: give closed = true, workday = true or sessions")
        if self.sessions == []:
            raise ValueError(f"{self.date}: sessions = [] would close it: write closed = true")
        return self


def _one_entry_a_day(days: list[CalendarDay]) -> list[CalendarDay]:
    repeated = sorted(set(_repeats(d.date for d in days)))
    if repeated:
        raise ValueError(f"{', '.join(map(str, repeated))}: given more than once")
    return days


CalendarDays = Annotated[list[CalendarDay], Field(max_length=3660), AfterValidator(_one_entry_a_day)]


class CalendarFile(Strict):
    """config/calendar.toml: its [[days]], and nothing else (docs/calendar.md)."""

    days: CalendarDays = []


class CalendarSpec(Strict):
    """The hall's calendar ([calendar] in hall.toml, days from config/calendar.toml): the
    sessions of a working day (none given: the hall's hours as one session), queues' own
    rules, and the dated exceptions. Which days are working days comes from the official
    calendar (chinese-calendar) unless a dated exception says otherwise."""

    sessions: Sessions = []
    queues: dict[str, QueueCalendar] = {}
    days: CalendarDays = []
    # Dated days entered in the administration pages: no file holds them, so loading the
    # config keeps them, and on a date both give, the one entered later (here) wins.
    added: CalendarDays = []

    def rules_text(self) -> str:
        """As the hall's row keeps it (setup.sync_hall; read by hall_calendar.HallCalendar)."""
        return self.model_dump_json(exclude_defaults=True)


class BookingSpec(Strict):
    """网上预约: citizens book a slot on the phone page ([booking] in hall.toml). Slots come
    from each queue's sessions on the hall's calendar, cut into slot_minutes."""

    days_ahead: int = Field(0, ge=0, le=60)  # today and this many days on; 0: no booking
    slot_minutes: int = Field(30, ge=5, le=240)
    capacity: int = Field(2, ge=0, le=1000)  # bookings per queue per slot
    queues: dict[str, Annotated[int, Field(ge=0, le=1000)]] = {}  # a queue's own capacity; 0: none
    # A person with this many bookings not checked in within NO_SHOW_DAYS may not book for
    # block_days after the last of them.
    no_show_limit: int = Field(3, ge=1, le=100)
    block_days: int = Field(30, ge=1, le=365)
    # 远程取号: the queues whose tickets a citizen may take on the phone before arriving. Such
    # a ticket enters its line, in its place by the time it was taken, when its holder
    # arrives (the door's QR code, or the ID card at a kiosk); one not there when its turn
    # has come is kept remote_grace_minutes, then cancelled.
    remote_queues: list[str] = Field([], max_length=100)
    remote_grace_minutes: int = Field(15, ge=1, le=240)
    remote_per_day: int = Field(1, ge=1, le=20)  # per person (ID number) and queue

    def capacity_of(self, queue_code: str) -> int:
        return self.queues.get(queue_code, self.capacity) if self.days_ahead else 0

    @classmethod
    def of_hall(cls, hall: Hall) -> BookingSpec:
        """The rules a hall's row carries (written from hall.toml by setup.sync_hall)."""
        return cls.model_validate(hall.booking_rules or {})


class HallInfo(Strict):
    code: Code
    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field("Asia/Shanghai", max_length=64)
    hours: Hours | None = None
    priority_fairness: int = Field(3, ge=1, le=100)
    requeue_no_show: bool = True
    remote_ticketing: bool = False
    enforce_hours: bool = True
    priority_pin: bool = False
    # The phone page alerts its citizen at this many people ahead (前面还有 N 人), and when
    # called; 0: only when called.
    remind_ahead: int = Field(3, ge=0, le=50)
    # 我需要多一点时间: a citizen may move their waiting ticket back this many places, once,
    # from the phone page; 0: not offered.
    postpone_places: int = Field(5, ge=0, le=50)
    catalog: str = "catalog.csv"
    map: str | None = None  # an SVG floor plan in the config folder; window shapes id="window-N"
    # The kiosk whose printer the guides' desk prints on unless the guide picks another.
    guide_printer: Code | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f'unknown time zone "{value}"') from exc
        return value


class DepartmentSettings(Strict):
    """What a department is besides its code (an administration page edits this)."""

    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field("", max_length=120)


class DepartmentSpec(DepartmentSettings):
    code: Code


class QueueSettings(Strict):
    """What a queue is besides its code (an administration page edits this)."""

    name: str = Field(min_length=1, max_length=80)
    name_en: str = Field("", max_length=120)
    number_format: str = Field("{code}{n:03d}", max_length=40)
    range: tuple[int, int] = (1, 999)
    wrap: bool = True
    daily_quota: int | None = Field(None, ge=1, le=LAST_NUMBER)
    hours: Hours | None = None
    last_ticket: LocalTime | None = None  # default: the closing time
    id_limit: int | None = Field(None, ge=1, le=20)  # tickets per person per day (anti-hoarding)
    target_wait_minutes: int = Field(30, ge=1, le=24 * 60)

    @field_validator("number_format")
    @classmethod
    def _format_fields(cls, value: str) -> str:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name}
        if "n" not in names or not names <= {"code", "n"}:
            raise ValueError('must use {n} and may use {code}, for example "{code}{n:03d}"')
        try:
            value.format(code="A", n=1)
        except (ValueError, KeyError) as exc:
            raise ValueError(f"is not a valid format: {exc}") from exc
        return value

    @field_validator("range")
    @classmethod
    def _range_ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 0 <= value[0] < value[1] <= LAST_NUMBER:
            raise ValueError(
                f"must be [first, last] with 0 <= first < last <= {LAST_NUMBER:,}, got {list(value)}"
            )
        return value

    @model_validator(mode="after")
    def _numbers_fit(self) -> QueueSettings:
        """The longest number this queue prints must be short enough to print large and to call."""
        longest = self.number_format.format(code=getattr(self, "code", "XX"), n=self.range[1])
        if len(longest) > NUMBER_LENGTH:
            raise ValueError(
                f"number_format and range make numbers like {longest!r}: at most {NUMBER_LENGTH} characters"
            )
        return self


class QueueSpec(QueueSettings):
    code: str = Field(pattern=r"^[A-Z]{1,2}$", max_length=QUEUE_CODE_LENGTH)


class QueueRef(Strict):
    code: str = Field(max_length=QUEUE_CODE_LENGTH)
    weight: int | None = Field(None, ge=1, le=100)


class WindowQueues(Strict):
    """The queues a window serves, in its order of preference."""

    queues: list[QueueRef] = Field(min_length=1, max_length=100)

    @field_validator("queues", mode="before")
    @classmethod
    def _plain_codes(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"code": v} if isinstance(v, str) else v for v in value]
        return value


class WindowSettings(WindowQueues):
    """What a window is besides its number (an administration page edits this)."""

    name: str = Field(min_length=1, max_length=80)
    # What it does, in English ("Marriage Registration"), for the English boards' call.
    name_en: str = Field("", max_length=120)


class WindowSpec(WindowSettings):
    number: int = Field(ge=1, le=LAST_WINDOW)
    # The [[kiosks]] printer the window's written notices (一次性告知书...) print on: a kiosk's,
    # or one declared for the window PC's own printer on its agent. None: the window prints none.
    notice_printer: Code | None = None


class AgentSpec(Strict):
    """A hall PC running `hallq agent`: it drives the printers, keypads and LED line that name it."""

    id: Code
    name: Name = ""


class HallPrinterSettings(PrinterSettings):
    """A kiosk's printer, and which hall PC's agent drives it: none, the server itself."""

    agent: Code | None = None


class KioskSpec(Strict):
    id: Code
    name: Name = ""
    printer: HallPrinterSettings | None = None  # none: tickets show on screen only (say "dummy:" to test)
    backup_printer: HallPrinterSettings | None = None  # takes the tickets when the printer is at fault
    rate_limit: str | None = None  # tickets this kiosk may issue, e.g. "30/minute"; none by default
    # A ticket's screen goes home after this long, so the next citizen does not find it.
    ticket_seconds: int = Field(15, ge=5, le=300)
    # 语音引导: the kiosk reads each screen's title, the chosen item and the ticket aloud, for
    # citizens who cannot read the screen well. Off by default: a hall turns it on per kiosk.
    voice_guidance: bool = False

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                limits.parse(value)
            except ValueError as exc:
                raise ValueError(f'"{value}" is not a rate such as "30/minute" or "5 per second"') from exc
        return value

    @field_validator("voice_guidance", mode="before")
    @classmethod
    def _true_or_false(cls, value: object) -> object:
        """ "yes", "on" or 1 are refused, not guessed: a hall says true or false."""
        if not isinstance(value, bool):
            raise ValueError(
                f"give true or false (without quotes), not {json.dumps(value, ensure_ascii=False)}"
            )
        return value


class BoardSpec(Strict):
    id: Code
    kind: Literal["hall", "window"] = "hall"
    window: int | None = None


LEVELS = (5, 4, 3, 2, 1)  # 非常满意 满意 基本满意 不满意 非常不满意


class KeypadSpec(Strict):
    """A window's evaluation keypad (评价器), facing the citizen: a tablet showing /keypad/<n>,
    or a physical five-key keypad read by `hallq keypad-bridge` (device set)."""

    id: Code
    window: int
    # A physical keypad: "serial:///dev/ttyUSB3?baudrate=9600" or "input:///dev/input/event3".
    device: str | None = Field(None, max_length=200)
    agent: Code | None = None  # the hall PC whose agent reads the physical keypad
    # A physical keypad's key names and the level (5 best .. 1 worst) each one gives.
    keys: dict[str, int] = Field(default_factory=lambda: {str(level): level for level in LEVELS})

    @field_validator("device")
    @classmethod
    def _device_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("serial://", "input://")):
            raise ValueError(
                f'"{value}" is not a keypad device: use "serial:///dev/ttyUSB0?baudrate=9600" '
                'or "input:///dev/input/event3"'
            )
        return value

    @field_validator("keys")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        wrong = {key: level for key, level in value.items() if level not in LEVELS}
        if wrong:
            raise ValueError(f"levels go from 1 (非常不满意) to 5 (非常满意), not {wrong}")
        return value


class CallerSpec(Strict):
    """A clerk's hardware caller (呼叫器) at a window: it acts there in the name of the clerk
    signed in, with its device token."""

    id: Code
    window: int


DeviceSpec = AgentSpec | KioskSpec | BoardSpec | KeypadSpec | CallerSpec  # what has a device token


class CaseDeadlines(Strict):
    """Working days each stage of a bad rating's follow-up may take (official calendar)."""

    verify: int = Field(1, ge=1, le=60)  # 核实
    rectify: int = Field(10, ge=1, le=60)  # 整改
    callback: int = Field(3, ge=1, le=60)  # 回访
    close: int = Field(1, ge=1, le=60)  # 办结归档
    review: int = Field(5, ge=1, le=60)  # 申诉复核


class EvaluationSpec(Strict):
    """好差评: how long a citizen may rate, and what follows a bad rating."""

    keypad_seconds: int = Field(60, ge=5, le=600)  # the keypad waits this long after a finish
    phone_days: int = Field(7, ge=0, le=90)  # then the ticket's phone page, this many days
    # Unrated services get default_level after this many days (as Guangdong does); none: never.
    default_after_days: int | None = Field(None, ge=1, le=365)
    default_level: int = Field(3, ge=3, le=5)  # a default is never a bad rating
    reasons: list[Reason] = Field(
        default_factory=lambda: ["服务态度", "服务效率", "服务水平", "办事指南", "服务环境"],
        min_length=1,
        max_length=20,
    )
    deadlines: CaseDeadlines = CaseDeadlines()

    @classmethod
    def of_hall(cls, hall: Hall) -> EvaluationSpec:
        """The rules a hall's row carries (written from hall.toml by setup.sync_hall)."""
        return cls.model_validate(hall.evaluation_rules or {})

    @model_validator(mode="after")
    def _default_after_phone(self) -> EvaluationSpec:
        if self.default_after_days is not None and self.default_after_days < self.phone_days:
            raise ValueError(
                f"default_after_days ({self.default_after_days}) must not end the phone rating "
                f"before phone_days ({self.phone_days})"
            )
        return self


class AlarmSpec(Strict):
    """超时预警: when the managers' dashboard raises an alarm. A number set to 0 (or a false
    switch) turns that alarm off. Minutes may be fractional (a test hall uses seconds)."""

    wait_over_target: bool = True  # a ticket waits longer than its queue's target_wait_minutes
    # Waiting tickets per open window serving the queue above which it is overloaded (any
    # waiting with no window open is too).
    queue_waiting_per_window: float = Field(15, ge=0)
    pause_minutes: float = Field(20, ge=0)  # a window paused longer than this
    # A service running longer than this times the item's median handling time (last 30 days,
    # at least 10 services; else the queue's; else no alarm).
    service_over_factor: float = Field(3.0, ge=0)
    printer_fault: bool = True  # a kiosk's printer reports a fault (paper out, cover open...)
    bad_rating: bool = True  # a citizen rates a service 不满意 or 非常不满意
    scan_seconds: float = Field(15, ge=0.5, le=300)  # how often the server checks the times

    @classmethod
    def of_hall(cls, hall: Hall) -> AlarmSpec:
        """The thresholds a hall's row carries (written from hall.toml by setup.sync_hall)."""
        return cls.model_validate(hall.alarm_rules or {})

    @field_validator("service_over_factor")
    @classmethod
    def _factor(cls, value: float) -> float:
        if 0 < value < 1:
            raise ValueError("a service over its usual time runs at least 1 times as long (0 turns it off)")
        return value


class RetentionSpec(Strict):
    """How long citizens' personal data is kept before the sweeper anonymises it, in days
    (docs/personal-data.md). What it leaves (counts, scores, reasons, times) keeps the
    statistics whole."""

    appointment_days: int = Field(90, ge=1, le=3650)  # names and ID hashes, after the slot's end
    comment_days: int = Field(365, ge=1, le=3650)  # rating comments, cases' notes: after the day
    holder_days: int = Field(30, ge=1, le=3650)  # tickets' ID hashes, after the service day


class NoticeSpec(Strict):
    """Public information (信息发布) the kiosks show while nobody uses them."""

    title: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=600)


class PrintingSpec(Strict):
    layout: str | None = None  # the ticket and notice layout file in the config folder; built-in if none
    font: str | None = None  # the CJK font for image mode; Debian's fonts-wqy-microhei if none
    # Seconds a job may wait for its printer's agent to take it before it goes to the backup.
    claim_timeout: float = Field(10, gt=0, le=600)
    # Seconds after which a ticket not yet printed is abandoned: the citizen has gone, and the
    # kiosk's screen showed the number. One-time notices are never abandoned.
    abandon_after: float = Field(120, gt=0, le=86_400)


class VoiceSpec(Strict):
    """How the hall board announces a call (叫号语音)."""

    repeat: int = Field(1, ge=1, le=3)  # times the sentence is said per call
    english: bool = False  # after the Mandarin sentence, say it in English
    browser_voice: bool = True  # use the browser's Mandarin voice when it has one, else the clips
    clips: str | None = None  # a folder in the config folder with the hall's own recorded clips


class LedModuleSpec(Strict):
    window: int
    address: int = Field(ge=0, le=255)  # the module's address on the RS-485 line


LedText = Annotated[str, Field(max_length=60)]  # a module shows a line; the rest would scroll


class LedTexts(Strict):
    """What a window's module shows in each state; fields: {number} {window} {window_name}
    {clerk} {badge} {reason}."""

    called: LedText = "请{number}号"
    serving: LedText = "{number}正在办理"
    idle: LedText = "{window}号窗口"
    paused: LedText = "暂停服务 {reason}"
    closed: LedText = "暂停服务"

    @field_validator("*")
    @classmethod
    def _formats(cls, value: str) -> str:
        """Tried with a window's fields, so a bad template is named by check-config."""
        sample = {"number": "A012", "window": 3, "window_name": "3号窗口", "clerk": "王芳", "badge": "1001", "reason": "会议"}  # fmt: skip
        try:
            value.format(**sample)
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            problem = f"no field {{{exc.args[0]}}}" if isinstance(exc, KeyError) else str(exc)
            raise ValueError(f"{problem}; the fields are {' '.join(f'{{{f}}}' for f in sample)}") from exc
        return value


class LedSpec(Strict):
    """Serial LED modules above the windows, driven by `hallq led-bridge`."""

    port: str  # the serial device, e.g. /dev/ttyUSB1
    agent: Code | None = None  # the hall PC whose agent drives the line; none: `hallq led-bridge`
    baudrate: int = 9600
    encoding: Literal["gb2312", "gb18030"] = "gb18030"
    framing: str = "plain"  # a built-in framing, or "package.module:Class" for a hall's own
    modules: list[LedModuleSpec] = Field(min_length=1)
    texts: LedTexts = LedTexts()


class ConnectionSpec(Strict):
    """What one client address may hold open ([connections] in hall.toml). Boards and phone
    pages connect without a token, so anyone on the network could open them by the hundred:
    these caps keep such a client from starving the hall. Devices and staff with a token or a
    login are never counted. A hall board PC with several screens, or phones behind one NAT,
    need room: the defaults are generous."""

    anonymous_sockets_per_address: int = Field(50, ge=1, le=100_000)
    http_connections_per_address: int = Field(100, ge=1, le=100_000)
    # Seconds a client has to send a request's headers, then its body; and a socket to
    # subscribe to something after it connects.
    header_timeout: float = Field(10, gt=0, le=300)
    body_timeout: float = Field(30, gt=0, le=3600)
    subscribe_timeout: float = Field(10, gt=0, le=300)


class AccountSpec(Strict):
    """Staff logins ([accounts] in hall.toml). A staff page left idle this long asks for the
    login again (等保 2.0: a session ends after a period without activity). Devices (kiosks,
    boards, keypads) use tokens or no login and never time out."""

    idle_minutes: int = Field(30, ge=1, le=24 * 60)


class HallSpec(Strict):
    hall: HallInfo
    departments: list[DepartmentSpec] = Field(min_length=1)
    queues: list[QueueSpec] = Field(min_length=1)
    windows: list[WindowSpec] = Field(min_length=1)
    agents: list[AgentSpec] = []
    kiosks: list[KioskSpec] = []
    boards: list[BoardSpec] = []
    keypads: list[KeypadSpec] = []
    callers: list[CallerSpec] = []
    notices: list[NoticeSpec] = []
    printing: PrintingSpec = PrintingSpec()
    voice: VoiceSpec = VoiceSpec()
    led: LedSpec | None = None
    evaluation: EvaluationSpec = EvaluationSpec()
    alarms: AlarmSpec = AlarmSpec()
    retention: RetentionSpec = RetentionSpec()
    connections: ConnectionSpec = ConnectionSpec()
    accounts: AccountSpec = AccountSpec()
    calendar: CalendarSpec = CalendarSpec()
    booking: BookingSpec = BookingSpec()

    def full_calendar(self) -> CalendarSpec:
        """The calendar as the hall's row keeps it: without sessions of its own, a working
        day is one session, the hall's hours."""
        hours = self.hall.hours
        if self.calendar.sessions or hours is None:
            return self.calendar
        return self.calendar.model_copy(update={"sessions": [f"{hours.open:%H:%M}-{hours.close:%H:%M}"]})

    def reference_problems(self) -> list[str]:
        """Cross-references the field validators cannot see, each named by its owner."""
        problems: list[str] = []
        problems += _duplicates("department", [d.code for d in self.departments])
        problems += _duplicates("queue", [q.code for q in self.queues])
        problems += _duplicates("window", [w.number for w in self.windows])
        declared: list[DeviceSpec] = [*self.agents, *self.kiosks, *self.boards, *self.keypads, *self.callers]
        device_ids = [d.id for d in declared]
        problems += _duplicates("device id", device_ids)
        agents = {a.id for a in self.agents}
        placed = [
            *((f'kiosk "{k.id}" printer', k.printer) for k in self.kiosks),
            *((f'kiosk "{k.id}" backup_printer', k.backup_printer) for k in self.kiosks),
            *((f'keypad "{k.id}"', k) for k in self.keypads),
            *((("led", self.led),) if self.led else ()),
        ]
        problems += [
            f'{owner}: unknown agent "{device.agent}" (declare it in [[agents]])'
            for owner, device in placed
            if device is not None and device.agent is not None and device.agent not in agents
        ]
        printing_kiosks = {k.id for k in self.kiosks if k.printer is not None}
        if self.hall.guide_printer is not None and self.hall.guide_printer not in printing_kiosks:
            problems.append(f'hall guide_printer: "{self.hall.guide_printer}" is no kiosk with a printer')
        queues = {q.code for q in self.queues}
        windows = {w.number for w in self.windows}
        for window in self.windows:
            codes = [ref.code for ref in window.queues]
            problems += [
                f'window {window.number}: serves unknown queue "{c}"' for c in codes if c not in queues
            ]
            problems += [f"window {window.number}: {p}" for p in _duplicates("queue", codes)]
        for queue in self.queues:
            hours = queue.hours or self.hall.hours
            if queue.last_ticket and hours and not hours.open < queue.last_ticket <= hours.close:
                problems.append(
                    f'queue "{queue.code}": last_ticket {queue.last_ticket:%H:%M} is not within its hours '
                    f"{hours.open:%H:%M}-{hours.close:%H:%M}"
                )
        served = {ref.code for window in self.windows for ref in window.queues}
        problems += [f'queue "{q}": no window serves it' for q in sorted(queues - served)]
        problems += [
            f'calendar: queues: unknown queue "{q}"' for q in sorted(set(self.calendar.queues) - queues)
        ]
        booked = set(self.booking.queues) | set(self.booking.remote_queues)
        problems += [f'booking: unknown queue "{q}"' for q in sorted(booked - queues)]
        printing = {k.id for k in self.kiosks if k.printer is not None}
        problems += [
            f'window {w.number}: notice_printer "{w.notice_printer}" is not a [[kiosks]] id with a printer'
            for w in self.windows
            if w.notice_printer is not None and w.notice_printer not in printing
        ]
        for board in self.boards:
            if board.kind == "window" and board.window not in windows:
                problems.append(f'board "{board.id}": unknown window {board.window}')
        if self.led:
            problems += [
                f"led: module for unknown window {m.window}"
                for m in self.led.modules
                if m.window not in windows
            ]
            problems += [f"led: {p}" for p in _duplicates("window", [m.window for m in self.led.modules])]
        for kind, devices in (("keypad", self.keypads), ("caller", self.callers)):
            problems += [
                f'{kind} "{d.id}": unknown window {d.window}' for d in devices if d.window not in windows
            ]
        problems += [
            f"keypads: {p}" for p in _duplicates("keypad for window", [k.window for k in self.keypads])
        ]
        return problems

    def device_kind(self, device_id: str) -> str | None:
        kinds = (
            ("agent", self.agents),
            ("kiosk", self.kiosks),
            ("board", self.boards),
            ("keypad", self.keypads),
            ("caller", self.callers),
        )
        for kind, devices in kinds:
            if any(d.id == device_id for d in devices):
                return kind
        return None


def _duplicates(what: str, values: Iterable[Hashable]) -> list[str]:
    repeated = _repeats(values)
    return [f"{what} {v!r} is declared more than once" for v in dict.fromkeys(repeated)]


_H = TypeVar("_H", bound=Hashable)


def _repeats(values: Iterable[_H]) -> list[_H]:
    """Each value that came before, as often and in the order it comes again."""
    seen: set[_H] = set()
    repeated: list[_H] = []
    for value in values:
        if value in seen:
            repeated.append(value)
        seen.add(value)
    return repeated


ENGLISH_LISTS = ("basis", "materials", "conditions", "procedure")  # disclosures kept as lines


def _lines(value: object) -> object:
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


class ItemSettings(Strict):
    """A service item's eight disclosures (八公开): what an item is besides its code (an
    administration page edits this)."""

    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    department: str = Field(min_length=1, max_length=20)
    queue: str = Field(min_length=1, max_length=QUEUE_CODE_LENGTH)
    kind: ItemKind
    legal_limit_days: int = Field(0, ge=0, le=3650)
    promised_limit_days: int = Field(0, ge=0, le=3650)
    applicant: str = Field("", max_length=40)
    basis: DisclosureLines = Field(min_length=1)
    materials: DisclosureLines = Field(min_length=1)
    conditions: DisclosureLines = []
    procedure: DisclosureLines = Field(min_length=1)
    fees: str = Field("不收费", max_length=FEES_LENGTH)
    fee_basis: str = Field("", max_length=FEES_LENGTH)
    authority: str = Field("", max_length=200)
    # The disclosures in English; an empty one shows the Chinese, marked 中文.
    applicant_en: str = Field("", max_length=80)
    basis_en: DisclosureLines = []
    materials_en: DisclosureLines = []
    conditions_en: DisclosureLines = []
    procedure_en: DisclosureLines = []
    fees_en: str = Field("", max_length=FEES_LENGTH)
    fee_basis_en: str = Field("", max_length=FEES_LENGTH)
    authority_en: str = Field("", max_length=400)
    topics: list[Annotated[str, Field(max_length=max(map(len, TOPICS)))]] = Field([], max_length=len(TOPICS))
    keywords: list[Annotated[str, Field(min_length=1, max_length=KEYWORD_LENGTH)]] = Field(
        [],
        max_length=KEYWORDS,
        description="The names citizens use for the item (社保卡, 身份证丢了): the kiosk's search finds them",
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _kind_words(cls, value: object) -> object:
        words = {"即办件": ItemKind.INSTANT, "承诺件": ItemKind.COMMITMENT}
        if isinstance(value, str) and value.strip() in words:
            return words[value.strip()]
        return value

    @field_validator(
        "basis",
        "materials",
        "conditions",
        "procedure",
        *(f"{name}_en" for name in ENGLISH_LISTS),
        mode="before",
    )
    @classmethod
    def _split_lines(cls, value: object) -> object:
        return _lines(value)

    @field_validator("topics", mode="before")
    @classmethod
    def _split_topics(cls, value: object) -> object:
        if isinstance(value, str):
            return [t.strip() for t in re.split(r"[、,，;；]", value) if t.strip()]
        return value

    @field_validator("keywords", mode="before")
    @classmethod
    def _split_keywords(cls, value: object) -> object:
        """A cell's keywords are separated by 、 , ， ; or spaces; repeats are dropped."""
        if isinstance(value, str):
            value = KEYWORD_SEPARATORS.split(value)
        if isinstance(value, list) and all(isinstance(k, str) for k in value):
            return [k for k in dict.fromkeys(k.strip() for k in value) if k]
        return value

    @field_validator("topics")
    @classmethod
    def _known_topics(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in TOPICS]
        if unknown:
            raise ValueError(f"unknown topic {'、'.join(unknown)}; topics are {'、'.join(TOPICS)}")
        return value

    @model_validator(mode="after")
    def _limits(self) -> ItemSettings:
        if self.kind == ItemKind.INSTANT and self.promised_limit_days:
            raise ValueError("an instant item (即办件) has no promised time limit in days")
        if self.kind == ItemKind.COMMITMENT and not self.promised_limit_days:
            raise ValueError("a commitment item (承诺件) needs a promised time limit in working days")
        if self.legal_limit_days and self.promised_limit_days > self.legal_limit_days:
            raise ValueError("the promised time limit is longer than the legal one")
        return self


class ItemSpec(ItemSettings):
    """One service item with its eight disclosures (八公开)."""

    code: Code
