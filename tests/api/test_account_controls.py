"""等保 2.0 level 3 account controls (issue 19): passwords of some length and complexity, a
password set by someone else changed at its owner's first login, staff sessions ended after a
while idle, and a revocation refused by every process of the hall within a second."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select, text

from hallq.demo import DEMO_PASSWORD
from queue_core.models import AuditEntry, Role, Staff
from queue_core.passwords import Weakness, weaknesses
from queue_core.spec import AccountSpec
from tests.api.test_alarms_api import dashboard_client
from tests.conftest import (
    Api,
    SocketClient,
    app_settings,
    initialise_database,
    new_postgres_database,
    staff_by_username,
)
from tests.live.test_scale_out import REDIS_URL, require_redis
from tests.test_cli import hallq  # noqa: F401 - the fixture, for `hallq user add`

PERSON = {"name": "李新", "badge": "0999", "role": "clerk"}


def form_token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def logged_in(app, username: str, password: str = "password-123"):
    client = app.test_client()
    data = {"username": username, "password": password, "csrf_token": form_token(client, "/login")}
    assert client.post("/login", data=data).status_code == 302
    return client


def change_password(client, current: str, new: str, repeated: str | None = None, next_path: str = ""):
    data = {
        "current": current,
        "new": new,
        "repeated": new if repeated is None else repeated,
        "csrf_token": form_token(client, "/password"),
    }
    return client.post(f"/password{next_path}", data=data)


# -- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "lacks"),
    [
        ("12345678", [Weakness.FEW_CLASSES, Weakness.COMMON]),
        ("abcdefgh", [Weakness.FEW_CLASSES]),
        ("Ab1!", [Weakness.TOO_SHORT]),
        ("abc", [Weakness.TOO_SHORT, Weakness.FEW_CLASSES]),
        ("P@ssw0rd", [Weakness.COMMON]),
        ("Zhangsan-2026", [Weakness.HAS_USERNAME]),
        ("zhangsan", [Weakness.FEW_CLASSES, Weakness.HAS_USERNAME]),
        ("Qingshan-hall-7", []),
        ("青山政务2026hall", []),  # Chinese characters count as symbols
    ],
)
def test_the_password_rule_names_what_is_missing(password, lacks):
    assert weaknesses(password, "zhangsan") == lacks


def test_the_demo_hall_shows_a_password_the_rule_takes():
    assert all(weaknesses(DEMO_PASSWORD, name) == [] for name in ("admin", "manager", "guide", "clerk1"))


def test_the_api_refuses_a_weak_password_naming_what_it_lacks(api):
    refused = api.request("PUT", "/staff/newclerk", "manager", {**PERSON, "password": "12345678"})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "weak_password" and body["weaknesses"] == ["few_classes", "common"]
    assert "characters of at least 3 kinds" in body["message"]
    reset = api.request("PUT", "/staff/clerk1/password", "admin", {"password": "clerk1-Pass"})
    assert reset.status_code == 422 and reset.get_json()["weaknesses"] == ["has_username"]
    assert (
        api.request("PUT", "/staff/newclerk", "manager", {**PERSON, "password": "Li-xin-2026"}).status_code
        == 200
    )


# -- a password set by someone else -----------------------------------------------------------


def test_an_account_made_by_a_manager_reaches_only_the_change_password_page_until_changed(app, api):
    assert (
        api.request(
            "PUT", "/staff/newclerk", "manager", {**PERSON, "password": "Given-by-boss-1"}
        ).status_code
        == 200
    )
    clerk = logged_in(app, "newclerk", "Given-by-boss-1")
    page = clerk.get("/manager/")
    assert page.status_code == 302 and page.headers["Location"] == "/password?next=/manager/"
    held = clerk.get("/api/v1/windows/1/panel")
    assert held.status_code == 403 and held.get_json()["error"] == "password_change_required"
    shown = clerk.get("/password").get_data(as_text=True)
    assert "您的密码由他人设置" in shown  # the page says why, in Chinese by default

    # A token given to another system acts for the person meanwhile (it is not the password).
    assert api.get("/windows/1/panel", "newclerk").status_code == 200

    weak = change_password(clerk, "Given-by-boss-1", "newclerk-1")
    assert weak.status_code == 422
    text_shown = weak.get_data(as_text=True)
    assert "不能包含用户名" in text_shown and "至少包含小写字母、大写字母、数字、符号中的 3 类" in text_shown
    wrong = change_password(clerk, "not-my-password-1", "Mine-and-only-1")
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    differ = change_password(clerk, "Given-by-boss-1", "Mine-and-only-1", "Mine-and-only-2")
    assert differ.status_code == 422 and "两次输入的新密码不一致" in differ.get_data(as_text=True)

    other_copy = logged_in(app, "newclerk", "Given-by-boss-1")
    done = change_password(clerk, "Given-by-boss-1", "Mine-and-only-1", next_path="?next=/panel/1")
    assert done.status_code == 302 and done.headers["Location"] == "/panel/1"
    assert clerk.get("/api/v1/windows/1/panel").status_code == 200  # this session goes on
    assert other_copy.get("/api/v1/windows/1/panel").status_code == 401  # the other one ended
    assert logged_in(app, "newclerk", "Mine-and-only-1").get("/api/v1/windows/1/panel").status_code == 200
    with app.extensions["hallq"].db.read() as uow:
        trail = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "auth.change_password", AuditEntry.actor_id == "newclerk"
            )
        ).all()
    assert [entry.detail.get("result") for entry in trail] == ["wrong_current_password", None]
    assert "password_hash" not in str(trail[1].detail) and "Mine-and-only-1" not in str(trail[1].detail)

    # An admin's reset gives the account a password someone else knows: changed again.
    assert (
        api.request("PUT", "/staff/newclerk/password", "admin", {"password": "Reset-by-admin-2"}).status_code
        == 200
    )
    again = logged_in(app, "newclerk", "Reset-by-admin-2")
    assert again.get("/api/v1/windows/1/panel").get_json()["error"] == "password_change_required"


def test_ones_own_new_password_is_not_to_be_changed_again(app, api):
    assert (
        api.request("PUT", "/staff/manager/password", "manager", {"password": "Boss-own-pass-1"}).status_code
        == 200
    )
    assert logged_in(app, "manager", "Boss-own-pass-1").get("/manager/").status_code == 200
    clerk = logged_in(app, "clerk3")  # a clerk changes their own on the page
    assert change_password(clerk, "password-123", "Clerk-three-3").status_code == 302
    assert clerk.get("/panel/3").status_code == 200


def test_hallq_user_add_applies_the_rule_and_forces_a_change_when_asked(hallq, tmp_path):  # noqa: F811
    from queue_core import Database, SystemClock, make_engine

    hallq("init")
    refused = hallq("user", "add", "wu", "--role", "clerk", "--password-stdin", input="12345678\n", ok=False)
    assert "characters of at least 3 kinds" in refused and "not a commonly used password" in refused
    hallq("user", "add", "wu", "--role", "clerk", "--password-stdin", input="Wu-own-pass-1\n")
    hallq("user", "add", "li", "--role", "clerk", "--password-stdin", "--force-change", input="Given-Li-1\n")
    database = Database(make_engine(f"sqlite:///{tmp_path / 'cli.sqlite'}"), SystemClock())
    with database.read() as uow:
        assert staff_by_username(uow, "wu").must_change_password is False
        assert staff_by_username(uow, "li").must_change_password is True
        before = staff_by_username(uow, "wu").session_version
    hallq("user", "add", "wu", "--role", "clerk", "--password-stdin", input="Wu-reset-pass-2\n")
    with database.read() as uow:
        assert staff_by_username(uow, "wu").session_version == before + 1  # its sessions ended

    # `passwd` resets the password only (an admin's, which nobody resets in the browser).
    hallq(
        "user",
        "add",
        "wangju",
        "--role",
        "admin",
        "--name",
        "王局",
        "--password-stdin",
        input="Head-own-pass-1\n",
    )
    assert "not containing the username" in hallq(
        "user", "passwd", "wangju", "--password-stdin", input="Wangju-2026!\n", ok=False
    )
    assert 'no user "nobody"' in hallq(
        "user", "passwd", "nobody", "--password-stdin", input="Any-pass-12\n", ok=False
    )
    assert "password of wangju saved" in hallq(
        "user", "passwd", "wangju", "--password-stdin", "--force-change", input="Reset-by-IT-3\n"
    )
    with database.read() as uow:
        head = staff_by_username(uow, "wangju")
        assert (head.role, head.name, head.must_change_password, head.session_version) == (
            "admin",
            "王局",
            True,
            1,
        )
    database.engine.dispose()


# -- idle sessions ----------------------------------------------------------------------------


def test_a_staff_page_left_idle_asks_for_the_login_again_and_returns(app, clock):
    manager = logged_in(app, "manager")
    clock.advance(minutes=20)
    assert manager.get("/manager/").status_code == 200  # opening a page is activity
    clock.advance(minutes=25)
    assert manager.get("/api/v1/staff").status_code == 200  # 25 min since: alive
    clock.advance(minutes=6)  # the API read was no activity: 31 min since the page
    assert manager.get("/api/v1/staff").status_code == 401
    page = manager.get("/manager/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    assert "%2Fmanager%2F" in page.headers["Location"]

    again = manager.post(
        "/login?next=/manager/",
        data={"username": "manager", "password": "password-123", "csrf_token": form_token(manager, "/login")},
    )
    assert again.headers["Location"] == "/manager/"
    assert manager.get("/manager/").status_code == 200


def test_the_idle_limit_is_checked_with_the_halls_configuration(hallq):  # noqa: F811
    hall_toml = hallq.config / "hall.toml"
    hall_toml.write_text(
        hall_toml.read_text(encoding="utf-8") + "\n[accounts]\nidle_minutes = 0\n", encoding="utf-8"
    )
    assert "hall.toml: accounts: idle_minutes: Input should be greater than or equal to 1" in hallq(
        "check-config", ok=False
    )
    hall_toml.write_text(
        hall_toml.read_text(encoding="utf-8").replace("idle_minutes = 0", "idle_minutes = 15"),
        encoding="utf-8",
    )
    assert "OK:" in hallq("check-config")


def test_a_change_sent_from_a_page_is_activity_and_the_limit_is_the_halls(app, api, clock):
    clerk = logged_in(app, "clerk1")
    csrf = {"X-CSRFToken": form_token(clerk, "/password")}
    clock.advance(minutes=29)
    assert clerk.post("/api/v1/windows/1/sign-in", headers=csrf).status_code == 200
    clock.advance(minutes=29)
    assert clerk.get("/api/v1/windows/1/panel").status_code == 200
    app.extensions["hallq"].spec = app.extensions["hallq"].spec.model_copy(
        update={"accounts": AccountSpec(idle_minutes=5)}
    )
    assert clerk.get("/api/v1/windows/1/panel").status_code == 401
    # Devices and other systems with tokens never time out.
    clock.advance(hours=3)
    assert api.get("/windows/1/panel", "clerk1").status_code == 200


def test_a_socket_opened_with_an_idle_session_or_before_the_password_is_changed_is_nobodys(
    app, api, clock, served
):
    app.config["WTF_CSRF_ENABLED"] = False
    assert dashboard_client(app, served, "manager").subscribe({"dashboard": True})["ok"] is True
    body = {"name": "经理", "role": "manager", "password": "Given-by-admin-1"}
    assert api.request("PUT", "/staff/boss2", "admin", body).status_code == 200
    forced = app.test_client()
    assert (
        forced.post("/login", data={"username": "boss2", "password": "Given-by-admin-1"}).status_code == 302
    )
    cookie = f"session={forced.get_cookie('session').value}"
    assert SocketClient(served, cookie=cookie).subscribe({"dashboard": True})["ok"] is False

    idle = app.test_client()
    assert idle.post("/login", data={"username": "manager", "password": "password-123"}).status_code == 302
    cookie = f"session={idle.get_cookie('session').value}"
    clock.advance(minutes=31)
    assert SocketClient(served, cookie=cookie).subscribe({"dashboard": True})["ok"] is False


def disconnected_within(socket: SocketClient, seconds: float) -> None:
    start = time.monotonic()
    while socket.client.connected:
        assert time.monotonic() - start < seconds, f"still connected after {seconds} s"
        time.sleep(0.01)


def test_a_revocation_closes_the_open_sockets_it_names(api, served):
    issued = api.post("/devices/K1/tokens", "admin").get_json()
    kiosk = SocketClient(served, token=issued["token"])
    assert kiosk.subscribe({"kiosk": "K1"})["ok"] is True
    dashboard = SocketClient(served, token=api.token("manager"))
    assert dashboard.subscribe({"dashboard": True})["ok"] is True

    assert api.request("DELETE", f"/tokens/{issued['id']}", "admin").status_code == 200
    disconnected_within(kiosk, 1.0)
    assert dashboard.client.connected  # another's token: untouched
    assert SocketClient(served, token=issued["token"]).subscribe({"kiosk": "K1"})["ok"] is False

    body = {"name": "manager名", "role": "manager", "active": False}
    assert api.request("PUT", "/staff/manager", "admin", body).status_code == 200
    disconnected_within(dashboard, 1.0)
    assert SocketClient(served, token=api.token("manager")).subscribe({"dashboard": True})["ok"] is False


# -- revocation across processes ----------------------------------------------------------------


@pytest.fixture
def two_processes(tmp_path, clock, password_hash):
    """Two app instances of one hall, each with its own token cache, sharing a real PostgreSQL
    database and a real Redis: two `hallq serve` processes as the server sees them."""
    from hallq import create_app

    require_redis()
    with new_postgres_database() as url:
        database_url = url.render_as_string(hide_password=False)
        apps: list[Flask] = []
        for name in ("a", "b"):
            settings = app_settings(tmp_path / name).model_copy(
                update={"DATABASE_URL": database_url, "SOCKETIO_MESSAGE_QUEUE": REDIS_URL}
            )
            if not apps:
                database = initialise_database(settings, clock)
                with database.write() as uow:
                    hall_id = uow.session.scalar(text("SELECT id FROM hall"))
                    for username, role in (("admin", Role.ADMIN), ("clerk1", Role.CLERK)):
                        uow.session.add(
                            Staff(
                                hall_id=hall_id,
                                username=username,
                                name=username,
                                role=role,
                                password_hash=password_hash,
                            )
                        )
                database.engine.dispose()
            apps.append(create_app(settings, clock=clock))
        for app in apps:
            assert app.extensions["hallq"].revocations.listening.wait(5), "not subscribed to Redis"
        yield apps
        for app in apps:
            app.extensions["hallq"].revocations.close()
            app.extensions["hallq"].printing.close()
            app.extensions["hallq"].db.engine.dispose()


def test_without_its_redis_a_process_still_drops_what_it_revoked_and_says_redis_is_away(app, api):
    from hallq.faults import MessageQueue
    from hallq.revocation import Revocations
    from tests.live.conftest import free_port

    app_state = app.extensions["hallq"]
    away = MessageQueue(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    app_state.revocations = Revocations(app_state, away)
    assert api.get("/windows/1/panel", "clerk1").status_code == 200  # cached
    body = {"name": "clerk1名", "role": "clerk", "active": False}
    assert api.request("PUT", "/staff/clerk1", "admin", body).status_code == 200
    assert api.get("/windows/1/panel", "clerk1").status_code == 401  # at once, here
    assert away.problem is not None  # and /healthz says Redis is away


def refused_within(api: Api, path: str, who: str, seconds: float) -> float:
    """How long until `who` is refused on `path` (asserting it is, within `seconds`)."""
    start = time.monotonic()
    while api.get(path, who).status_code != 401:
        assert time.monotonic() - start < seconds, f"{who} still accepted after {seconds} s"
        time.sleep(0.01)
    return time.monotonic() - start


def test_a_revoked_token_and_a_deactivated_account_are_refused_by_the_other_process_within_a_second(
    two_processes,
):
    first, second = (Api(app) for app in two_processes)
    issued = first.post("/devices/K1/tokens", "admin").get_json()
    first.tokens["K1"] = second.tokens["K1"] = issued["token"]
    first.token("clerk1")
    second.tokens["clerk1"] = first.tokens["clerk1"]
    assert second.get("/printers", "K1").status_code == 200  # now in the second's cache
    assert second.get("/windows/1/panel", "clerk1").status_code == 200
    assert second.app.extensions["hallq"].token_cache  # cached: without Redis, 30 s more

    assert first.request("DELETE", f"/tokens/{issued['id']}", "admin").status_code == 200
    took = refused_within(second, "/printers", "K1", 1.0)
    print(f"revoked token refused by the other process after {took * 1000:.0f} ms")

    body = {"name": "clerk1", "role": "clerk", "active": False}
    assert first.request("PUT", "/staff/clerk1", "admin", body).status_code == 200
    took = refused_within(second, "/windows/1/panel", "clerk1", 1.0)
    print(f"deactivated account's token refused by the other process after {took * 1000:.0f} ms")
    with second.app.extensions["hallq"].db.read() as uow:
        assert uow.session.scalar(select(Staff.active).where(Staff.username == "clerk1")) is False


def test_an_account_changed_with_hallq_user_add_is_seen_by_the_serving_processes_within_a_second(
    two_processes, tmp_path
):
    from click.testing import CliRunner

    from hallq.cli import main

    first, second = (Api(app) for app in two_processes)
    second.tokens["clerk1"] = first.token("clerk1")
    assert second.get("/staff", "clerk1").status_code == 403  # a clerk, cached so
    settings = second.app.extensions["hallq"].settings
    env = {
        "DATABASE_URL": settings.DATABASE_URL,
        "SOCKETIO_MESSAGE_QUEUE": settings.SOCKETIO_MESSAGE_QUEUE,
        "HALLQ_CONFIG": str(settings.HALLQ_CONFIG),
        "HALLQ_INSTANCE": str(tmp_path / "cli"),
        "SECRET_KEY": "test-secret",
    }
    args = ["user", "add", "clerk1", "--role", "manager", "--password-stdin"]
    done = CliRunner().invoke(main, args, input="Promoted-now-1\n", env=env)
    assert done.exit_code == 0, done.output
    start = time.monotonic()
    while second.get("/staff", "clerk1").status_code != 200:
        assert time.monotonic() - start < 1.0, "the second process still has clerk1 as a clerk"
        time.sleep(0.01)
