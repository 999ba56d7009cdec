"""``/healthz`` answers by the last successful cycle; ``/metrics`` holds what a cycle did and the backlog."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any
from wsgiref.util import setup_testing_defaults

from sync.ops.health import Health
from sync.ops.metrics import Backlog, Metrics, application
from tests.support import T0, Clock

INTERVAL = timedelta(minutes=5)


def _get(metrics: Metrics, health: Health, path: str) -> tuple[str, str]:
    environ: dict[str, Any] = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    answer: list[str] = []
    body = application(metrics, health)(environ, lambda status, headers: answer.append(status))
    return answer[0], b"".join(body).decode()


def test_healthy_while_a_cycle_succeeded_within_three_intervals() -> None:
    clock = Clock(T0)
    health = Health(clock, INTERVAL, 3)
    assert health.check()[0] == 503  # not active yet
    health.active()
    assert health.check() == (200, "ok: active, first cycle under way")
    health.succeeded(clock())
    clock.advance(minutes=15)
    code, reason = health.check()
    assert code == 200 and "900s ago" in reason
    clock.advance(seconds=1)
    health.failed("salesforce.sli: polling failed: Salesforce 503")
    code, reason = health.check()
    assert code == 503 and "stale" in reason and "limit 3 intervals (900s)" in reason
    assert "polling failed: Salesforce 503" in reason


def test_no_success_since_becoming_active_is_stale_after_the_window() -> None:
    clock = Clock(T0)
    health = Health(clock, INTERVAL, 3)
    health.active()
    clock.advance(minutes=16)
    assert health.check()[0] == 503


def test_a_standby_is_healthy_and_says_so() -> None:
    health = Health(Clock(T0), INTERVAL, 3)
    health.standby("pid host:12")
    assert health.check() == (200, "standby: waiting to take over from pid host:12")


def test_a_lost_lock_is_unhealthy() -> None:
    health = Health(Clock(T0), INTERVAL, 3)
    health.active()
    health.lost("the database connection holding the lock was lost")
    code, reason = health.check()
    assert code == 503 and "lost" in reason


def test_metrics_and_health_over_http() -> None:
    clock = Clock(T0)
    metrics, health = Metrics(), Health(clock, INTERVAL, 3)
    health.active()
    health.succeeded(clock())
    metrics.active.set(1)
    by_rule = Counter({("sli-alert", "delivered"): 7, ("nps-ticket", "dead"): 1})
    metrics.cycle(True, 2.5, by_rule, {"salesforce": 12, "hubspot": 30}, {"salesforce": 89000, "hubspot": None}, T0)
    metrics.cycle(False, 1.0, {}, {"salesforce": 3}, {}, None)
    metrics.backlog(Backlog({"delivered": 7, "dead": 1, "retrying": 2}, 125.0, 4, {"nps-ticket": 1}))
    status, text = _get(metrics, health, "/metrics")
    assert status.startswith("200")
    for line in (
        'crm_sync_cycles_total{outcome="ok"} 1.0',
        'crm_sync_cycles_total{outcome="failed"} 1.0',
        'crm_sync_actions_total{outcome="delivered",rule="sli-alert"} 7.0',
        'crm_sync_actions_total{outcome="dead",rule="nps-ticket"} 1.0',
        'crm_sync_api_calls_total{crm="salesforce"} 15.0',
        'crm_sync_api_calls_total{crm="hubspot"} 30.0',
        'crm_sync_api_budget_remaining{crm="salesforce"} 89000.0',
        'crm_sync_ledger_actions{status="retrying"} 2.0',
        'crm_sync_ledger_actions{status="pending"} 0.0',
        'crm_sync_dead_actions{rule="nps-ticket"} 1.0',
        "crm_sync_oldest_due_action_lateness_seconds 125.0",
        "crm_sync_timers_due 4.0",
        "crm_sync_cycle_duration_seconds_count 2.0",
        "crm_sync_active 1.0",
    ):
        assert line in text, line
    (stamp,) = [line for line in text.splitlines() if line.startswith("crm_sync_last_success_timestamp")]
    assert float(stamp.split()[1]) == T0.timestamp()  # the failed cycle after it did not move it
    assert 'crm_sync_api_budget_remaining{crm="hubspot"}' not in text  # never seen: not made up
    status, text = _get(metrics, health, "/healthz")
    assert status == "200 OK" and text.startswith("ok: active")
    assert _get(metrics, health, "/")[0].startswith("404")
