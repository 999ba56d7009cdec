"""``crm-sync explain schedule:RULE`` / ``metrics:RULE``: a scheduled rule's story, from the store.

Each slot (and group) a digest was filed for, or each crossing of a metric rule with its recovery, the
emails owed for it with their status; then what the rule would do now (the next slot, or the metrics
now and whether ``when`` and ``until`` hold on them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rules.expressions import ExpressionError
from rules.model import RuleSet
from rules.schedule import ScheduledRule
from sync.inspect.common import InspectError
from sync.store.transaction import Transaction

PREFIXES = ("schedule", "metrics")


def is_scheduled_target(text: str) -> bool:
    return text.strip().partition(":")[0] in PREFIXES


def find_rule(ruleset: RuleSet, text: str) -> ScheduledRule:
    prefix, _, rule_id = text.strip().partition(":")
    rule = next((r for r in ruleset.scheduled if r.id == rule_id.strip()), None)
    if rule is None or rule.record_key != f"{prefix}:{rule.id}":
        known = ", ".join(r.record_key for r in ruleset.scheduled) or "none enabled"
        raise InspectError(f"no scheduled rule {text.strip()!r} (known: {known})")
    return rule


def explain_scheduled(tx: Transaction, ruleset: RuleSet, text: str, now: datetime) -> dict[str, Any]:
    from sync.reports.build import current_metrics  # the reports load only for this command

    rule = find_rule(ruleset, text)
    outcomes = sorted(
        tx.outcomes.for_records([rule.record_key])[rule.record_key].values(), key=lambda o: o.armed_at
    )
    actions = tx.inspect.actions(rule.record_key)
    history = [
        {
            "occurrence": o.occurrence,
            "state": o.state,
            "at": o.armed_at,
            "decided_at": o.decided_at,
            "reason": o.reason,
            "actions": [
                {
                    "to": (a.payload or {}).get("to", {}).get("email"),
                    "status": a.status,
                    "attempts": a.attempts,
                    "error": a.last_error,
                }
                for a in actions
                if a.key.startswith(f"{rule.id}:{rule.record_key}:{o.occurrence}:")
            ],
        }
        for o in outcomes
    ]
    now_view: dict[str, Any] = {}
    if not rule.watches and rule.every is not None:
        slot = rule.every.last(now, ruleset.timezone)
        filed = {o.occurrence.split("+")[0] for o in outcomes}
        now_view = {
            "last_slot": slot,
            "last_slot_sent": any(o.occurrence.startswith(slot.isoformat()) for o in outcomes) or None,
            "next_slot": _next_slot(rule, now, ruleset),
            "slots_filed": len(filed),
        }
    else:
        metric = current_metrics(tx, now).as_dict()
        now_view = {
            "metrics": metric,
            "when": _test(rule, "when", metric),
            "until": _test(rule, "until", metric),
        }
    return {"rule": rule.id, "key": rule.record_key, "history": history, "now": now_view}


def _next_slot(rule: ScheduledRule, now: datetime, ruleset: RuleSet) -> datetime:
    assert rule.every is not None
    probe = now
    last = rule.every.last(now, ruleset.timezone)
    while True:
        probe += timedelta(hours=1)
        candidate = rule.every.last(probe, ruleset.timezone)
        if candidate > last:
            return candidate


def _test(rule: ScheduledRule, name: str, metric: dict[str, Any]) -> bool | str | None:
    expression = getattr(rule, name)
    if expression is None:
        return None
    try:
        return expression.test({"metric": metric})
    except ExpressionError as exc:
        return f"error: {exc}"


def format_scheduled(report: dict[str, Any], zone: Any) -> str:
    def when(value: Any) -> str:
        return (
            value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
            if isinstance(value, datetime)
            else str(value)
        )

    lines = [f"{report['key']}  (scheduled rule {report['rule']})", ""]
    if not report["history"]:
        lines.append("  nothing filed yet")
    for entry in report["history"]:
        lines.append(f"  {when(entry['at'])}  {entry['state']:<9}  {entry['occurrence']}  {entry['reason']}")
        if entry["state"] == "recovered" and entry["decided_at"]:
            lines.append(f"  {'':19}  recovered {when(entry['decided_at'])}")
        for action in entry["actions"]:
            error = f"  ({action['error']})" if action["error"] else ""
            lines.append(
                f"      email to {action['to']}: {action['status']}, {action['attempts']} attempt(s){error}"
            )
    lines.append("")
    now = report["now"]
    if "metrics" in now:
        lines.append("  metrics now: " + ", ".join(f"{k} {v}" for k, v in now["metrics"].items()))
        lines.append(
            f"  when: {now['when']}" + (f", until: {now['until']}" if now["until"] is not None else "")
        )
    else:
        sent = "sent" if now["last_slot_sent"] else "not filed (the next cycle sends it)"
        lines.append(f"  last slot {when(now['last_slot'])}: {sent}; next slot {when(now['next_slot'])}")
    return "\n".join(lines)
