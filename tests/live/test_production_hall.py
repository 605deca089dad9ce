"""A hall served as in production, by a real `hallq serve`: behind a TLS reverse proxy
(HALLQ_PROXIES=1, secure cookies by default) with a rate-limited kiosk; and the shared plain
HTTP hall, which must ignore forwarded headers it was not told to believe."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from tests.live.conftest import LiveHall, add_device_token, new_hall

# What nginx adds to every request it passes on (docs/deployment.md).
THROUGH_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> Iterator[LiveHall]:
    root = tmp_path_factory.mktemp("production")
    hall = new_hall(root)
    hall_toml = root / "config" / "hall.toml"
    text = hall_toml.read_text(encoding="utf-8")
    limited = text.replace('name = "二楼取号机"\n', 'name = "二楼取号机"\nrate_limit = "3/hour"\n', 1)
    assert limited != text
    hall_toml.write_text(limited, encoding="utf-8")
    del hall.env["HALLQ_SECURE_COOKIES"]  # the default
    hall.env["HALLQ_PROXIES"] = "1"
    hall.hallq("user", "add", "manager", "--role", "manager", "--password-stdin", input="password-123\n")
    database = hall.env["DATABASE_URL"]
    hall.tokens = {kiosk: add_device_token(database, "kiosk", kiosk) for kiosk in ("K1", "K2")}
    hall.tokens["manager"] = hall.hallq("token", "issue", "manager").strip()
    server = hall.serve(root / "server.log")
    yield hall
    server.terminate()
    server.wait(timeout=15)


def form_log_in(url: str, headers: dict[str, str], password: str = "password-123") -> requests.Response:
    """The login form as a browser fills it in: its CSRF token comes with the page, bound to
    the session cookie set with it (sent back by hand: requests keeps a Secure cookie for
    https), and over HTTPS the page's address as Referer (Flask-WTF checks it)."""
    if headers.get("X-Forwarded-Proto") == "https":
        headers = {**headers, "Referer": f"{url.replace('http://', 'https://')}/login"}
    page = requests.get(f"{url}/login", headers=headers, timeout=10)
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert token is not None
    return requests.post(
        f"{url}/login",
        data={"username": "manager", "password": password, "csrf_token": token.group(1)},
        cookies={"session": page.cookies["session"] or ""},
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )


def session_cookie(response: requests.Response) -> list[str]:
    """The attributes of the session cookie the response sets, as the browser reads them."""
    (cookie,) = [c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return [part.strip() for part in cookie.split(";")[1:]]


def last_login_address(hall: LiveHall) -> str:
    entries = hall.api("GET", "/audit?action=auth.login", "manager").json()
    return entries[0]["address"]


def test_over_https_the_login_cookie_is_secure_httponly_and_lax(production):
    response = form_log_in(production.url, THROUGH_PROXY)
    assert response.status_code == 302, response.text
    assert sorted(session_cookie(response)) == ["HttpOnly", "Path=/", "SameSite=Lax", "Secure"]
    # The proxy's X-Forwarded-For is believed: the audit trail has the client's address.
    assert last_login_address(production) == "203.0.113.7"


def test_over_plain_http_a_secure_hall_refuses_to_log_in_and_says_why(production):
    refused = requests.get(f"{production.url}/login", timeout=10)
    assert refused.status_code == 400 and "set-cookie" not in refused.headers
    assert "请通过 https:// 地址访问" in refused.text and "HALLQ_PROXIES" in refused.text


def test_a_plain_http_hall_sets_no_secure_flag_and_ignores_forwarded_headers(live):
    """The shared test hall: HALLQ_SECURE_COOKIES=false, no proxy declared."""
    response = form_log_in(live.url, {"X-Forwarded-For": THROUGH_PROXY["X-Forwarded-For"]})
    assert response.status_code == 302, response.text
    assert sorted(session_cookie(response)) == ["HttpOnly", "Path=/", "SameSite=Lax"]
    assert last_login_address(live) == "127.0.0.1"  # a forged X-Forwarded-For changes nothing


def test_a_rate_limited_kiosk_is_refused_past_its_rate_and_others_are_not(production):
    for n in range(3):
        body = {"queue": "A", "request_id": f"rate-limit-{n:04d}"}
        assert production.api("POST", "/tickets", "K2", json=body).status_code == 201
    replay = production.api("POST", "/tickets", "K2", json={"queue": "A", "request_id": "rate-limit-0002"})
    assert replay.status_code == 200  # a retry of a ticket made is not a new one
    refused = production.api("POST", "/tickets", "K2", json={"queue": "A"})
    assert refused.status_code == 429 and refused.json() == {
        "error": "too_many_attempts",
        "message": "kiosk K2 may issue 3/hour tickets: wait a little",
        "text": "短时间内尝试次数过多，请稍后再试。",
    }
    assert production.api("POST", "/tickets", "K1", json={"queue": "A"}).status_code == 201
