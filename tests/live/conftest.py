"""A real server for end-to-end tests: `hallq init`, `hallq user add`, `hallq token issue` and
`hallq serve` run as subprocesses, exactly as an operator would run them."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text

from hallq.auth import new_token
from queue_core import Database, SystemClock, make_engine
from queue_core.models import Role, Staff
from queue_core.tallies import NO_CLERK
from tests.conftest import DEMO_CONFIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveHall:
    url: str
    env: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def hallq(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "hallq", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def serve(self, log: Path, command: list[str] | None = None) -> subprocess.Popen:
        return start_server(self.env, self.port, log, command)

    def api(self, method: str, path: str, who: str | None = None, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=10, **kw)


def new_hall(root: Path, config: Path = DEMO_CONFIG, database_url: str | None = None) -> LiveHall:
    """A hall of its own under root: a copy of the config (unless root/config is there
    already), its own SQLite file (or the database given) and secret, `hallq init` done.
    Serve it with .serve()."""
    if not (root / "config").exists():
        shutil.copytree(config, root / "config")
    env = {
        **os.environ,
        "HALLQ_CONFIG": str(root / "config"),
        "HALLQ_INSTANCE": str(root / "instance"),
        "DATABASE_URL": database_url or f"sqlite:///{root / 'hall.sqlite'}",
        "SECRET_KEY": f"test-secret-{root.name}",
        "SOCKETIO_MESSAGE_QUEUE": "",
        "HALLQ_SECURE_COOKIES": "false",  # served over plain HTTP on 127.0.0.1
    }
    hall = LiveHall(url=f"http://127.0.0.1:{free_port()}", env=env)
    hall.hallq("init")
    return hall


def hall_printing_to(root: Path, printer_url: str) -> LiveHall:
    """The demo hall of new_hall whose kiosk K1 prints on `printer_url` (a test printer)."""
    config = root / "config"
    config.mkdir()
    for source in DEMO_CONFIG.iterdir():
        (config / source.name).write_bytes(source.read_bytes())
    hall_toml = config / "hall.toml"
    text = hall_toml.read_text(encoding="utf-8").replace(
        'printer = "dummy:"', f'printer = "{printer_url}"', 1
    )
    hall_toml.write_text(text, encoding="utf-8")
    return new_hall(root)


def add_staff(url: str, people: list[tuple[str, Role]]) -> dict[str, str]:
    """More staff, quicker than one CLI process each; returns their tokens."""
    database = Database(make_engine(url), SystemClock())
    tokens = {}
    with database.write() as uow:
        hall_id = uow.session.scalar(text("SELECT id FROM hall"))
        for username, role in people:
            staff = Staff(
                hall_id=hall_id, username=username, name=f"{username}名", badge=f"B{username}", role=role
            )
            uow.session.add(staff)
            uow.session.flush()
            tokens[username] = new_token(uow, hall_id, staff=staff)
    database.engine.dispose()
    return tokens


def lengthen_service(url: str, ticket_id: int, seconds: int) -> None:
    """Make a finished ticket's service that long, as if it had taken it (a test cannot wait
    minutes): its handling time, and its clerk's tally of its queue that the finish kept."""
    database = Database(make_engine(url), SystemClock())
    with database.write() as uow:
        ticket = {"id": ticket_id, "seconds": seconds}
        ticket |= (
            uow.session.execute(
                text(
                    "SELECT queue_id, clerk_id, service_day, handle_seconds AS old FROM ticket WHERE id = :id"
                ),
                ticket,
            )
            .one()
            ._asdict()
        )
        uow.session.execute(text("UPDATE ticket SET handle_seconds = :seconds WHERE id = :id"), ticket)
        ticket["clerk_id"] = ticket["clerk_id"] or NO_CLERK
        uow.session.execute(
            text(
                "UPDATE finished_tally SET handle_sum = handle_sum + :seconds - :old,"
                " handle_square_sum = handle_square_sum + :seconds * :seconds - :old * :old"
                " WHERE service_day = :service_day AND queue_id = :queue_id"
                " AND clerk_id = :clerk_id"
            ),
            ticket,
        )
    database.engine.dispose()


