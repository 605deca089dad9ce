"""Written notices in the core: each kind numbered on its own, restarting every year, and an
acceptance's completion date counted in the hall's working days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from queue_core.calling import call_number
from queue_core.hall_calendar import HallCalendar
from queue_core.models import Hall, ServiceItem, Staff, WrittenNoticeKind
from queue_core.spec import CalendarSpec, HallSpec
from queue_core.ticketing import issue_ticket
from queue_core.windows import sign_in
from queue_core.written_notices import Request, completion_date, issue, notice_number
from tests.conftest import app_settings, initialise_database, small_hall_spec

MARRIAGE = "内地居民婚姻登记（结婚登记）"


@pytest.fixture
def demo(tmp_path, clock):
    database = initialise_database(app_settings(tmp_path), clock)
    with database.write() as uow:
        uow.session.add(Staff(hall_id=1, username="liuyang", name="刘洋", badge="1004", role="clerk"))
    yield database
    database.engine.dispose()


def give(db, kind: WrittenNoticeKind, **request: Any) -> str:
    """A marriage registration ticket called to window 4 and given a notice of `kind`."""
    with db.write() as uow:
        hall = uow.session.scalars(select(Hall)).one()
        item = uow.session.scalars(select(ServiceItem).where(ServiceItem.name == MARRIAGE)).one()
        clerk = uow.session.scalars(select(Staff).where(Staff.username == "liuyang")).one()
        window = sign_in(uow, hall, 4, clerk)
        if window.current_ticket_id is None:
            ticket = issue_ticket(uow, hall, item_id=item.id)
            call_number(uow, hall, 4, ticket.number, clerk.id)
        if kind == WrittenNoticeKind.MISSING_MATERIALS:
            request = {"materials": item.materials[:1]}
        return notice_number(issue(uow, hall, window, clerk, Request(kind, **request)))


def test_each_kind_is_numbered_on_its_own_and_restarts_with_the_year(demo, clock):
    assert give(demo, WrittenNoticeKind.MISSING_MATERIALS) == "告知〔2026〕第 0001 号"
    assert give(demo, WrittenNoticeKind.MISSING_MATERIALS) == "告知〔2026〕第 0002 号"
    assert give(demo, WrittenNoticeKind.REFUSAL, reason="不符合条件") == "不予受理〔2026〕第 0001 号"
    assert give(demo, WrittenNoticeKind.ACCEPTANCE) == "受理〔2026〕第 0001 号"
    # 2027-01-01 09:00 in the hall (UTC+8): the new year's first.
    clock.set(datetime(2027, 1, 1, 1, 0, tzinfo=UTC))
    assert give(demo, WrittenNoticeKind.MISSING_MATERIALS) == "告知〔2027〕第 0001 号"


def item(promised: int, legal: int) -> ServiceItem:
    return ServiceItem(promised_limit_days=promised, legal_limit_days=legal)


def test_the_completion_date_counts_working_days_on_the_hall_calendar():
    calendar = HallCalendar(CalendarSpec())
    friday = date(2026, 11, 20)
    assert completion_date(calendar, item(3, 20), friday) == date(2026, 11, 25)  # over the weekend
    assert completion_date(calendar, item(0, 5), friday) == date(
        2026, 11, 27
    )  # the legal limit, none promised
    assert completion_date(calendar, item(0, 0), friday) == friday  # 即办件: done that day
    # 国庆节 2026 (1 to 7 October) and its weekend are no working days.
    assert completion_date(calendar, item(1, 0), date(2026, 9, 30)) == date(2026, 10, 8)
    closed = HallCalendar(CalendarSpec.model_validate({"days": [{"date": "2026-11-23", "closed": True}]}))
    assert completion_date(closed, item(1, 0), friday) == date(2026, 11, 24)  # the hall's own closure


def test_a_window_names_a_kiosk_with_a_printer_for_its_notices():
    spec = small_hall_spec().model_dump()
    spec["kiosks"] = [{"id": "K1", "printer": "dummy:"}, {"id": "K2"}]
    spec["windows"][0]["notice_printer"] = "K1"
    spec["windows"][1]["notice_printer"] = "K2"  # a kiosk without a printer
    spec["windows"][2]["notice_printer"] = "K9"
    assert HallSpec.model_validate(spec).reference_problems() == [
        'window 2: notice_printer "K2" is not a [[kiosks]] id with a printer',
        'window 3: notice_printer "K9" is not a [[kiosks]] id with a printer',
    ]
