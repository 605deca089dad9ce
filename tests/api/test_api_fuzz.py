"""The API fuzzed from its own OpenAPI document with schemathesis, against the real app on a real
SQLite file: every operation, called by someone it allows (a manager, or a keypad for the
keypad's own operation), with valid and invalid data. No answer may be a 5xx, and every error
is JSON with a code and a message a person can read."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance, status_code_conformance

from hallq.api import PREFIX, doc
from queue_core import ManualClock
from queue_core.models import Role
from tests.conftest import MORNING, app_settings, initialise_database
from tests.live.conftest import add_device_token, add_staff

# The document the app serves at /api/v1/openapi.json, built from the same registered views.
schema = schemathesis.openapi.from_dict(doc.document(PREFIX))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """One hall for the whole run (a fresh one per operation would cost more than the fuzzing),
    and the bearer token of each operation's caller."""
    from hallq import create_app

    tmp_path = tmp_path_factory.mktemp("fuzz")
    settings = app_settings(tmp_path)
    clock = ManualClock(MORNING)
    initialise_database(settings, clock).engine.dispose()
    tokens = add_staff(settings.database_url(), [("manager", Role.MANAGER)])
    tokens["P1"] = add_device_token(settings.database_url(), "keypad", "P1")
    app = create_app(settings, clock=clock)
    app.config["TESTING"] = True
    # Answer as in production: an unexpected exception is the 500 the fuzzer is looking for.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    callers = {}
    for op in doc.operations:
        if op.roles:
            callers[op.name] = tokens["manager" if Role.MANAGER in op.roles else "P1"]
    yield app, callers
    app.extensions["hallq"].printing.close()
    app.extensions["hallq"].db.engine.dispose()


@schemathesis.check
def errors_are_json_with_a_message(ctx, response, case) -> None:
    if response.status_code < 400:
        return
    body = response.json()
    assert isinstance(body, dict), f"{response.status_code}: not a JSON object: {response.text[:200]}"
    assert body.get("error") and body.get("message"), f"{response.status_code}: {body}"


# Not checked: that every refusal a view may give (a 404 for an unknown staff filter, a 409 for
# a window in the wrong state) is listed in the document, and that schema-valid data is never
# refused: random ids and numbers are rightly 404s.
NOT_CHECKED = [status_code_conformance, positive_data_acceptance]


@schema.parametrize()
# Derandomised: CI runs the same examples every time; raise max_examples by hand to dig deeper.
@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_on_what_it_is_sent(case, fuzzed):
    app, callers = fuzzed
    case.operation.schema.app = app  # the checks' own extra requests go to the app too
    token = callers.get(case.operation.definition.raw["operationId"])
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    case.call_and_validate(app=app, headers=headers, excluded_checks=NOT_CHECKED)
