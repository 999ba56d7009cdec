"""``/metrics`` (prometheus-client) and ``/healthz``, served from a background thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

from sync.ops.health import Health

log = logging.getLogger(__name__)

LEDGER_STATUSES = ("pending", "retrying", "delivered", "dead", "cancelled")


@dataclass
class Backlog:
    """The store's state after a cycle: actions by status, lateness of the oldest due one, timers due."""

    by_status: dict[str, int] = field(default_factory=dict)
    oldest_due_lateness: float = 0.0
    timers_due: int = 0
    dead_by_rule: dict[str, int] = field(default_factory=dict)


class Metrics:
    """The daemon's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.cycles = Counter("crm_sync_cycles", "Cycles run, by outcome", ["outcome"], registry=r)
        self.duration = Histogram(
            "crm_sync_cycle_duration_seconds",
            "How long a cycle took",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.actions = Counter(
            "crm_sync_actions",
            "Actions handled by delivery, by rule and outcome",
            ["rule", "outcome"],
            registry=r,
        )
        self.calls = Counter("crm_sync_api_calls", "CRM API calls made, by CRM", ["crm"], registry=r)
        self.budget = Gauge(
            "crm_sync_api_budget_remaining",
            "API calls the CRM still allows today within the configured share (last seen)",
            ["crm"],
            registry=r,
        )
        self.ledger = Gauge("crm_sync_ledger_actions", "Ledger actions by status", ["status"], registry=r)
        self.dead = Gauge("crm_sync_dead_actions", "Dead actions by rule", ["rule"], registry=r)
        self.lateness = Gauge(
            "crm_sync_oldest_due_action_lateness_seconds",
            "How long the oldest action due now has been waiting (0 when none)",
            registry=r,
        )
        self.timers_due = Gauge("crm_sync_timers_due", "Armed timers already due", registry=r)
        self.last_success = Gauge(
            "crm_sync_last_success_timestamp_seconds", "When the last successful cycle ended", registry=r
        )
        self.active = Gauge(
            "crm_sync_active", "1 while this daemon holds the lock, 0 as a standby", registry=r
        )

    def cycle(
        self,
        ok: bool,
        seconds: float,
        by_rule: Mapping[tuple[str, str], int],
        calls: Mapping[str, int],
        budget: Mapping[str, int | None],
        ended: datetime | None,
    ) -> None:
        self.cycles.labels("ok" if ok else "failed").inc()
        self.duration.observe(seconds)
        for (rule, outcome), count in by_rule.items():
            self.actions.labels(rule, outcome).inc(count)
        for crm, count in calls.items():
            self.calls.labels(crm).inc(count)
        for crm, left in budget.items():
            if left is not None:
                self.budget.labels(crm).set(left)
        if ok and ended is not None:
            self.last_success.set(ended.timestamp())

    def backlog(self, backlog: Backlog) -> None:
        for status in {*LEDGER_STATUSES, *backlog.by_status}:
            self.ledger.labels(status).set(backlog.by_status.get(status, 0))
        self.dead.clear()
        for rule, count in backlog.dead_by_rule.items():
            self.dead.labels(rule).set(count)
        self.lateness.set(backlog.oldest_due_lateness)
        self.timers_due.set(backlog.timers_due)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def application(metrics: Metrics, health: Health) -> WsgiApp:
    """``/metrics`` and ``/healthz``; 404 for anything else."""
    prometheus = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return prometheus(environ, start_response)
        if path == "/healthz":
            code, reason = health.check()
            phrase = "OK" if code == 200 else "Service Unavailable"
            start_response(f"{code} {phrase}", [("Content-Type", "text/plain; charset=utf-8")])
            return [reason.encode() + b"\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found: try /metrics or /healthz\n"]

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every 15s would flood the log
        return


def serve(metrics: Metrics, health: Health, host: str, port: int) -> WSGIServer:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port`` in a daemon thread; returns the server
    (``server.server_port`` is the port, when 0 asked for any free one)."""
    server = make_server(host, port, application(metrics, health), _Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="crm-sync-http", daemon=True).start()
    log.info("serving /metrics and /healthz on http://%s:%d", host, server.server_port)
    return server
