"""Backups that restore, on SQLite and PostgreSQL: `hallq backup` taken while a real `hallq
serve` issues tickets as fast as a kiosk can ask, restored by `hallq restore` into a new
database, holds every ticket the server acknowledged before the backup began, and its audit
trail's chain still holds. Old copies are removed after --keep-days; a wrong file is refused."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, select

from hallq.backups import BackupError, backup, restore
from queue_core import Database, SystemClock, audit, make_engine
from queue_core.models import Hall, Ticket
from tests.conftest import new_postgres_database
from tests.live.conftest import new_hall


@contextmanager
def database(backend: str, tmp_path: Path, name: str):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.sqlite'}"
    else:
        with new_postgres_database() as url:
            yield url.render_as_string(hide_password=False)


def hallq(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hallq", *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_backup_taken_during_a_burst_restores_every_acknowledged_ticket(backend, tmp_path):
    with ExitStack() as stack:
        source = stack.enter_context(database(backend, tmp_path, "source"))
        target = stack.enter_context(database(backend, tmp_path, "restored"))
        hall = new_hall(tmp_path, database_url=source)
        hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
        server = hall.serve(tmp_path / "server.log")
        acknowledged: list[tuple[float, int]] = []  # (when the answer came, the ticket's id)
        stop = threading.Event()

        def kiosk() -> None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {hall.tokens['K1']}"
            while not stop.is_set():
                answer = session.post(f"{hall.url}/api/v1/tickets", json={"queue": "A"}, timeout=10)
                assert answer.status_code == 201, answer.text
                acknowledged.append((time.monotonic(), answer.json()["id"]))

        burst = threading.Thread(target=kiosk)
        burst.start()
        try:
            while len(acknowledged) < 20:
                time.sleep(0.05)
            began = time.monotonic()
            output = hallq(hall.env, "backup", str(tmp_path / "backups"))
            ended = time.monotonic()
            while not any(at > ended for at, _ in acknowledged):
                time.sleep(0.05)  # the kiosk went on through the backup and after it
        finally:
            stop.set()
            burst.join(timeout=30)
            server.terminate()
            server.wait(timeout=15)
        [copy] = (tmp_path / "backups").iterdir()
        assert output.strip() == f"backed up to {copy}"
        assert copy.suffix == (".sqlite" if backend == "sqlite" else ".dump")

        restored = hallq({**hall.env, "DATABASE_URL": target}, "restore", str(copy), "--yes")
        assert "restored qingshan:" in restored and "audit entries hold" in restored
        before = {ticket_id for at, ticket_id in acknowledged if at < began}
        assert len(before) >= 20
        engine = make_engine(target)
        db = Database(engine, SystemClock())
        try:
            with db.read() as uow:
                kept = set(uow.session.scalars(select(Ticket.id)))
                hall_id = uow.session.scalars(select(Hall.id)).one()
                verdict = audit.verify(uow, hall_id)
        finally:
            engine.dispose()
        assert before <= kept, f"{len(before - kept)} acknowledged tickets lost"
        assert verdict.broken is None and verdict.entries >= len(before)


def test_old_copies_go_and_a_wrong_file_is_refused(tmp_path):
    source = tmp_path / "hall.sqlite"
    engine = create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    folder = tmp_path / "backups"
    now = datetime(2026, 12, 7, 12, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # the hall's local time
    old = backup(f"sqlite:///{source}", folder, now - timedelta(days=31), keep_days=30).path
    recent = backup(f"sqlite:///{source}", folder, now - timedelta(days=29), keep_days=30).path
    (folder / "notes.txt").write_text("not a backup")
    taken = backup(f"sqlite:///{source}", folder, now, keep_days=30)
    assert taken.removed == [old]
    assert sorted(p.name for p in folder.iterdir()) == sorted([recent.name, taken.path.name, "notes.txt"])

    env_url = f"sqlite:///{tmp_path / 'restored.sqlite'}"

    (folder / "broken.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="is not a SQLite database"):
        restore(folder / "broken.sqlite", env_url)
    with pytest.raises(BackupError, match=r"a backup ends in \.sqlite or \.dump"):
        restore(folder / "notes.txt", env_url)
    with pytest.raises(BackupError, match="is a SQLite copy; DATABASE_URL names PostgreSQL"):
        restore(taken.path, "postgresql+psycopg://postgres@127.0.0.1/test")
