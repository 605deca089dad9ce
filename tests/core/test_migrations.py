"""The migrations build exactly the schema the models describe, and can be undone."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from queue_core import migrate
from queue_core.models import Base

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
