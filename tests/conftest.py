"""Shared fixtures: real databases (a SQLite file per test; PostgreSQL in a schema of its own
when the server is reachable) migrated with Alembic, and a small hall."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from queue_core import Database, ManualClock, make_engine, migrate
from queue_core.events import DomainEvent
from queue_core.models import Hall, Role, Staff
from queue_core.setup import sync_hall
from queue_core.spec import HallSpec

POSTGRES_URL = os.environ.get("HALLQ_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# 09:00 in Shanghai on a Monday.
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def small_hall_spec(windows: int = 3, **hall: object) -> HallSpec:
    """Queues A (户籍) and B (社保); windows 1..n serve A then B."""
    return HallSpec.model_validate(
        {
            "hall": {"code": "test", "name": "测试政务服务中心", **hall},
            "departments": [{"code": "GA", "name": "公安局"}, {"code": "RS", "name": "人社局"}],
            "queues": [{"code": "A", "name": "户籍业务"}, {"code": "B", "name": "社保业务"}],
            "windows": [
                {"number": n, "name": f"{n}号窗口", "queues": ["A", "B"]} for n in range(1, windows + 1)
            ],
        }
    )


class EventLog:
    """Collects what the database publishes after commits."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def __call__(self, events: tuple[DomainEvent, ...]) -> None:
        self.events.extend(events)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


def _postgres_engine() -> tuple[object, str]:
    admin = make_engine(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=40)
    return (admin, engine), schema


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def engine(backend: str, tmp_path) -> Iterator[object]:
    if backend == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'hall.sqlite'}")
        migrate.upgrade(eng)
        yield eng
        eng.dispose()
        return
    (admin, eng), schema = _postgres_engine()
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MORNING)


@pytest.fixture
def published() -> EventLog:
    return EventLog()


@pytest.fixture
def db(engine, clock: ManualClock, published: EventLog) -> Database:
    return Database(engine, clock, published)


def make_hall(db: Database, spec: HallSpec | None = None) -> Hall:
    with db.write() as uow:
        hall = sync_hall(uow, spec or small_hall_spec())
        for n in range(1, 41):
            uow.session.add(
                Staff(
                    hall_id=hall.id,
                    username=f"clerk{n}",
                    name=f"办事员{n}",
                    badge=f"{n:04d}",
                    role=Role.CLERK,
                )
            )
    return hall


def staff_id(db: Database, username: str) -> int:
    from queue_core.halls import staff_by_username

    with db.read() as uow:
        return staff_by_username(uow, username).id


@pytest.fixture
def hall(db: Database) -> Hall:
    return make_hall(db)
