"""The database briefly away: a SQLite file locked by another process beyond the busy timeout,
a PostgreSQL whose line is cut (through a TCP proxy) before or in the middle of a transaction.
Each request answers 503 with Retry-After, nothing is half-written, and the next request after
the database is back works with no restart."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, text

from hallq.live.subscriptions import _dashboard_state
from hallq.state import current_hall
from queue_core.models import Role, Staff
from tests.conftest import Api, app_settings, initialise_database, new_postgres_database
from tests.tcp_proxy import TcpProxy


def make_app(tmp_path, clock, database_url: str, served_url: str | None = None):
    """The demo hall initialised at database_url, served by an in-process app that reaches
    its database at served_url (a proxy in front of it)."""
    from hallq import create_app

    settings = app_settings(tmp_path).model_copy(update={"DATABASE_URL": database_url})
    initialise_database(settings, clock).engine.dispose()
    app = create_app(settings.model_copy(update={"DATABASE_URL": served_url or database_url}), clock=clock)
    app.config["TESTING"] = True
    return app


def close_app(app) -> None:
    app.extensions["hallq"].printing.close()
    app.extensions["hallq"].db.engine.dispose()


def ticket_count(app) -> int:
    with app.extensions["hallq"].db.read() as uow:
        return uow.session.scalar(text("SELECT count(*) FROM ticket"))


def assert_unavailable(answer) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == "database_unavailable"
    assert "try again" in answer.get_json()["message"]
    assert int(answer.headers["Retry-After"]) > 0


# -- SQLite ---------------------------------------------------------------------------------


@pytest.fixture
def sqlite_app(tmp_path, clock, request):
    """A SQLite hall whose writes wait 0.5 s for a lock, or the seconds a test's
    ``sqlite_timeout`` mark gives (one not about locks: the kiosk's print thread also writes,
    and on a loaded machine may hold the lock longer than 0.5 s)."""
    mark = request.node.get_closest_marker("sqlite_timeout")
    timeout = mark.args[0] if mark else 0.5
    path = tmp_path / "hallq.sqlite"
    app = make_app(tmp_path, clock, f"sqlite:///{path}?timeout={timeout}")
    yield app, path
    close_app(app)


def test_sqlite_locked_beyond_the_busy_timeout_answers_503_and_recovers(sqlite_app):
    app, path = sqlite_app
    api = Api(app)
    api.token("device:K1")
    before = ticket_count(app)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, and taking its time
    try:
        # Several at once: the writes queued in this process give up in turn, none hangs.
        with ThreadPoolExecutor(max_workers=3) as pool:
            answers = list(pool.map(lambda _: api.post("/tickets", "device:K1", {"queue": "A"}), range(3)))
        for answer in answers:
            assert_unavailable(answer)
        assert api.get("/queues").status_code == 200  # reads go on (WAL) while the lock is held
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert ticket_count(app) == before
    issued = api.post("/tickets", "device:K1", {"queue": "A"})
    assert issued.status_code == 201, issued.get_data(as_text=True)
    assert ticket_count(app) == before + 1


def test_a_bug_in_sql_is_still_a_500_not_a_503(sqlite_app):
    """Only a database that is away is "try again": SQLite's OperationalError also means a
    missing table, which no retry mends."""
    app, path = sqlite_app
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise into the test
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE hall_notice RENAME TO hall_notice_gone")
    answer = Api(app).get("/notices")
    assert answer.status_code == 500
    assert answer.get_json()["error"] == "internal_server_error"


# -- PostgreSQL through a proxy that can be cut ---------------------------------------------


@pytest.fixture
def postgres_app(tmp_path, clock):
    with new_postgres_database() as url:
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        direct = url.render_as_string(hide_password=False)
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        app = make_app(tmp_path, clock, direct, proxied)
        yield app, proxy
        close_app(app)
        proxy.close()


def test_postgres_cut_answers_503_then_the_server_recovers_by_itself(postgres_app):
    app, proxy = postgres_app
    api = Api(app)
    first = api.post("/tickets", "device:K1", {"queue": "A"})
    assert first.status_code == 201, first.get_data(as_text=True)
    proxy.cut()  # the pooled connection dies; a new one is hung up on
    assert_unavailable(api.post("/tickets", "device:K1", {"queue": "A"}))
    assert_unavailable(api.get(f"/tickets/{first.get_json()['id']}", "device:K1"))
    page = app.test_client().get("/")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "暂时无法服务" in page.get_data(as_text=True)  # the hall's language, as every page
    assert "Briefly unavailable" in app.test_client().get("/?lang=en").get_data(as_text=True)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"].startswith("unavailable")
    proxy.restore()
    again = api.post("/tickets", "device:K1", {"queue": "A"})
    assert again.status_code == 201, again.get_data(as_text=True)
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"


def test_postgres_cut_in_the_middle_of_issuing_leaves_no_half_ticket(postgres_app):
    """The line drops after the day's number was counted and before the ticket row: the
    transaction rolls back whole, so the next ticket gets that same number."""
    app, proxy = postgres_app
    api = Api(app)
    first = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    engine = app.extensions["hallq"].db.engine

    def cut_before_the_ticket_row(_conn, _cursor, statement, *_args) -> None:
        if statement.startswith("INSERT INTO ticket "):
            proxy.cut()

    event.listen(engine, "before_cursor_execute", cut_before_the_ticket_row)
    try:
        assert_unavailable(api.post("/tickets", "device:K1", {"queue": "A"}))
    finally:
        event.remove(engine, "before_cursor_execute", cut_before_the_ticket_row)
    proxy.restore()
    assert ticket_count(app) == 1
    second = api.post("/tickets", "device:K1", {"queue": "A"})
    assert second.status_code == 201, second.get_data(as_text=True)
    assert int(second.get_json()["number"][1:]) == int(first["number"][1:]) + 1


def test_a_deadlock_is_run_again_not_answered_as_an_outage(postgres_app):
    """Another transaction holds the ticket a clerk starts, then wants the clerk's window: the
    hall's lock order broken from outside, so PostgreSQL must roll one of the two back. The
    clerk's request is the one (it waited first); it runs again and answers 200, not 503."""
    app, _proxy = postgres_app
    with app.extensions["hallq"].db.write() as uow:
        hall_id = uow.session.scalar(text("SELECT id FROM hall"))
        uow.session.add(
            Staff(hall_id=hall_id, username="clerk1", name="办事员", badge="0001", role=Role.CLERK)
        )
    api = Api(app)
    assert api.post("/windows/1/sign-in", "clerk1").status_code == 200
    issued = api.post("/tickets", "device:K1", {"queue": "A"}).get_json()
    assert api.post("/windows/1/call", "clerk1", {"number": issued["number"]}).status_code == 200
    holding, released = threading.Event(), threading.Event()

    def against_the_order() -> None:
        with app.extensions["hallq"].db.engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT id FROM ticket WHERE id = :id FOR UPDATE"), {"id": issued["id"]})
            holding.set()
            time.sleep(0.4)  # the clerk's start now holds window 1 and waits for the ticket
            conn.execute(text('SELECT id FROM "window" WHERE number = 1 FOR UPDATE'))
            time.sleep(0.2)
        released.set()

    other = threading.Thread(target=against_the_order)
    other.start()
    holding.wait(5)
    started = api.post("/windows/1/start", "clerk1")
    other.join(10)
    assert released.is_set()
    assert started.status_code == 200, started.get_data(as_text=True)
    assert started.get_json()["window"]["state"] == "serving"


