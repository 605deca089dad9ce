from datetime import UTC, datetime, time

import pytest

from queue_core.errors import QueueClosed, QuotaReached
from queue_core.models import Queue
from queue_core.setup import sync_hall
from tests.conftest import make_hall, small_hall_spec
from tests.core.helpers import issue


def test_numbers_are_sequential_per_queue(db, hall):
    assert [issue(db, hall, "A") for _ in range(3)] == ["A001", "A002", "A003"]
    assert issue(db, hall, "B") == "B001"
    assert issue(db, hall, "A") == "A004"


def test_numbers_restart_at_local_midnight_not_utc(db, hall, clock):
    # 23:59:59 in Shanghai is 15:59:59 UTC.
    clock.set(datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC))
    assert [issue(db, hall) for _ in range(2)] == ["A001", "A002"]
    clock.set(datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC))  # 00:00 on the 24th in Shanghai
    assert issue(db, hall) == "A001"
    # UTC midnight (08:00 in Shanghai) is not a new service day.
    clock.set(datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC))
    assert issue(db, hall) == "A002"


def test_range_wraps_and_format_is_configurable(db):
    spec = small_hall_spec()
    spec.queues[0].range = (98, 99)
    spec.queues[0].number_format = "{code}-{n}"
    hall = make_hall(db, spec)
    assert [issue(db, hall) for _ in range(3)] == ["A-98", "A-99", "A-98"]


def test_range_without_wrap_refuses_when_used_up(db):
    spec = small_hall_spec()
    spec.queues[0].range = (1, 2)
    spec.queues[0].wrap = False
    hall = make_hall(db, spec)
    issue(db, hall)
    issue(db, hall)
    with pytest.raises(QuotaReached, match="used all its numbers"):
        issue(db, hall)


def test_daily_quota(db):
    spec = small_hall_spec()
    spec.queues[1].daily_quota = 2
    hall = make_hall(db, spec)
    issue(db, hall, "B")
    issue(db, hall, "B")
    with pytest.raises(QuotaReached, match="queue B has issued its 2 tickets"):
        issue(db, hall, "B")
    assert issue(db, hall, "A") == "A001"


def test_hours_are_enforced_in_local_time(db, hall, clock):
    with db.write() as uow:
        queue = uow.session.get(Queue, 1)
        queue.opens_at, queue.closes_at = time(8, 30), time(17, 0)
    clock.set(datetime(2026, 11, 23, 0, 29, tzinfo=UTC))  # 08:29 local
    with pytest.raises(QueueClosed, match="from 08:30 to 17:00"):
        issue(db, hall)
    clock.set(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))
    assert issue(db, hall) == "A001"


def test_refused_ticket_consumes_no_number(db, clock):
    spec = small_hall_spec()
    spec.queues[0].daily_quota = 1
    hall = make_hall(db, spec)
    issue(db, hall)
    with pytest.raises(QuotaReached):
        issue(db, hall)
    with db.write() as uow:
        sync_hall(
            uow,
            spec.model_copy(
                update={"queues": [q.model_copy(update={"daily_quota": 5}) for q in spec.queues]}
            ),
        )
    assert issue(db, hall) == "A002"