def answer_help_calls(hall: LiveHall) -> None:
    """Answer every kiosk's open 求助 call: the live hall is shared, and a call a test leaves
    open is another test's surprise."""
    for alarm in hall.api("GET", "/alarms?open=true", "manager").json():
        if alarm["kind"] == "help_requested":
            hall.api("POST", f"/alarms/{alarm['id']}/acknowledge", "manager")


def add_device_token(url: str, kind: str, device_id: str) -> str:
    database = Database(make_engine(url), SystemClock())
    with database.write() as uow:
        token = new_token(uow, uow.session.scalar(text("SELECT id FROM hall")), device=(kind, device_id))
    database.engine.dispose()
    return token


def start_server(
    env: dict[str, str],
    port: int,
    log: Path,
    command: list[str] | None = None,
    hallq: tuple[str, ...] = (sys.executable, "-m", "hallq"),
) -> subprocess.Popen:
    """`hallq serve` (or the given command) on the port, once it answers /healthz. hallq: the
    program (an installed `hallq`, where not this checkout's)."""
    server = subprocess.Popen(
        [*hallq, *(command or ["serve", "--threads", "40"]), "--port", str(port)],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:  # not listening yet, or slow to answer on a busy machine
            time.sleep(0.1)
        if server.poll() is not None:
            break
    server.kill()
    raise RuntimeError(f"hallq serve did not come up:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    root = tmp_path_factory.mktemp("live")
    hall = new_hall(root)
    env = hall.env
    hall.hallq(
        "user",
        "add",
        "manager",
        "--role",
        "manager",
        "--name",
        "张敏",
        "--password-stdin",
        input="password-123\n",
    )
    hall.tokens["manager"] = hall.hallq("token", "issue", "manager").strip()
    hall.tokens["K1"] = hall.hallq("token", "issue", "--device", "K1").strip()
    hall.tokens["P3"] = add_device_token(env["DATABASE_URL"], "keypad", "P3")
    hall.tokens |= add_staff(
        env["DATABASE_URL"], [("guide", Role.GUIDE)] + [(f"clerk{n}", Role.CLERK) for n in range(1, 9)]
    )
    server = hall.serve(root / "server.log")
    yield hall
    server.terminate()
    server.wait(timeout=15)


# -- a real browser: Debian's Chromium driven by Playwright ----------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run ./dev setup (it installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                # As a hall board's kiosk browser is started: it speaks calls with nobody to tap it.
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        # The tests' own probes (wait_for_function with an expression) are evaluated in the
        # page, which the hall's Content Security Policy forbids: contexts bypass it unless a
        # test asks otherwise. tests/live/test_csp.py opens every page under the policy.
        new_context = browser.new_context
        browser.new_context = lambda **options: new_context(**{"bypass_csp": True, **options})  # type: ignore[method-assign]  # on this browser only, for every test
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield context.new_page()
    context.close()


def log_in(page, url: str, path: str, username: str = "manager", timeout_ms: int = 10_000) -> None:
    """Open a staff page in Chromium: the login page comes first (password-123), then the page."""
    from playwright.sync_api import expect

    page.set_default_timeout(timeout_ms)
    page.goto(f"{url}{path}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("password-123")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{url}{path}")


def signed_in_panel(browser, url: str, window: int, username: str, password: str, width: int = 1280):
    """A clerk's Chromium (zh-CN) logged in at window `window`'s panel and signed in there
    (挂牌上岗)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{url}/panel/{window}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.get_by_role("button", name="挂牌上岗").click()
    return page


def loaded_image_width(image, timeout_ms: int = 10_000) -> int:
    """The natural width of an <img> once the browser has fetched it (0 if it failed to decode).

    An image is a request of its own: being in the page or visible says nothing about its pixels.
    """
    image.page.wait_for_function("img => img.complete", arg=image.element_handle(), timeout=timeout_ms)
    return image.evaluate("img => img.naturalWidth")
