"""A bad rating given on the eve of the National Day holiday, in Chromium: the case page shows
deadlines that skip the holiday and count the make-up Saturday, and flags the case overdue
once its day has passed. The server is the real app on a real socket, in this process, so
that it can stand on a clock of the test's choosing."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import text
from werkzeug.serving import make_server

from queue_core import ManualClock
from queue_core.models import Role, Staff
from tests.conftest import DEMO_CONFIG, Api, app_settings, initialise_database

pytestmark = pytest.mark.browser

# 09:00 in Shanghai on Wednesday 30 September 2026: 1-7 October are off, and Saturday
# 10 October is a make-up working day (调休上班).
EVE_OF_NATIONAL_DAY = datetime(2026, 9, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
def hall_on_the_eve(tmp_path, password_hash):
    config = tmp_path / "config"
    shutil.copytree(DEMO_CONFIG, config)
    hall_file = config / "hall.toml"
    hall_file.write_text(hall_file.read_text(encoding="utf-8").replace("verify = 1 ", "verify = 3 "), "utf-8")
    clock = ManualClock(EVE_OF_NATIONAL_DAY)
    settings = app_settings(tmp_path, config_dir=config)
    database = initialise_database(settings, clock)
    with database.write() as uow:
        hall_id = uow.session.scalar(text("SELECT id FROM hall"))
        for username, name, role in (("manager", "张敏", Role.MANAGER), ("clerk3", "王芳", Role.CLERK)):
            uow.session.add(
                Staff(
                    hall_id=hall_id,
                    username=username,
                    name=name,
                    badge="0303",
                    role=role,
                    password_hash=password_hash,
                )
            )
    database.engine.dispose()

    from hallq import create_app

    app = create_app(settings, clock=clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, clock
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["hallq"].printing.close()
    app.extensions["hallq"].db.engine.dispose()


def log_in(page, url: str, then: str) -> None:
    page.goto(f"{url}/login?next={then}")
    page.fill("input[name=username]", "manager")
    page.fill("input[name=password]", "password-123")
    page.click("button[type=submit]")


def test_deadlines_skip_the_holiday_and_count_the_make_up_saturday(hall_on_the_eve, page):
    url, app, clock = hall_on_the_eve
    api = Api(app)
    assert api.post("/windows/3/sign-in", "clerk3").status_code == 200
    api.post("/tickets", "device:K1", {"queue": "B"})
    for step in ("call-next", "start"):
        assert api.post(f"/windows/3/{step}", "clerk3").status_code == 200
    assert api.post("/windows/3/finish", "clerk3", {"outcome": "completed"}).status_code == 200
    rated = api.post("/windows/3/evaluation", "device:P3", {"score": 1, "reasons": ["服务效率"]})
    case_id = rated.get_json()["case_id"]

    log_in(page, url, f"/evaluation/cases/{case_id}")
    # Verification takes 3 working days: Thursday 8, Friday 9 and Saturday 10 October.
    expect(page.get_by_test_id("deadline")).to_have_text("2026-10-10")

    clock.set(datetime(2026, 10, 12, 1, 0, tzinfo=UTC))  # Monday 12 October, 09:00
    # The manager comes back on Monday: Wednesday's session has long been idle.
    page.reload()
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()
    log_in(page, url, f"/evaluation/cases/{case_id}")
    expect(page.get_by_test_id("overdue")).to_be_visible()
    page.fill("textarea[name=note]", "调取录像，确认等候过久")
    page.get_by_role("button", name="核实完成").click()
    # Rectification: 10 working days from Monday 12 October.
    expect(page.get_by_test_id("stage")).to_have_text("整改")
    expect(page.get_by_test_id("deadline")).to_have_text("2026-10-26")
    expect(page.get_by_test_id("overdue")).to_have_count(0)
