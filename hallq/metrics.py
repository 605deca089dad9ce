"""/metrics: the hall and this process in Prometheus's text format (docs/monitoring.md).

Several processes: a hall scales out with several `hallq serve`, each on its own port, maybe
on several machines (docs/deployment.md), never workers forked behind one socket. So each
process keeps its own figures in its own registry and Prometheus scrapes each process at its
own address, which labels them apart (`instance`). prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR) is for workers that share one port: it needs one directory for
all of them, which processes on two machines do not have, and a scrape through the load
balancer would still reach one process at random. What each process knows of itself (its
requests' latency, its sockets, its database errors, its database and Redis as /healthz
finds them, the printers it drives) is counted in it; what is the hall's (tickets, calls,
lines, windows, print jobs, the agents' printers) is read from the database at scrape time, a
few aggregate statements, so every process answers the same truth and a dashboard takes any
one of them (max by queue).

A request pays for one histogram observation; everything else is read when Prometheus asks."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address, ip_address
from time import perf_counter
from typing import Any

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from printer_driver import PrinterStatus
from queue_core.db import unavailable
from queue_core.halls import hall_by_code
from queue_core.monitoring import hall_figures

from .error_texts import error_response
from .faults import conflict, storage_full
from .pages import health
from .printing import PrinterView
from .state import HallqState, state

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

# A hall's requests take milliseconds; a second or more is a database that stalls.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HEALTH_STATES = ("ok", "degraded", "unavailable")
PRINTING_STATES = frozenset(status for status in PrinterStatus if status.can_print)
# Headers a reverse proxy adds: a request that carries one came through a proxy, and its
# address is the proxy's own unless HALLQ_PROXIES trusts the proxy to name the client.
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


class Metrics:
    """One app's metrics: a registry of its own (the tests make many apps in one process),
    with the process's CPU, memory and garbage collection beside Hallq's."""

    def __init__(self, app_state: HallqState) -> None:
        self.registry = CollectorRegistry()
        for standard in (ProcessCollector, PlatformCollector, GCCollector):
            standard(registry=self.registry)
        self.request_seconds = Histogram(
            "hallq_request_duration_seconds",
            "Time the app took to answer a request, by Flask endpoint (unmatched: no route)",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.database_errors = Counter(
            "hallq_database_errors",
            "Errors the database raised in this process: unavailable (unreachable, locked, "
            "connection lost), storage_full, conflict (deadlock or serialisation, retried), other",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(_ScrapeTime(app_state))
        event.listen(app_state.db.engine, "handle_error", self._database_error)

    def request_started(self) -> None:
        g.metrics_started = perf_counter()

    def request_finished(self, _exc: BaseException | None) -> None:
        started = g.pop("metrics_started", None)
        if started is not None:
            self.request_seconds.labels(request.endpoint or "unmatched").observe(perf_counter() - started)

    def _database_error(self, context: ExceptionContext) -> None:
        if context.is_pre_ping:  # a pooled connection found dead and replaced: no request saw it
            return
        exc = context.sqlalchemy_exception or context.original_exception
        if storage_full(exc):
            kind = "storage_full"
        elif conflict(exc):
            kind = "conflict"
        else:
            kind = "unavailable" if unavailable(exc) else "other"
        self.database_errors.labels(kind).inc()


class _ScrapeTime(Collector):
    """What is read when Prometheus asks: this process's health and sockets, then the hall's
    figures from the database (skipped while /healthz finds the database unavailable, so
    that a scrape never waits on it)."""

    def __init__(self, app_state: HallqState) -> None:
        self.state = app_state

    def collect(self) -> Iterator[Metric]:
        found = health(self.state)
        yield _gauge(
            "hallq_health",
            "1 for what /healthz says of this process now: ok, degraded (Redis unreachable), "
            "unavailable (database or its disk)",
            ["status"],
            {(status,): status == found.status for status in HEALTH_STATES},
        )
        queue = self.state.message_queue
        if queue is not None:
            up = GaugeMetricFamily("hallq_message_queue_up", "1 while this process reaches its Redis")
            up.add_metric([], 0 if queue.problem else 1)
            yield up
        sockets, kinds = self.state.live.open_sockets()
        yield GaugeMetricFamily("hallq_open_sockets", "Sockets open on /hall in this process", value=sockets)
        yield _gauge(
            "hallq_subscribed_sockets",
            "Sockets of this process subscribed to each kind (one may hold several kinds)",
            ["kind"],
            {(kind,): n for kind, n in kinds.items()},
        )
        if found.database is None:
            yield from self._hall()

    def _hall(self) -> Iterator[Metric]:
        try:
            with self.state.db.read() as uow:
                hall = hall_by_code(uow, self.state.hall_code)
                figures = hall_figures(uow, hall)
                printers = self.state.printing.views(uow, hall)
        except (DBAPIError, SQLAlchemyTimeout) as exc:
            if not unavailable(exc):
                raise
            log.warning("/metrics without the hall's figures: the database is unavailable")
            return
        queues = figures.queues
        yield _counter(
            "hallq_tickets_issued",
            "Tickets issued today, by the queue they were issued in (from 0 at the hall's midnight)",
            ["queue"],
            {(q.code,): q.issued_today for q in queues},
        )
        yield _counter(
            "hallq_calls",
            "Tickets called today, by queue: first calls and calls after a requeue, not recalls "
            "(from 0 at the hall's midnight)",
            ["queue"],
            {(q.code,): q.called_today for q in queues},
        )
        yield _gauge(
            "hallq_waiting_tickets", "Tickets waiting", ["queue"], {(q.code,): q.waiting for q in queues}
        )
        yield _gauge(
            "hallq_queue_open_windows",
            "Open windows serving the queue",
            ["queue"],
            {(q.code,): q.open_windows for q in queues},
        )
        yield _gauge(
            "hallq_queue_taking_tickets",
            "1 while the queue takes tickets (within its hours)",
            ["queue"],
            {(q.code,): q.taking_tickets for q in queues},
        )
        yield _gauge(
            "hallq_windows",
            "The hall's windows, by status",
            ["status"],
            {(status,): n for status, n in figures.windows.items()},
        )
        yield _gauge(
            "hallq_print_jobs",
            "Print jobs made today, by status (queued and claimed ones are still to print)",
            ["status"],
            {(status,): n for status, n in figures.print_jobs_today.items()},
        )
        # A kiosk's backup may be another kiosk's printer: each printer once, as its own kiosk's.
        views: dict[str, PrinterView] = {}
        for kiosk_printers in printers.values():
            for view in kiosk_printers:
                views.setdefault(view.name, view)
        yield _gauge(
            "hallq_printer_up",
            "1 while the printer can print: not out of paper, open or offline, and its agent online",
            ["printer", "kiosk"],
            {(v.name, v.kiosk): v.status in PRINTING_STATES and not v.away for v in views.values()},
        )
        yield _gauge(
            "hallq_printer_status",
            "1 for the printer's status now (unknown: it does not say, or its agent is offline)",
            ["printer", "kiosk", "status"],
            {(v.name, v.kiosk, str(s)): v.status == s for v in views.values() for s in PrinterStatus},
        )


def _gauge(name: str, documentation: str, labels: list[str], values: dict[tuple[str, ...], Any]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in values.items():
        family.add_metric(list(label_values), float(value))
    return family


def _counter(name: str, documentation: str, labels: list[str], values: dict[tuple[str, ...], int]) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for label_values, value in values.items():
        family.add_metric(list(label_values), value)
    return family


@bp.get("/metrics")
def metrics() -> Any:
    refusal = _refusal()
    if refusal:
        return error_response(403, "forbidden", refusal, why="metrics")
    return Response(generate_latest(state().metrics.registry), mimetype=CONTENT_TYPE_LATEST)


def _refusal() -> str | None:
    """Why this request may not read the metrics, or None when it may."""
    settings = state().settings
    token = settings.HALLQ_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return None
    allowed = "only HALLQ_METRICS_ALLOW's addresses, or with Authorization: Bearer HALLQ_METRICS_TOKEN"
    if not settings.HALLQ_PROXIES and any(name in request.headers for name in FORWARDING_HEADERS):
        return f"this request came through a proxy, which HALLQ_PROXIES does not trust to name the client: {allowed}"
    address = _address(request.remote_addr)
    if address is None or not any(address in network for network in settings.HALLQ_METRICS_ALLOW):
        return f"{request.remote_addr} may not read the metrics: {allowed}"
    return None


def _address(text: str | None) -> IPv4Address | IPv6Address | None:
    """The client's address; an IPv4 client of a server listening on IPv6 as its IPv4 one."""
    try:
        found = ip_address(text or "")
    except ValueError:  # a Unix socket's peer, or nothing
        return None
    return (found.ipv4_mapped or found) if isinstance(found, IPv6Address) else found


def init_app(app: Flask) -> None:
    """Before the app's other hooks: a request one of them answers early is timed too."""
    app_state: HallqState = app.extensions["hallq"]
    app_state.metrics = Metrics(app_state)
    app.before_request(app_state.metrics.request_started)
    app.teardown_request(app_state.metrics.request_finished)
    app.register_blueprint(bp)
