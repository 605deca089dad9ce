"""/metrics in the app: who may read it (the address after a trusted proxy, a forwarded request
when no proxy is trusted, the token), what it says of printers, health, Redis and database
errors, and a malformed setting stopping the start. The whole path through `hallq serve`, a
ticket, a call and a print, and a refusal over a real connection from another address:
tests/live/test_scrape.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hallq import create_app, metrics
from hallq.cli import main
from hallq.faults import MessageQueue
from hallq.pages import Health
from hallq.settings import Settings
from printer_driver import PrinterStatus
from tests.api.test_printing import set_status
from tests.conftest import app_settings, initialise_database

TOKEN = "metrics-token-0123456789abcdef"
DOCS = Path(__file__).resolve().parent.parent / "docs"


def samples(exposition: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a /metrics answer by its name and labels, as a Prometheus server reads them."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def scrape(client, **kw: object) -> dict[tuple[str, frozenset], float]:
    answer = client.get("/metrics", **kw)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return samples(answer.get_data(as_text=True))


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def proxied_app(tmp_path, clock):
    """An app behind one trusted proxy, whose metrics are open to 10.1.2.0/24 and the token."""
    settings = app_settings(
        tmp_path, HALLQ_PROXIES=1, HALLQ_METRICS_ALLOW="10.1.2.0/24", HALLQ_METRICS_TOKEN=TOKEN
    )
    initialise_database(settings, clock).engine.dispose()
    application = create_app(settings, clock=clock)
    yield application
    application.extensions["hallq"].printing.close()
    application.extensions["hallq"].db.engine.dispose()


def test_loopback_reads_the_metrics_by_default_and_another_address_is_refused_in_the_hall_language(app):
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # the test client's address: 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:127.0.0.1"}).status_code == 200
    for address in ("10.1.2.3", "", "::2"):
        refused = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
        assert refused.status_code == 403, address
        answer = refused.get_json()
        assert (answer["error"], answer["why"]) == ("forbidden", "metrics")
        assert answer["text"] == "运行指标只开放给本大厅的监控服务器。"
    assert "HALLQ_METRICS_ALLOW" in answer["message"]
    english = client.get("/metrics?lang=en", environ_base={"REMOTE_ADDR": "10.1.2.3"}).get_json()
    assert english["text"] == "The metrics are open only to the hall's monitoring server."


def test_a_request_through_an_untrusted_proxy_is_refused_though_the_proxy_is_on_loopback(app):
    """nginx on the same machine connects from 127.0.0.1: without HALLQ_PROXIES, what it
    forwards must not pass as the loopback's own request."""
    client = app.test_client()
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        refused = client.get("/metrics", headers={header: "203.0.113.9"})
        assert refused.status_code == 403, header
        assert "HALLQ_PROXIES" in refused.get_json()["message"]


