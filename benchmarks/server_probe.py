"""`hallq` with stopwatches in the server, for benchmarks/call_latency.py --probe:

    python benchmarks/server_probe.py LOG serve --port 5000

Runs the hallq CLI unchanged except that each API request appends one JSON line to LOG: the
path, its wall time and its thread's CPU time, and within it the time spent waiting for the
database's write lock (SQLite writers queue on it), holding it, committing (for SQLite, the
fsync), and handing the committed events to the /hall server; and one line for each run of the
garbage collector: its generation and how long it held the process. All in ms, with the
moment each began (`began`, perf_counter seconds) to line stalls up with what else ran then.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from hallq.live import LiveServer
from queue_core.db import Database

_request = threading.local()  # the current request's running totals


def _add(name: str, seconds: float) -> None:
    if hasattr(_request, "totals"):
        _request.totals[name] += seconds * 1000


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - began)

    return timed


def install(log: Path) -> None:
    out = log.open("a", encoding="utf-8")
    write = threading.Lock()
    database_init = Database.__init__

    def init(self: Database, *args: Any, **kwargs: Any) -> None:
        database_init(self, *args, **kwargs)
        if self._write_lock is not None:  # SQLite's; PostgreSQL's writers take no lock here
            self._write_lock = _TimedLock(self._write_lock)  # type: ignore[assignment]  # timing the lock it wraps

    Database.__init__ = init  # type: ignore[method-assign]  # the probe wraps these methods to time them
    LiveServer.publish = _timed("publish_ms", LiveServer.publish)  # type: ignore[method-assign]  # (as above)
    Session.commit = _timed("commit_ms", Session.commit)  # type: ignore[method-assign]  # (as above)
    wsgi_app = Flask.wsgi_app

    def timed_wsgi(self: Flask, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ["PATH_INFO"].startswith("/api/"):
            return wsgi_app(self, environ, start_response)
        _request.totals = dict.fromkeys(("lock_wait_ms", "lock_held_ms", "commit_ms", "publish_ms"), 0.0)
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            return wsgi_app(self, environ, start_response)
        finally:
            line = {
                "path": environ["PATH_INFO"],
                "began": began,
                "wall_ms": (time.perf_counter() - began) * 1000,
                "cpu_ms": (time.thread_time() - cpu) * 1000,
                **_request.totals,
            }
            del _request.totals
            with write:
                out.write(json.dumps(line) + "\n")
                out.flush()

    Flask.wsgi_app = timed_wsgi  # type: ignore[method-assign]  # the probe times every request
    collecting: dict[str, float] = {}

    def collection(phase: str, info: dict[str, int]) -> None:
        # The collector runs in whichever thread allocated last, with the GIL held: every
        # other thread waits for it.
        if phase == "start":
            collecting["began"] = time.perf_counter()
            return
        line = {
            "gc": info["generation"],
            "began": collecting["began"],
            "ms": (time.perf_counter() - collecting["began"]) * 1000,
        }
        with write:
            out.write(json.dumps(line) + "\n")

    gc.callbacks.append(collection)


class _TimedLock:
    """The database's write lock, timed: how long a request waits for it and holds it."""

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.acquired = threading.local()

    def acquire(self, timeout: float = -1) -> bool:
        began = time.perf_counter()
        taken = self.lock.acquire(timeout=timeout)
        self.acquired.at = time.perf_counter()
        _add("lock_wait_ms", self.acquired.at - began)
        return taken

    def release(self) -> None:
        self.lock.release()
        _add("lock_held_ms", time.perf_counter() - self.acquired.at)


if __name__ == "__main__":
    install(Path(sys.argv.pop(1)))
    from hallq.cli import main

    main()
