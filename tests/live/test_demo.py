"""The README's run command: `hallq demo` sets up and serves a lively demo hall."""

import os
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

from tests.conftest import DEMO_CONFIG
from tests.live.conftest import free_port, start_server
from tests.live.test_production_hall import form_log_in, session_cookie


def test_demo_serves_a_lively_hall(tmp_path):
    shutil.copytree(DEMO_CONFIG, tmp_path / "config")
    env = {
        **os.environ,
        "HALLQ_CONFIG": str(tmp_path / "config"),
        "HALLQ_INSTANCE": str(tmp_path / "instance"),
    }
    env.pop("DATABASE_URL", None)
    env.pop("SECRET_KEY", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1"
    server = start_server(env, port, tmp_path / "demo.log", command=["demo"])
    try:
        windows = requests.get(f"{url}/windows", timeout=5).json()
        assert len(windows) == 16
        assert windows[0]["clerk"] == {"name": "王芳", "badge": "1001"}
        assert sum(w["state"] in ("called", "serving") for w in windows) >= 6
        assert any(w["state"] == "paused" and w["pause_reason"] == "会议" for w in windows)
        # The replayed morning is the last 100 minutes, but never crosses into yesterday.
        local = datetime.now(ZoneInfo("Asia/Shanghai"))
        if local.hour * 60 + local.minute >= 100:
            assert sum(q["waiting"] for q in requests.get(f"{url}/queues", timeout=5).json()) > 10
        assert len(requests.get(f"{url}/items", params={"limit": 200}, timeout=5).json()) == 76
        # The default database and the generated secret key live in the instance folder.
        assert (tmp_path / "instance" / "hallq.sqlite").exists()
        assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
        waiting_before = {q["code"]: q["waiting"] for q in requests.get(f"{url}/queues", timeout=5).json()}
        # The demo is plain HTTP: its staff log in there (the cookie is not HTTPS-only).
        login = form_log_in(f"http://127.0.0.1:{port}", {}, password="Hallq-demo")
        assert login.status_code == 302 and "Secure" not in session_cookie(login)
    finally:
        server.terminate()
        server.wait(timeout=15)
    # A second start keeps the hall as it was: nothing is seeded twice.
    server = start_server(env, port, tmp_path / "demo2.log", command=["demo"])
    try:
        assert {
            q["code"]: q["waiting"] for q in requests.get(f"{url}/queues", timeout=5).json()
        } == waiting_before
    finally:
        server.terminate()
        server.wait(timeout=15)
