"""Schema migrations (Alembic), run from code: `hallq db upgrade` and `hallq init` call these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

SCRIPTS = Path(__file__).with_name("migrations")


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _migrating(engine) as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _migrating(engine) as connection:
        command.downgrade(_config(connection), revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A transaction to migrate in. On SQLite, with foreign keys unenforced meanwhile: SQLite
    alters a table by building a new one and dropping the old (Alembic's batch mode), which a
    foreign key from another table's rows would refuse, so that a database holding a hall could
    not be upgraded. The keys are checked once the migration is done, before its commit."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        # On the driver's connection, outside any transaction (inside one SQLite ignores it).
        driver = connection.connection.driver_connection
        assert driver is not None  # (None only once the connection is closed)
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        f"the migration left rows whose foreign keys point nowhere: {broken[:5]}"
                    )
        finally:
            driver.execute("PRAGMA foreign_keys=ON")


def revise(engine: Engine, message: str) -> None:
    """Autogenerate a new revision from the models (for developers)."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory(str(SCRIPTS)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
