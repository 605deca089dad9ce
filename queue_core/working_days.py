"""Working days on China's official calendar (法定工作日): weekends and public holidays are
off, and the make-up working days (调休上班, often a Saturday or Sunday) are on. The State
Council publishes each year's calendar late in the year before; the chinese-calendar package
carries it. For a year it does not know yet, Monday to Friday count, and the hall is told once
in the log."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "the official calendar of %s is not known to this install (update chinesecalendar): "
                "counting Monday to Friday as working days",
                day.year,
            )
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself not counted): a deadline of
    one working day from a Friday is the next Monday, or later after a holiday."""
    if days < 1:
        raise ValueError("count at least one working day")
    day = start
    while days:
        day += timedelta(days=1)
        days -= is_working_day(day)
    return day
