"""The migrations build exactly the schema the models describe, can be undone, and upgrade a
hall kept at any earlier revision to the head with its data and its audit chain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, select, text
from sqlalchemy import types as sqltypes

from queue_core import Database, SystemClock, audit, make_engine, migrate
from queue_core.models import AuditEntry, Base, Hall, Staff, Ticket, Window
from tests.conftest import _postgres_engine

FIRST_REVISION = "acf212835212"

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_migrated_schema_matches_the_models(engine):
    assert migrate.is_current(engine)
    assert differences(engine) == []


def test_downgrade_to_nothing_and_back(engine):
    migrate.downgrade(engine, "base")
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() is None
    migrate.upgrade(engine)
    assert differences(engine) == []


def test_upgrading_a_database_that_holds_a_hall(engine):
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine, FIRST_REVISION)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO hall (code, name, timezone, priority_fairness, requeue_no_show, remote_ticketing,"
                " enforce_hours) VALUES ('old', '老中心', 'Asia/Shanghai', 3, true, false, true)"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT priority_pin FROM hall WHERE code = 'old'")).scalar_one() in (
            0,
            False,
        )


AUDIT_TRAIL_REVISION = "1642a2219bd8"  # 0008_audit_trail: the chain begins here
MOMENT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@contextmanager
def fresh_engine(backend: str, tmp_path, name: str) -> Iterator[Any]:
    """An empty database of its own: a SQLite file, or a PostgreSQL schema dropped after."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.sqlite'}")
        yield engine
        engine.dispose()
        return
    (admin, engine), schema = _postgres_engine()
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def revisions_before_head() -> list[str]:
    scripts = ScriptDirectory(str(migrate.SCRIPTS))
    return [script.revision for script in scripts.walk_revisions()][1:][::-1]  # oldest first


def insert(connection, table: Table, given: dict[str, Any], serial: int, made: dict[str, int]) -> int:
    """A row of the table as it is at this revision: the given values, and for every other
    column that must have one, the row made before of the table it refers to, or a plain value
    of its type."""
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.primary_key:
            continue
        refers_to = {key.column.table.name for key in column.foreign_keys}
        if refers_to:
            row[column.name] = made[refers_to.pop()]
            continue
        python = column.type.python_type if not isinstance(column.type, sqltypes.JSON) else dict
        row[column.name] = {
            bool: False,
            int: 0,
            float: 0.0,
            str: f"{column.name}-{serial}",
            datetime: MOMENT,
            date: MOMENT.date(),
            dict: {},
            bytes: b"",
        }[python]
    made[table.name] = connection.execute(table.insert().values(row)).inserted_primary_key[0]
    return made[table.name]


def fill(engine) -> None:
    """A small hall as the code of this revision kept it: the hall, a queue, a window, a clerk,
    three waiting tickets and, where the trail exists, three chained audit entries."""
    tables = MetaData()
    tables.reflect(engine)
    made: dict[str, int] = {}
    with engine.begin() as connection:
        hall_id = insert(
            connection,
            tables.tables["hall"],
            {"code": "old", "name": "老中心", "timezone": "Asia/Shanghai"},
            0,
            made,
        )
        queue_id = insert(
            connection, tables.tables["queue"], {"hall_id": hall_id, "code": "A", "name": "户籍业务"}, 0, made
        )
        insert(
            connection, tables.tables["window"], {"hall_id": hall_id, "number": 1, "name": "1号窗口"}, 0, made
        )
        insert(connection, tables.tables["staff"], {"hall_id": hall_id, "username": "clerk1", "name": "办事员", "role": "clerk"}, 0, made)  # fmt: skip
        for n in (1, 2, 3):
            ticket = {"hall_id": hall_id, "queue_id": queue_id, "number": f"A00{n}", "status": "waiting", "seq": n,
                      "issued_at": MOMENT, "service_day": MOMENT.date()}  # fmt: skip
            insert(connection, tables.tables["ticket"], ticket, n, made)
        if "audit_entry" in tables.tables:
            previous = audit.GENESIS
            for n in (1, 2, 3):
                entry = AuditEntry(hall_id=hall_id, at=MOMENT, actor_kind="staff", actor_id="clerk1",
                                   actor_name="办事员", address="10.0.0.7", action="api.call_next",
                                   subject="/api/v1/windows/1/call-next", detail={"events": [{"n": n}]},
                                   prev_hash=previous)  # fmt: skip
                entry.hash = audit.entry_hash(entry)
                columns = {c.name for c in tables.tables["audit_entry"].columns}
                values = {c: getattr(entry, c) for c in columns if c != "id" and hasattr(entry, c)}
                insert(connection, tables.tables["audit_entry"], values, n, made)
                previous = entry.hash


def test_a_hall_kept_at_every_earlier_revision_upgrades_to_head(backend, tmp_path):
    """For each revision before the head: a database built up to it, holding a small hall as
    that revision's tables had it, upgrades to the head with its hall, queue, window, clerk and
    tickets intact and, where the audit trail existed, its chain still holding."""
    for revision in revisions_before_head():
        with fresh_engine(backend, tmp_path, revision) as engine:
            migrate.upgrade(engine, revision)
            fill(engine)
            migrate.upgrade(engine)
            assert differences(engine) == [], revision
            db = Database(engine, SystemClock())
            with db.read() as uow:
                hall = uow.session.scalars(select(Hall).where(Hall.code == "old")).one()
                tickets = uow.session.scalars(
                    select(Ticket).where(Ticket.hall_id == hall.id).order_by(Ticket.id)
                )
                assert [(t.number, str(t.status)) for t in tickets] == [
                    (f"A00{n}", "waiting") for n in (1, 2, 3)
                ]
                assert [s.username for s in uow.session.scalars(select(Staff))] == ["clerk1"], revision
                assert [w.name for w in uow.session.scalars(select(Window))] == ["1号窗口"], revision
                verdict = audit.verify(uow, hall.id)
            trail = revisions_before_head().index(AUDIT_TRAIL_REVISION) <= revisions_before_head().index(
                revision
            )
            assert verdict.broken is None and verdict.entries == (3 if trail else 0), revision
