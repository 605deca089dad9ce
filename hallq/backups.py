"""Backups a hall can restore: a consistent copy of the live database while the server keeps
serving, kept for a number of days, and put back by one command.

SQLite is copied with its online backup API (the copy is the database as it stood at one
moment, whatever is written meanwhile, the write-ahead log included); PostgreSQL with
`pg_dump --format=custom`, which reads one snapshot. Both copies are named by the moment they
were taken: hallq-2026-12-07-1230.sqlite, hallq-2026-12-07-1230.dump."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "hallq-"
SUFFIXES = (".sqlite", ".dump")


class BackupError(Exception):
    """A backup or a restore could not be done; the message says why and what to do."""


@dataclass(frozen=True)
class Taken:
    path: Path
    removed: list[Path]


def backup(database_url: str, folder: Path, now: datetime, keep_days: int) -> Taken:
    """A copy of the database in `folder`, named by `now` (the hall's local time); then the
    copies there older than `keep_days` are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{PREFIX}{now:%Y-%m-%d-%H%M%S}"
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = folder / f"{stamp}.sqlite"
        _sqlite_copy(_sqlite_path(database_url), target)
    else:
        target = folder / f"{stamp}.dump"
        _run(["pg_dump", "--format=custom", f"--file={target}", _libpq(database_url)], "pg_dump")
    return Taken(target, _remove_old(folder, now, keep_days, keep=target))


def restore(backup_file: Path, database_url: str) -> None:
    """Put a backup in place of the database (the server stopped): a .sqlite copy into the
    SQLite file, a .dump into the PostgreSQL database (its tables replaced)."""
    if not backup_file.is_file():
        raise BackupError(f"{backup_file}: no such backup")
    sqlite_target = make_url(database_url).get_backend_name() == "sqlite"
    if backup_file.suffix == ".sqlite":
        if not sqlite_target:
            raise BackupError(f"{backup_file} is a SQLite copy; DATABASE_URL names PostgreSQL")
        _check_sqlite(backup_file)
        target = _sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(backup_file, target)
    elif backup_file.suffix == ".dump":
        if sqlite_target:
            raise BackupError(f"{backup_file} is a PostgreSQL dump; DATABASE_URL names SQLite")
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={_libpq(database_url)}", str(backup_file)],
            "pg_restore",
        )  # fmt: skip
    else:
        raise BackupError(f"{backup_file}: a backup ends in .sqlite or .dump")


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: the whole database at one moment, in one step, through SQLite
    (a copy of the file alone would miss what is still in its write-ahead log)."""
    if not source.is_file():
        raise BackupError(f"{source}: no such database")
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        reading.close()
        writing.close()


def _check_sqlite(path: Path) -> None:
    copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    finally:
        copy.close()
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")


def _libpq(database_url: str) -> str:
    """SQLAlchemy's postgresql+psycopg://… as pg_dump and pg_restore read it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: apt-get install postgresql-client")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")


def _remove_old(folder: Path, now: datetime, keep_days: int, keep: Path) -> list[Path]:
    """The copies named as ours older than keep_days, by the moment in their names."""
    limit = now - timedelta(days=keep_days)
    removed = []
    for path in sorted(folder.iterdir()):
        if path == keep or not path.name.startswith(PREFIX) or path.suffix not in SUFFIXES:
            continue
        try:
            # The name is `now`'s wall time (the hall's local time): read back in now's zone.
            taken = datetime.strptime(path.stem.removeprefix(PREFIX), "%Y-%m-%d-%H%M%S").replace(
                tzinfo=now.tzinfo
            )
        except ValueError:
            continue  # not one of ours
        if taken < limit:
            path.unlink()
            removed.append(path)
    return removed
