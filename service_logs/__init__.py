"""Logging for Hallq's long-running processes (`hallq serve`, `hallq agent`, the LED and
keypad bridges): one handler on the root logger, writing to stderr for systemd's journal, as
plain lines or as JSON lines (HALLQ_LOG_FORMAT=json, for journald's fields or Loki), at the
level of HALLQ_LOG_LEVEL. Its own package: the server and the hall PC's agent share it, and the
agent imports nothing of the server."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's access record: its arguments, named (uvicorn.logging.AccessFormatter's order).
ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and for a
    request of the access log its client, method, path and status as fields of their own."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            line |= dict(zip(ACCESS_FIELDS, record.args, strict=True))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class LogSettingError(ValueError):
    """HALLQ_LOG_LEVEL or HALLQ_LOG_FORMAT holds what they cannot be."""


def configure(level: str | None = None, fmt: str | None = None) -> None:
    """Set up the root logger once, replacing any handler a library put there (python-escpos
    calls logging.basicConfig() when imported); by default from the environment."""
    level = (level or os.environ.get("HALLQ_LOG_LEVEL") or "INFO").upper()
    fmt = (fmt or os.environ.get("HALLQ_LOG_FORMAT") or "text").lower()
    if level not in LEVELS:
        raise LogSettingError(f"HALLQ_LOG_LEVEL is one of {', '.join(LEVELS)}, not {level!r}")
    if fmt not in FORMATS:
        raise LogSettingError(f"HALLQ_LOG_FORMAT is one of {', '.join(FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own loggers pass their records up to this one handler, never to one of theirs.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
