"""``crm-sync plan``: the timers due in the next days, by day and rule, each decided on the stored copy
of its record at its due time (fires, and to whom; lapses; is cancelled). Read only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from rules.model import RuleSet
from sync.inspect.common import iso, stamp
from sync.inspect.explain import title
from sync.inspect.predict import Prediction, predict
from sync.store.outcomes import Outcomes
from sync.store.tables import RuleOutcome, TrackedRecord
from sync.store.transaction import Transaction

DEFAULT_DAYS = 7
MAX_DAYS = 3660  # ten years: further is a typo


def due_plan(tx: Transaction, ruleset: RuleSet, now: datetime, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """Armed timers due before ``now + days`` (overdue ones apart), grouped by local day, then by rule in order of their first due time."""
    until = now + timedelta(days=days)
    armed = tx.inspect.armed_until(until)
    keys = list(dict.fromkeys(o.record_key for o in armed))
    rows = tx.records.many(keys)
    outcomes = tx.outcomes.for_records(keys)
    overdue: list[dict[str, Any]] = []
    by_day: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for timer in armed:
        assert timer.due_at is not None
        entry = _timer(ruleset, timer, rows.get(timer.record_key), outcomes[timer.record_key], now)
        if timer.due_at < now:
            overdue.append(entry | {"rule": timer.rule_id})
        else:
            day = timer.due_at.astimezone(ruleset.timezone).date().isoformat()
            by_day.setdefault(day, {}).setdefault(timer.rule_id, []).append(entry)
    return {
        "now": iso(now),
        "until": iso(until),
        "days": days,
        "timezone": str(ruleset.timezone),
        "count": len(armed),
        "overdue": overdue,
        "by_day": [
            {
                "day": day,
                "rules": [{"rule": rule, "timers": timers} for rule, timers in rules.items()],
            }
            for day, rules in sorted(by_day.items())
        ],
    }


def _timer(
    ruleset: RuleSet, timer: RuleOutcome, row: TrackedRecord | None, outcomes: Outcomes, now: datetime
) -> dict[str, Any]:
    """One armed timer and what it would decide at its due time (or now, when overdue)."""
    assert timer.due_at is not None
    entry = {"record": timer.record_key, "occurrence": timer.occurrence, "due_at": iso(timer.due_at)}
    stream = ruleset.streams.get(row.stream) if row is not None else None
    rule = next((r for r in ruleset.rules if r.id == timer.rule_id), None)
    if row is None or row.deleted_at is not None or stream is None:
        return entry | {"title": None, "then": Prediction("cancelled", reason="the record is gone").as_dict()}
    if rule is None:
        removed = Prediction("cancelled", reason="the rule is no longer in the configuration")
        return entry | {"title": title(row.snapshot), "then": removed.as_dict()}
    then = predict(ruleset, stream, row, outcomes, max(timer.due_at, now)).at(
        (timer.rule_id, timer.occurrence)
    )
    return entry | {"title": title(row.snapshot), "then": then.as_dict()}


def format_plan(plan: Mapping[str, Any], zone: tzinfo) -> str:
    """The report of :func:`due_plan` as text."""

    at = stamp(zone)
    lines = [
        f"Due by {at(plan['until'])} ({plan['days']} day(s) from {at(plan['now'])}): {plan['count']} timer(s).",
        "Each is decided here on the stored copy of its record; the worker decides on the CRM's copy then.",
    ]
    if plan["overdue"]:
        lines += ["", "Overdue (the next cycle decides them):"]
        for entry in plan["overdue"]:
            lines += timer_lines(entry, at, f"{entry['rule']}  ")
    for day in plan["by_day"]:
        label = datetime.fromisoformat(day["day"]).strftime("%a")
        lines += ["", f"{day['day']} ({label}):"]
        for rule in day["rules"]:
            lines.append(f"  {rule['rule']} ({len(rule['timers'])}):")
            for entry in rule["timers"]:
                lines += timer_lines(entry, at, "  ")
    if not plan["count"]:
        lines += ["", "Nothing is due."]
    return "\n".join(lines)


def timer_lines(entry: Mapping[str, Any], at: Any, prefix: str = "") -> list[str]:
    """A timer and what it would do, in a few lines."""
    name = f"  {entry['title']!r}" if entry.get("title") else ""
    occurrence = f" [{entry['occurrence']}]" if entry.get("occurrence", "once") != "once" else ""
    lines = [f"  {prefix}{at(entry['due_at'])}  {entry['record']}{occurrence}{name}"]
    lines += [f"      {line}" for line in outcome_lines(entry["then"], at)]
    return lines


def outcome_lines(then: Mapping[str, Any], at: Any) -> list[str]:
    """What a predicted decision does: whom a firing reaches and whom it skips, or why nothing fires."""
    state = then["state"]
    if state == "fired":
        kinds: dict[str, int] = {}
        for action in then["actions"]:
            kinds[action["kind"]] = kinds.get(action["kind"], 0) + 1
        what = ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in kinds.items()) or "no action"
        to = ", ".join(p["name"] or p["email"] for p in then["recipients"]) or "nobody"
        lines = [f"fires: {what}; to {to}"]
    elif state == "armed":
        again = " (re-planned: the rule changed)" if then["reason"].startswith("re-planned") else ""
        lines = [f"armed: due {at(then['due_at'])}{again}"]
    else:
        lines = [f"{_STATES.get(state, state)}: {then['reason']}"]
    for skipped in then["skipped"]:
        note = " (a CRM team: its members are known when it fires)" if skipped.get("team_role") else ""
        lines.append(f"skips {skipped['role']}: {skipped['reason']}{note}")
    return lines


_STATES = {"lapsed": "lapses", "cancelled": "is cancelled", "rejected": "waits (record rejected)"}
