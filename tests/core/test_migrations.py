"""The migrations build exactly the schema the models describe, and can be undone."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from queue_core import migrate
from queue_core.models import Base

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
    from sqlalchemy import text

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
