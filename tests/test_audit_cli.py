"""`hallq audit verify` and `hallq audit checkpoint` end to end, on a SQLite file and on
PostgreSQL: the anchors `hallq init`'s key signs name a cut tail, a rewritten stretch, a
forged checkpoint and what is not yet anchored."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hallq.anchoring import audit_anchoring
from hallq.cli import main
from hallq.settings import load_settings
from queue_core import Database, ManualClock, SystemClock, audit, make_engine
from queue_core.models import AuditEntry, Hall
from queue_core.ticketing import issue_ticket
from tests.conftest import DEMO_CONFIG, new_postgres_database
from tests.tampering import cut_tail, rewrite_from


class Hallq:
    def __init__(self, database_url: str, tmp_path) -> None:
        self.instance = tmp_path / "instance"
        self.database = Database(make_engine(database_url), SystemClock())
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(main, list(args))
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    def act(self, times: int) -> None:
        with self.database.read() as uow:
            hall = uow.session.scalars(select(Hall)).one()
        for _ in range(times):
            with (
                audit.acting_as(audit.Actor(hall.id, "kiosk", "K1", action="api.create_ticket")),
                self.database.write() as uow,
            ):
                issue_ticket(uow, hall, queue_code="A")

    def ids(self) -> list[int]:
        with self.database.read() as uow:
            return list(uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


@pytest.fixture(params=["sqlite", "postgresql"])
def hallq(request, tmp_path, monkeypatch) -> Iterator[Hallq]:
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    monkeypatch.setenv("HALLQ_CONFIG", str(config))
    monkeypatch.setenv("HALLQ_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "cli-test")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
        monkeypatch.setenv("DATABASE_URL", url)
        run = Hallq(url, tmp_path)
        yield run
        run.database.engine.dispose()
        return
    with new_postgres_database() as postgres:
        monkeypatch.setenv("DATABASE_URL", postgres.render_as_string(hide_password=False))
        run = Hallq(postgres.render_as_string(hide_password=False), tmp_path)
        yield run
        run.database.engine.dispose()


def test_init_makes_the_key_and_verify_names_a_cut_tail(hallq):
    assert "audit trail signing key: " in hallq("init")
    key = hallq.instance / "audit-key"
    assert key.stat().st_mode & 0o777 == 0o600
    hallq.act(5)
    written = hallq("audit", "checkpoint")
    assert "5 entries up to #" in written and "audit-anchors.jsonl" in written
    hallq.act(2)
    holds = hallq("audit", "verify")
    assert "7 entries hold; the last hash is" in holds
    assert "the newest the chain agrees with" in holds and "saw 5 entries" in holds
    entry = hallq.ids()
    assert f"2 entries after #{entry[4]} are not yet anchored" in holds

    with hallq.database.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id))
    cut_tail(hallq.database, hall_id, keep=3)
    message = hallq("audit", "verify", ok=False)
    assert "3 entries hold" in message  # what remains is a whole chain...
    assert f"entries after #{entry[2]} missing: the checkpoint of " in message  # ...but shorter than signed
    assert f"saw 5 entries up to #{entry[4]}" in message


def test_verify_names_a_rewritten_stretch_and_a_forged_checkpoint(hallq):
    hallq("init")
    hallq.act(3)
    hallq("audit", "checkpoint")
    hallq.act(3)
    hallq("audit", "checkpoint")
    entry = hallq.ids()
    with hallq.database.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id))

    def relabel(e: AuditEntry) -> None:
        e.actor_id = "K9"

    rewrite_from(hallq.database, hall_id, entry[4], relabel)
    message = hallq("audit", "verify", ok=False)
    assert "6 entries hold" in message
    assert f"entries up to #{entry[5]} were rewritten" in message
    assert f"the rewrite lies in #{entry[2] + 1}..#{entry[5]}" in message

    # The intruder "fixes" the newest checkpoint to the rewritten head, without the key.
    anchors = hallq.instance / "audit-anchors.jsonl"
    first, second = anchors.read_text().splitlines()
    with hallq.database.read() as uow:
        head = uow.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    anchors.write_text(first + "\n" + json.dumps(json.loads(second) | {"head": head}) + "\n")
    message = hallq("audit", "verify", ok=False)
    assert "its content was changed after it was signed: it is not trusted" in message
    assert f"3 entries after #{entry[2]} are not yet anchored" in message


def test_a_backup_copy_is_verified_against_the_checkpoints_until_it_was_taken(hallq):
    hallq("init")
    hallq.act(3)
    then = Database(hallq.database.engine, ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
    settings = load_settings()
    audit_anchoring(settings, then, "qingshan").write("command")  # the copy was taken after this
    hallq.act(2)
    hallq("audit", "checkpoint")
    with hallq.database.read() as uow:
        hall_id = uow.session.scalar(select(Hall.id))
    cut_tail(hallq.database, hall_id, keep=3)  # the database is now the copy
    assert "entries after #" in hallq("audit", "verify", ok=False)
    verified = hallq("audit", "verify", "--until", "2026-11-23 09:30")
    assert "3 entries hold" in verified and "saw 3 entries" in verified


def test_verify_without_the_key_says_so_and_makes_none(hallq):
    hallq("init")
    key = hallq.instance / "audit-key"
    key.unlink()
    assert "there is no audit key at" in hallq("audit", "verify", ok=False)
    assert not key.exists()  # a new key would only make every checkpoint fail
    key.write_text("not a key\n")
    assert "does not hold an audit key" in hallq("audit", "verify", ok=False)
