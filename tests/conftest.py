"""Shared fixtures: real databases (a SQLite file per test; PostgreSQL in a schema of its own
when the server is reachable) migrated with Alembic, and a small hall."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import URL, Engine, make_url

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

    def __call__(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)

    def names(self) -> list[str]:
        return [e.name for e in self.events]


@contextmanager
def new_postgres_database() -> Iterator[URL]:
    """A database of its own on the test PostgreSQL, for servers that run as other processes
    (a schema cannot be passed to them); dropped afterwards. Skips where PostgreSQL is away."""
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"hallq_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    try:
        yield make_url(POSTGRES_URL).set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _postgres_engine() -> tuple[tuple[Engine, Engine], str]:
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
def engine(backend: str, tmp_path) -> Iterator[Engine]:
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


def staff_by_username(uow, username: str) -> Staff:
    """A test's person by username (the app looks people up within a hall: queue_core.accounts)."""
    return uow.session.scalars(select(Staff).where(Staff.username == username)).one()


def staff_id(db: Database, username: str) -> int:
    with db.read() as uow:
        return staff_by_username(uow, username).id


@pytest.fixture
def hall(db: Database) -> Hall:
    return make_hall(db)


# -- the Flask app over the shipped demo configuration ------------------------------------

DEMO_CONFIG = __import__("pathlib").Path(__file__).resolve().parent.parent / "config"


def app_settings(tmp_path, config_dir=DEMO_CONFIG, **extra: Any):
    from hallq.settings import Settings

    return Settings(
        SECRET_KEY="test-secret",
        DATABASE_URL=f"sqlite:///{tmp_path / 'hallq.sqlite'}",
        HALLQ_CONFIG=config_dir,
        HALLQ_INSTANCE=tmp_path / "instance",
        **{"HALLQ_SECURE_COOKIES": False, **extra},  # the test client speaks plain HTTP
    )


def initialise_database(settings, clock) -> Database:
    from hallq.config_files import load_config
    from queue_core.setup import import_items

    spec, items = load_config(settings.HALLQ_CONFIG)
    database = Database(make_engine(settings.database_url()), clock)
    migrate.upgrade(database.engine)
    with database.write() as uow:
        hall = sync_hall(uow, spec)
        import_items(uow, hall, items)
    return database


@pytest.fixture(scope="session")
def password_hash() -> str:
    """scrypt is slow on purpose: hash the test password once, not per user per test."""
    from hallq.auth import hash_password

    return hash_password("password-123")


@pytest.fixture
def app(tmp_path, clock, password_hash):
    from hallq import create_app

    settings = app_settings(tmp_path)
    database = initialise_database(settings, clock)
    with database.write() as uow:
        hall_id = uow.session.scalar(text("SELECT id FROM hall"))
        people = [("manager", Role.MANAGER), ("guide", Role.GUIDE), ("admin", Role.ADMIN)]
        people += [(f"clerk{n}", Role.CLERK) for n in range(1, 17)] + [("supervisor", Role.SUPERVISOR)]
        for badge, (username, role) in enumerate(people, start=1):
            uow.session.add(
                Staff(
                    hall_id=hall_id,
                    username=username,
                    name=f"{username}名",
                    badge=f"{badge:04d}",
                    role=role,
                    password_hash=password_hash,
                )
            )
    database.engine.dispose()
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    yield application
    application.extensions["hallq"].printing.close()
    application.extensions["hallq"].db.engine.dispose()


class Api:
    """A JSON client for /api/v1 with a bearer token per caller."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def token(self, who: str) -> str:
        from hallq.auth import new_token

        if who not in self.tokens:
            db = self.app.extensions["hallq"].db
            with db.write() as uow:
                hall_id = uow.session.scalar(text("SELECT id FROM hall"))
                if who.startswith("device:"):
                    device_id = who.removeprefix("device:")
                    kind = self.app.extensions["hallq"].spec.device_kind(device_id)
                    self.tokens[who] = new_token(uow, hall_id, device=(kind, device_id))
                else:
                    self.tokens[who] = new_token(uow, hall_id, staff=staff_by_username(uow, who))
        return self.tokens[who]

    def request(self, method: str, path: str, who: str | None = None, json: object = None, **kw: object):
        headers = {"Authorization": f"Bearer {self.token(who)}"} if who else {}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers, **kw)

    def get(self, path: str, who: str | None = None, **kw: object):
        return self.request("GET", path, who, **kw)

    def post(self, path: str, who: str | None = None, json: object = None, **kw: object):
        return self.request("POST", path, who, json=json, **kw)


@pytest.fixture
def api(app) -> Api:
    return Api(app)


class SocketClient:
    """A python-socketio client of /hall on a served app, keeping what it hears in order."""

    def __init__(self, url: str, *, cookie: str | None = None, token: str | None = None) -> None:
        import socketio

        self.heard: list[tuple[str, object]] = []
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda name, payload=None: self.heard.append((name, payload)), namespace="/hall")
        self.client.connect(
            url,
            namespaces=["/hall"],
            transports=["websocket"],
            headers={"Cookie": cookie} if cookie else {},
            auth={"token": token} if token else None,
            wait_timeout=10,
        )

    def subscribe(self, what: dict) -> dict:
        return self.client.call("subscribe", what, namespace="/hall", timeout=10)

    def take(self) -> list[tuple[str, object]]:
        """What it has heard since the last take."""
        taken, self.heard[:] = list(self.heard), []
        return taken

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def served(app) -> Iterator[str]:
    """The test's app behind the real server (uvicorn and the /hall server, on a thread of this
    process, with the test's clock), for real Socket.IO clients."""
    import threading
    import time

    import uvicorn

    from hallq.server import asgi_app
    from tests.live.conftest import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            asgi_app(app, 4), host="127.0.0.1", port=port, ws="websockets-sansio", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
