"""The hall's calendar: which days it works, the sessions of each day (the lunch break, 午休,
is the gap between two), and when each queue takes tickets. Everything that needs to know
reads this one calendar: the kiosk's refusals, the follow-up deadlines of bad ratings.

Which days are working days: the hall's own dated exception wins (config/calendar.toml: a
closure, a holiday the package does not know yet, a make-up day, other hours); else the
official calendar (chinese-calendar: weekends and public holidays off, make-up days 调休 on);
for a year that neither knows, Monday to Friday, and `unknown_year` warns from 1 November of
the year before, when the State Council's notice for it is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import chinese_calendar

from .spec import CalendarSpec, QueueCalendar, session_times

if TYPE_CHECKING:
    from .models import Hall, Queue

Span = tuple[time, time]

# chinese-calendar names its holidays in English; a hall's screens say them in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利纪念日",
}
WEEKEND = "周末"
CLOSURE = "暂停服务"  # a day the hall closes without saying why
WARN_FROM = (11, 1)  # month and day from which next year's unknown holidays are a warning
LOOK_AHEAD_DAYS = 400  # how far a next opening is looked for (a long closure, the year's end)
WHOLE_DAY: tuple[Span, ...] = ((time(0, 0), time(23, 59, 59, 999999)),)


@dataclass(frozen=True)
class Day:
    """One day of the hall's calendar."""

    date: date
    working: bool
    sessions: tuple[Span, ...]  # the hall's; empty on a day off
    reason: str  # why it is off, as a screen says it: 国庆节, 周末, a closure's reason
    known: bool  # a dated exception or the official calendar knows the day
    ordinary_weekend: bool  # a Saturday or Sunday off that is no holiday's


@dataclass(frozen=True)
class Closed:
    """Why a queue takes no ticket now, and when it next does (None: not within a year)."""

    why: str  # not_yet, break, over, day_off
    reason: str  # the day off's reason, else ""
    sessions: tuple[Span, ...]  # the queue's sessions today
    reopens_at: datetime | None


