"""Sessions and accounts that hold (issue 19): no redirect leaves the hall, whatever a link
hides in its `next`."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

# Each is read by a browser as another site: a tab or line break is dropped, a backslash is a
# slash, and a scheme or a host is another site outright.
LEAVING = [
    "/%09/evil.example/",
    "//evil.example/",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%0D%0A/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "%09//evil.example",
]


def stays_here(location: str) -> bool:
    parts = urlsplit(location)
    return (
        parts.scheme in ("", "http") and parts.netloc in ("", "localhost") and not location.startswith("//")
    )


@pytest.mark.parametrize("target", LEAVING)
def test_choosing_a_language_never_redirects_off_the_hall(app, target):
    answer = app.test_client().get(f"/lang/en?next={target}")
    assert answer.status_code == 302
    assert stays_here(answer.headers["Location"]), answer.headers["Location"]
    assert "evil.example" not in answer.headers["Location"]


@pytest.mark.parametrize("target", LEAVING)
def test_logging_in_never_redirects_off_the_hall(app, target):
    app.config["WTF_CSRF_ENABLED"] = False
    answer = app.test_client().post(
        f"/login?next={target}", data={"username": "manager", "password": "password-123"}
    )
    assert answer.status_code == 302
    assert "evil.example" not in answer.headers["Location"] and stays_here(answer.headers["Location"])


def test_a_path_of_the_hall_is_still_followed(app):
    answer = app.test_client().get("/lang/en?next=/kiosk/K1%3Fx%3D1")
    assert answer.headers["Location"] == "/kiosk/K1?x=1"


def test_a_clerk_reads_of_another_clerks_window_only_what_its_board_shows(api):
    assert api.post("/windows/1/sign-in", "clerk1").status_code == 200
    queue = api.get("/windows").get_json()[0]["queues"][0]
    api.post("/tickets", "guide", {"queue": queue})
    called = api.post("/windows/1/call-next", "clerk1").get_json()
    own = api.get("/windows/1/panel", "clerk1").get_json()
    assert own["ticket"]["number"] == called["ticket"]["number"] and own["today"] is not None
    other = api.get("/windows/1/panel", "clerk2").get_json()
    assert other["yours"] is False and other["ticket"] is None and other["today"] is None
    assert other["transfer_note"] is None
    assert other["window"]["current"]["number"] == called["ticket"]["number"]  # as its board shows
    assert api.get("/windows/1/panel", "manager").get_json()["ticket"] is not None


def logged_in(app, username: str = "manager"):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "password-123"}).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding the same session cookie (a replay)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie(cookie.key, cookie.value)
    return other


def test_a_session_cookie_replayed_after_logout_is_refused(app):
    client = logged_in(app)
    replay = copy_of(app, client)
    assert replay.get("/api/v1/staff").status_code == 200
    assert client.post("/logout").status_code == 302
    assert replay.get("/api/v1/staff").status_code == 401
    assert replay.get("/manager/").status_code == 302  # to the login page


def test_a_new_password_or_deactivation_ends_every_session_of_the_account(app, api):
    clerk = logged_in(app, "clerk2")
    assert clerk.get("/api/v1/windows/2/panel").status_code == 200
    assert (
        api.request("PUT", "/staff/clerk2/password", "admin", {"password": "a-new-one-123"}).status_code
        == 200
    )
    assert clerk.get("/api/v1/windows/2/panel").status_code == 401

    manager = logged_in(app, "manager")
    assert manager.get("/api/v1/staff").status_code == 200
    body = {"name": "manager名", "badge": "0001", "role": "manager", "active": False}
    assert api.request("PUT", "/staff/manager", "admin", body).status_code == 200
    assert manager.get("/api/v1/staff").status_code == 401


def test_an_overlong_login_is_refused_on_the_form_and_counts_as_no_try(app):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    overlong = [{"username": "m" * 61, "password": "x"}] + [
        {"username": "manager", "password": "x" * 201}
    ] * 6
    for form in overlong:  # more than the 5 failures that lock a name
        assert client.post("/login", data=form).status_code == 401
    assert client.post("/login", data={"username": "manager", "password": "password-123"}).status_code == 302
