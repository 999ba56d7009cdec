"""One cycle, observed: the INFO line that says what it did, the metrics, the health."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sync.connectors.base import ApiUsage, Connector, UsageReporter
from sync.engine import CycleReport, Engine
from sync.ops.health import Health
from sync.ops.metrics import Backlog, Metrics
from sync.store.transaction import Store

log = logging.getLogger("crm-sync.cycle")


def usage(connectors: Mapping[str, Connector]) -> dict[str, ApiUsage]:
    return {name: c.usage() for name, c in connectors.items() if isinstance(c, UsageReporter)}


def backlog(store: Store, now: datetime) -> Backlog:
    """The ledger and timers as they stand (one read transaction)."""
    with store.transaction() as tx:
        oldest = tx.status.oldest_owed(now)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        return Backlog(
            by_status=tx.status.action_counts(),
            oldest_due_lateness=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
            timers_due=tx.status.timers_due(now),
            dead_by_rule=tx.status.dead_by_rule(),
        )


def cycle_fields(
    report: CycleReport, calls: Mapping[str, int], budget: Mapping[str, int | None], seconds: float
) -> dict[str, Any]:
    """The structured fields of a cycle's line (JSON keys are stable)."""
    streams = sorted({*report.polled, *report.reread, *report.waiting, *report.rejected})
    delivered = report.delivery.counts
    return {
        "run_id": str(report.run_id) if report.run_id is not None else "-",
        "outcome": "ok" if report.ok else "failed",
        "streams": {
            s: {
                "read": report.polled.get(s, 0),
                "unchanged": report.unchanged.get(s, 0),
                "reread": report.reread.get(s, 0),
                "waiting": report.waiting.get(s, 0),
                "rejected": report.rejected.get(s, 0),
            }
            for s in streams
        },
        "planned": report.planned_count,
        "delivered": delivered.get("delivered", 0),
        "retrying": delivered.get("retrying", 0),
        "deferred": delivered.get("deferred", 0),
        "dead": delivered.get("dead", 0),
        "calls": dict(calls),
        "budget_left": dict(budget),
        "duration_s": round(seconds, 3),
        "errors": len(report.errors),
    }


def cycle_message(fields: Mapping[str, Any]) -> str:
    """The same, as one line a person reads."""
    read = ", ".join(f"{s} {v['read']}" for s, v in fields["streams"].items()) or "nothing"
    calls = ", ".join(f"{crm} {n}" for crm, n in fields["calls"].items()) or "none"
    budget = ", ".join(f"{crm} {'?' if n is None else n}" for crm, n in fields["budget_left"].items()) or "-"
    return (
        f"cycle {fields['outcome']} in {fields['duration_s']:.1f}s: read {read}; planned {fields['planned']}; "
        f"delivered {fields['delivered']}, retrying {fields['retrying']}, deferred {fields['deferred']}, "
        f"dead {fields['dead']}; calls {calls}; budget left {budget}; errors {fields['errors']}"
    )


class ObservedCycles:
    """Runs the engine's cycles, each followed by its log line, metrics and health."""

    def __init__(self, engine: Engine, metrics: Metrics | None = None, health: Health | None = None) -> None:
        self.engine = engine
        self.metrics = metrics
        self.health = health

    def run(self, mode: str = "daemon", deliver: bool = True) -> CycleReport:
        before = usage(self.engine.connectors)
        started = time.monotonic()
        try:
            report = self.engine.run_cycle(deliver=deliver, mode=mode)
        except Exception as exc:
            if self.metrics is not None:
                self.metrics.cycle(False, time.monotonic() - started, {}, {}, {}, None)
            if self.health is not None:
                self.health.failed(f"{type(exc).__name__}: {exc}")
            raise
        seconds = time.monotonic() - started
        after = usage(self.engine.connectors)
        calls = {crm: u.calls - (before[crm].calls if crm in before else 0) for crm, u in after.items()}
        budget = {crm: u.budget_left for crm, u in after.items()}
        fields = cycle_fields(report, calls, budget, seconds)
        log.info("%s", cycle_message(fields), extra=fields)
        for error in report.errors:
            log.error("%s", error, extra={"run_id": fields["run_id"]})
        ended = self.engine.wall_clock()
        if self.metrics is not None:
            self.metrics.cycle(report.ok, seconds, report.delivery.by_rule, calls, budget, ended)
            if deliver:
                self.metrics.backlog(backlog(self.engine.store, ended))
        if self.health is not None:
            if report.ok:
                self.health.succeeded(ended)
            else:
                self.health.failed("; ".join(report.errors)[:300])
        return report