class HallCalendar:
    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self._days = {d.date: d for d in (*spec.days, *spec.added)}
        self._sessions = tuple(session_times(s) for s in spec.sessions) or WHOLE_DAY

    @property
    def working_sessions(self) -> tuple[Span, ...]:
        """The sessions of an ordinary working day."""
        return self._sessions

    @staticmethod
    def of_hall(hall: Hall) -> HallCalendar:
        """The calendar the hall's row carries (written by setup.sync_hall from the config)."""
        return from_rules(hall.calendar_rules)

    def day(self, day: date) -> Day:
        exception = self._days.get(day)
        official_off, holiday, known = _official(day)
        ordinary_weekend = official_off and holiday is None
        if exception is not None:
            working = not exception.closed
            sessions = tuple(session_times(s) for s in exception.sessions or ()) or self._sessions
            reason = exception.reason or ("" if working else holiday or CLOSURE)
            return Day(day, working, sessions if working else (), reason, True, ordinary_weekend)
        if official_off:
            return Day(day, False, (), holiday or WEEKEND, known, ordinary_weekend)
        return Day(day, True, self._sessions, "", known, False)

    def is_working_day(self, day: date) -> bool:
        return self.day(day).working

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (start itself not counted): a deadline of
        one working day from a Friday is the next Monday, or later after a holiday."""
        if days < 1:
            raise ValueError("count at least one working day")
        day = start
        while days:
            day += timedelta(days=1)
            days -= self.is_working_day(day)
        return day

    def queue_sessions(self, queue: Queue, day: date) -> tuple[Span, ...]:
        """When the queue takes tickets that day: the day's sessions (or the queue's own),
        within the queue's hours and up to its last ticket, each ending early by its
        stop_before_close."""
        rule = self.spec.queues.get(queue.code, QueueCalendar())
        found = self.day(day)
        if found.working:
            own = rule.sessions if day not in self._days or self._days[day].sessions is None else None
            spans = tuple(session_times(s) for s in own) if own else found.sessions
        elif found.ordinary_weekend and day.weekday() == 5 and day not in self._days:
            spans = tuple(session_times(s) for s in rule.saturday)
        else:
            return ()
        first = queue.opens_at or time.min
        last = queue.last_ticket_at or queue.closes_at or time.max
        clipped = []
        for opens, closes in spans:
            closes = _minus(min(closes, last), rule.stop_before_close)
            opens = max(opens, first)
            if opens < closes:
                clipped.append((opens, closes))
        return tuple(clipped)

    def session_quota(self, queue: Queue, local: datetime) -> tuple[Span, int] | None:
        """The queue's session at that local time and its quota of tickets, where it has one."""
        quotas = self.spec.queues.get(queue.code, QueueCalendar()).session_quotas
        if not quotas:
            return None
        now = local.time()
        sessions = self.queue_sessions(queue, local.date())
        for index, (opens, closes) in enumerate(sessions):
            if opens <= now < closes:
                return (opens, closes), quotas[min(index, len(quotas) - 1)]
        return None

    def closed_now(self, queue: Queue, local: datetime) -> Closed | None:
        """None while the queue takes tickets at that local time; else why not, and when."""
        today = local.date()
        sessions = self.queue_sessions(queue, today)
        now = local.time()
        if any(opens <= now < closes for opens, closes in sessions):
            return None
        found = self.day(today)
        if not sessions:
            why, reason = "day_off", found.reason
        elif now < sessions[0][0]:
            why, reason = "not_yet", ""
        elif now >= sessions[-1][1]:
            why, reason = "over", ""
        else:
            why, reason = "break", ""
        return Closed(why, reason, sessions, self.next_opening(queue, local))

    def next_opening(self, queue: Queue, local: datetime) -> datetime | None:
        """The next moment after `local` (a hall-local time) the queue takes tickets."""
        for ahead in range(LOOK_AHEAD_DAYS):
            day = local.date() + timedelta(days=ahead)
            for opens, _ in self.queue_sessions(queue, day):
                moment = datetime.combine(day, opens, tzinfo=local.tzinfo)
                if moment > local:
                    return moment
        return None

    def open_sessions(self, day: date) -> tuple[Span, ...]:
        """When the hall is open that day: a working day's sessions; on an ordinary Saturday,
        those of the queues that open then (merged), else none."""
        found = self.day(day)
        if found.working:
            return found.sessions
        if not (found.ordinary_weekend and day.weekday() == 5 and day not in self._days):
            return ()
        spans = sorted(session_times(s) for rule in self.spec.queues.values() for s in rule.saturday)
        merged: list[Span] = []
        for opens, closes in spans:
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return tuple(merged)

    def open_duration(self, start: datetime, end: datetime) -> timedelta:
        """The time within the hall's open sessions between two hall-local moments: a wait
        across lunch counts the morning's part and the afternoon's, not the break."""
        total = timedelta()
        day = start.date()
        while day <= end.date():
            for opens, closes in self.open_sessions(day):
                first = max(start, datetime.combine(day, opens, tzinfo=start.tzinfo))
                last = min(end, datetime.combine(day, closes, tzinfo=start.tzinfo))
                total += max(timedelta(), last - first)
            day += timedelta(days=1)
        return total

    def unknown_year(self, today: date) -> int | None:
        """A year whose holidays neither the official calendar nor the hall's exceptions
        give: this year, or from 1 November the next."""
        years = [today.year]
        if (today.month, today.day) >= WARN_FROM:
            years.append(today.year + 1)
        for year in years:
            if not _official_known(year) and not any(d.year == year for d in self._days):
                return year
        return None


def elapsed(hall: Hall, since: datetime, until: datetime) -> timedelta:
    """The time from `since` to `until`; where the hall keeps its hours, only the part within
    its sessions: a wait, pause or service across lunch or overnight counts no closed time."""
    if not hall.enforce_hours:
        return until - since
    zone = ZoneInfo(hall.timezone)
    return HallCalendar.of_hall(hall).open_duration(since.astimezone(zone), until.astimezone(zone))


def _minus(moment: time, minutes: int) -> time:
    if not minutes:
        return moment
    shifted = datetime.combine(date.min, moment) - timedelta(minutes=minutes)
    return shifted.time() if shifted.date() == date.min else time.min


@lru_cache(maxsize=16)
def from_rules(text: str) -> HallCalendar:
    """The calendar of a hall row's calendar_rules ("": the official calendar alone), parsed
    once per process and version of the text."""
    return HallCalendar(CalendarSpec.model_validate_json(text or "{}"))


@lru_cache(maxsize=4096)
def _official(day: date) -> tuple[bool, str | None, bool]:
    """(off, the holiday's Chinese name or None for a weekend, known) on the official calendar."""
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return day.weekday() >= 5, None, False
    # A make-up working day names the holiday it makes up for: it is no holiday itself.
    return off, HOLIDAY_NAMES.get(name, name) if off and name else None, True


@lru_cache(maxsize=64)
def _official_known(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 12, 31))
    except NotImplementedError:
        return False
    return True


def chinese_calendar_version() -> str:
    from importlib.metadata import version

    return version("chinesecalendar")
