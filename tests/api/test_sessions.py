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
