"""The browser's defences on every response (hallq.headers): every route of the app, its
errors and its static files."""

from __future__ import annotations

import pytest

from hallq.headers import POLICY
from kiosk.views import PLAN_POLICY

OWN_POLICY = {"/kiosk/map.svg": PLAN_POLICY}

SAMPLES = {"kiosk_id": "K1", "number": "3", "code": "en", "key": "0" * 16, "filename": "hallq.css"}


def routes(app) -> list[str]:
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or any(arg not in SAMPLES for arg in rule.arguments):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", SAMPLES[arg])
            for converter in ("int", "path", "string"):
                path = path.replace(f"<{converter}:{arg}>", SAMPLES[arg])
        found.append(path)
    return found


def test_every_route_answers_with_the_browsers_defences(app):
    client = app.test_client()
    paths = routes(app)
    assert len(paths) > 30 and "/kiosk/K1" in paths and "/static/hallq.css" in paths
    for path in [*paths, "/no/such/page", "/api/v1/no-such-thing"]:
        headers = client.get(path).headers
        # The floor plan, an image of another's making, has a stricter policy of its own.
        assert headers.get("Content-Security-Policy") == OWN_POLICY.get(path, POLICY), path
        assert headers.get("X-Content-Type-Options") == "nosniff", path
        assert headers.get("Referrer-Policy") == "same-origin", path
        assert headers.get("X-Frame-Options") == "DENY", path
        assert "Strict-Transport-Security" not in headers, path  # plain HTTP: a test bench


@pytest.mark.parametrize("directive", ["script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"])
def test_the_policy_runs_only_the_halls_own_scripts(directive):
    assert directive in POLICY and "unsafe-inline" not in POLICY and "unsafe-eval" not in POLICY


def test_the_floor_plans_policy_lets_it_run_and_fetch_nothing():
    assert PLAN_POLICY.startswith("default-src 'none';") and "sandbox" in PLAN_POLICY
    assert "script-src" not in PLAN_POLICY and "frame-ancestors 'none'" in PLAN_POLICY


def test_https_adds_hsts(app):
    answer = app.test_client().get("/healthz", base_url="https://hall.example")
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