def test_a_silent_partition_answers_503_within_5_s_healthz_within_2_s_and_recovers(postgres_app):
    """The database's line stays open and nothing comes back (a partition, a hung host): the
    request still ends with 503 in bounded time, not when the kernel gives up (~15 min)."""
    app, proxy = postgres_app
    api = Api(app)
    api.token("device:K1")
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    proxy.silence()
    began = time.monotonic()
    assert_unavailable(api.post("/tickets", "device:K1", {"queue": "A"}))
    assert time.monotonic() - began < 5
    began = time.monotonic()
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "unavailable"
    assert time.monotonic() - began < 2
    proxy.restore()
    again = api.post("/tickets", "device:K1", {"queue": "A"})
    assert again.status_code == 201, again.get_data(as_text=True)


@pytest.mark.sqlite_timeout(30)
def test_a_full_disk_answers_503_storage_full_and_healthz_says_so(sqlite_app, caplog):
    """The disk has no room (here SQLite's max_page_count, the same SQLITE_FULL a full disk
    gives): each write answers 503 storage_full with nothing half-written, reads go on,
    /healthz is unhealthy, the log says so once; room made, the next write works."""
    app, path = sqlite_app
    api = Api(app)
    api.token("device:K1")
    engine = app.extensions["hallq"].db.engine
    with sqlite3.connect(path) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    limit = {"pages": pages}
    event.listen(engine, "connect", lambda conn, _: conn.execute(f"PRAGMA max_page_count = {limit['pages']}"))
    engine.dispose()
    answers = [api.post("/tickets", "device:K1", {"queue": "A"}) for _ in range(300)]
    refused = [a for a in answers if a.status_code != 201]
    assert refused, "the disk never filled"
    before = ticket_count(app)
    for answer in refused:
        assert answer.status_code == 503, answer.get_data(as_text=True)
        assert answer.get_json()["error"] == "storage_full" and answer.headers["Retry-After"]
    assert api.get("/queues").status_code == 200
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["storage"].startswith("full: ")
    assert sum("disk is full" in r.message for r in caplog.records) == 1
    # The managers' dashboard shows it, though no row can hold it: pushed to those open, and
    # in the state given to one that opens now.
    with app.app_context(), app.extensions["hallq"].db.read() as uow:
        opened = _dashboard_state(uow, current_hall(uow), True)
    assert opened["alarms"][0]["kind"] == "storage_full" and opened["alarms"][0]["state"] == "open"

    limit["pages"] = pages * 10
    engine.dispose()
    assert api.post("/tickets", "device:K1", {"queue": "A"}).status_code == 201
    assert ticket_count(app) == before + 1
    assert app.test_client().get("/healthz").get_json()["status"] == "ok"
    assert app.extensions["hallq"].storage.alarm() is None
