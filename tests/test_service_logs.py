"""The long-running processes' logging: one handler, text or JSON lines, one line per request
in access-log mode, and a wrong setting refused by name. The server is a real `hallq serve`."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import requests

import service_logs
from tests.live.conftest import free_port, new_hall, start_server


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_one_handler_replaces_what_a_library_put_there(restored_logging, capsys):
    logging.basicConfig(force=True)  # as python-escpos does when imported
    service_logs.configure("INFO", "json")
    service_logs.configure("INFO", "json")  # again: still one handler
    assert len(logging.getLogger().handlers) == 1
    logging.getLogger("hallq.test").warning("打印机 %s 缺纸", "K1")
    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert (record["level"], record["logger"], record["message"]) == (
        "WARNING",
        "hallq.test",
        "打印机 K1 缺纸",
    )


def test_a_wrong_setting_is_refused_by_name(restored_logging):
    with pytest.raises(
        service_logs.LogSettingError, match="HALLQ_LOG_FORMAT is one of text, json, not 'xml'"
    ):
        service_logs.configure("INFO", "xml")
    with pytest.raises(service_logs.LogSettingError, match="HALLQ_LOG_LEVEL"):
        service_logs.configure("LOUD", "text")


def test_the_server_logs_one_json_line_per_request(tmp_path):
    hall = new_hall(tmp_path)
    port = free_port()
    env = {**hall.env, "HALLQ_LOG_FORMAT": "json"}
    log = tmp_path / "server.log"
    server = start_server(env, port, log, ["serve", "--access-log"])
    try:
        for _ in range(3):
            assert requests.get(f"http://127.0.0.1:{port}/api/v1/queues", timeout=10).status_code in (
                200,
                401,
            )
    finally:
        server.terminate()
        server.wait(timeout=15)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]  # every line JSON
    asked = [line for line in lines if line.get("path") == "/api/v1/queues"]
    assert len(asked) == 3, "one access line per request, not two"
    assert {(line["logger"], line["method"]) for line in asked} == {("uvicorn.access", "GET")}
    assert any(line["message"].startswith("Hallq serving on") for line in lines)


def test_a_wrong_log_format_stops_the_server_with_its_name(tmp_path):
    hall = new_hall(tmp_path)
    answer = hall_cli_failure(hall.env | {"HALLQ_LOG_FORMAT": "xml"})
    assert "HALLQ_LOG_FORMAT is one of text, json, not 'xml'" in answer


def hall_cli_failure(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "hallq", "serve", "--port", str(free_port())],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    return done.stderr