def test_behind_a_trusted_proxy_the_clients_address_counts_or_the_token(proxied_app):
    client = proxied_app.test_client()
    assert client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.77"}).status_code == 200
    # A client cannot name itself: the proxy appends the address it saw, and that one counts.
    forged = {"X-Forwarded-For": "10.1.2.77, 203.0.113.9"}
    assert client.get("/metrics", headers=forged).status_code == 403
    assert client.get("/metrics").status_code == 403  # loopback is no longer listed
    for wrong in ("Bearer " + TOKEN[:-1], TOKEN, f"Basic {TOKEN}"):
        assert client.get("/metrics", headers=forged | {"Authorization": wrong}).status_code == 403
    assert client.get("/metrics", headers=forged | {"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_printer_out_of_paper_is_down_and_says_why(app):
    client = app.test_client()
    before = scrape(client)
    assert sample(before, "hallq_printer_up", printer="K1", kiosk="K1") == 1
    set_status(app, "K1", PrinterStatus.PAPER_OUT)
    after = scrape(client)
    assert sample(after, "hallq_printer_up", printer="K1", kiosk="K1") == 0
    assert sample(after, "hallq_printer_status", printer="K1", kiosk="K1", status="paper_out") == 1
    assert sample(after, "hallq_printer_status", printer="K1", kiosk="K1", status="online") == 0
    assert sample(after, "hallq_printer_up", printer="K2", kiosk="K2") == 1


def test_health_redis_and_database_errors(app):
    state = app.extensions["hallq"]
    client = app.test_client()
    healthy = scrape(client)
    assert sample(healthy, "hallq_health", status="ok") == 1
    assert ("hallq_message_queue_up", frozenset()) not in healthy  # no Redis configured
    assert ("hallq_database_errors_total", frozenset({("kind", "other")})) not in healthy
    with pytest.raises(OperationalError, match="no_such_table"), state.db.read() as uow:
        uow.session.execute(text("SELECT * FROM no_such_table"))
    state.message_queue = MessageQueue("redis://127.0.0.1:1/0")  # nothing listens there
    degraded = scrape(client)
    assert sample(degraded, "hallq_health", status="degraded") == 1
    assert sample(degraded, "hallq_health", status="ok") == 0
    assert sample(degraded, "hallq_message_queue_up") == 0
    assert sample(degraded, "hallq_database_errors_total", kind="other") == 1
    assert sample(degraded, "hallq_waiting_tickets", queue="A") == 0  # the hall's figures still read


def test_while_the_database_is_unavailable_a_scrape_answers_without_the_halls_figures(app, monkeypatch):
    away = Health(database="no answer within 1.5 s", storage=None, message_queue=None, calendar="unknown")
    monkeypatch.setattr(metrics, "health", lambda _state: away)
    answer = scrape(app.test_client())
    assert sample(answer, "hallq_health", status="unavailable") == 1
    assert sample(answer, "hallq_open_sockets") == 0
    assert not [key for key in answer if key[0] == "hallq_waiting_tickets"]


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("HALLQ_METRICS_ALLOW", "127.0.0.1, 10.0.0.5/24"),  # host bits set: a typo, not a network
        ("HALLQ_METRICS_ALLOW", "loopback"),
        ("HALLQ_METRICS_TOKEN", "short"),
    ],
)
def test_a_malformed_metrics_setting_stops_the_start_naming_it(monkeypatch, setting, value):
    monkeypatch.setenv(setting, value)
    with pytest.raises(ValidationError, match=setting):
        Settings()
    started = CliRunner().invoke(main, ["serve"])
    assert started.exit_code != 0 and setting in started.output


def test_the_allow_list_reads_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("HALLQ_METRICS_ALLOW", "10.1.2.0/24, 192.0.2.7,fd00::/8")
    assert [str(n) for n in Settings().HALLQ_METRICS_ALLOW] == ["10.1.2.0/24", "192.0.2.7/32", "fd00::/8"]


def test_the_docs_alert_rules_and_dashboard_name_only_metrics_the_server_exposes(app):
    app.extensions["hallq"].message_queue = MessageQueue("redis://127.0.0.1:1/0")  # Redis's metric too
    client = app.test_client()
    client.get("/healthz")  # a request timed, so that the latency histogram has a series
    families = list(text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)))
    exposed = {f.name for f in families} | {s.name for f in families for s in f.samples}
    counters = {f"{f.name}_total" for f in families if f.type == "counter"}  # with no sample yet
    dashboard = json.loads((DOCS / "grafana-hallq.json").read_text(encoding="utf-8"))
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert len(queries) > 15
    named = set(re.findall(r"\b(?:hallq|process)_[a-z_]+", "\n".join(queries)))
    named |= set(re.findall(r"\bhallq_[a-z_]+", (DOCS / "monitoring.md").read_text(encoding="utf-8")))
    assert {"hallq_printer_up", "hallq_calls_total", "hallq_health", "hallq_subscribed_sockets"} <= named
    assert named - exposed - counters == set()
