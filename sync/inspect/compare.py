"""``crm-sync plan --compare OTHER.yaml``: what another configuration would change, over the stored
records, against the running one. Both rule sets decide every live stored record at ``now``; where they
differ the report says how: a timer that moves or is cancelled, a record that newly matches, a rule
that would fire at once (with its actions and recipients). Read only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from rules.evaluate import Outcome
from rules.model import RuleSet
from sync.inspect.common import iso, stamp
from sync.inspect.explain import title
from sync.inspect.plan import outcome_lines
from sync.inspect.predict import Key, Predicted, Prediction, predict
from sync.store.outcomes import Outcomes
from sync.store.tables import TrackedRecord
from sync.store.transaction import Transaction

PAGE = 500
NEXT_CYCLE = "at the next cycle"
REMOVED = "the rule is not in this configuration"
HEADINGS = {  # in the order the text shows them
    "fires": "Would fire at once",
    "newly matches": "Records that newly match",
    "moves": "Timers that move",
    "cancelled": "Timers cancelled",
    "lapses": "Timers that lapse",
    "no longer fires": "No longer fire",
    "rejected": "Records the new checks reject (their timers wait)",
    "changes": "Other changes",
}


def compare_configs(tx: Transaction, running: RuleSet, proposed: RuleSet, now: datetime) -> dict[str, Any]:
    """The differences ``proposed`` makes against ``running`` over every live stored record."""
    streams = sorted({r.stream.name for r in running.rules} | {r.stream.name for r in proposed.rules})
    changes: list[dict[str, Any]] = []
    compared, after = 0, None
    while page := tx.inspect.live(streams, after, PAGE):
        after = page[-1].key
        outcomes = tx.outcomes.for_records([row.key for row in page])
        for row in page:
            compared += 1
            changes += _record_changes(running, proposed, row, outcomes[row.key], now)
    return {
        "now": iso(now),
        "running": str(running.path),
        "proposed": str(proposed.path),
        "records": compared,
        "counts": dict(Counter(change["change"] for change in changes)),
        "changes": changes,
    }


def _decide(ruleset: RuleSet, row: TrackedRecord, outcomes: Outcomes, now: datetime) -> Predicted:
    stream = ruleset.streams.get(row.stream)
    if stream is None or not ruleset.rules_for(row.stream):
        return Predicted()
    return predict(ruleset, stream, row, outcomes, now)


def _record_changes(
    running: RuleSet, proposed: RuleSet, row: TrackedRecord, outcomes: Outcomes, now: datetime
) -> list[dict[str, Any]]:
    before, after = _decide(running, row, outcomes, now), _decide(proposed, row, outcomes, now)
    record: dict[str, Any] = {
        "record": row.key,
        "title": title(row.snapshot),
        "takes_effect": _takes_effect(running, proposed, row, outcomes, now),
    }
    if after.record is not None and after.record.state == "rejected" and before.record is None:
        return [
            record | {"rule": None, "occurrence": None, "change": "rejected", "reason": after.record.reason}
        ]
    found = []
    keys = sorted(
        set(before.decisions) | set(after.decisions) | {k for k, o in outcomes.items() if o.state == "armed"}
    )
    for key in keys:
        old, new = _state(running, before, outcomes, key), _state(proposed, after, outcomes, key)
        change = _change(old, new)
        if change is None:
            continue
        entry = record | {"rule": key[0], "occurrence": key[1], "change": change}
        if new is not None and new.reason == REMOVED:
            entry["takes_effect"] = {"when": NEXT_CYCLE, "at": None}
        entry |= {"before": old.as_dict() if old else None, "after": new.as_dict() if new else None}
        if new is not None and new.state == "armed" and new.due_at is not None:
            entry["then"] = _then(proposed, row, outcomes, key, new).as_dict()
        found.append(entry)
    return found


def _takes_effect(
    running: RuleSet, proposed: RuleSet, row: TrackedRecord, outcomes: Outcomes, now: datetime
) -> dict[str, Any]:
    """When the worker would next evaluate the record under ``proposed``: at the next cycle when a
    timer of it is due or armed under a rule whose timing the change re-plans, else at its next timer,
    else when it next changes in the CRM (a rule edit alone re-reads no other record)."""
    versions = {rule.id: rule.version for rule in running.rules}
    replanned = {
        rule.id
        for rule in proposed.rules
        if rule.on_change != "keep" and versions.get(rule.id) not in (None, rule.version)
    }
    armed = {rule_id for (rule_id, _), o in outcomes.items() if o.state == "armed"}
    if (row.next_due is not None and row.next_due <= now) or armed & replanned:
        return {"when": NEXT_CYCLE, "at": None}
    if row.next_due is not None:
        return {"when": "at its next timer", "at": iso(row.next_due)}
    return {"when": "when it next changes in the CRM", "at": None}


def _state(ruleset: RuleSet, predicted: Predicted, outcomes: Outcomes, key: Key) -> Prediction | None:
    """Where a rule occurrence stands under a rule set: its decision now, else its stored outcome."""
    if key in predicted.decisions:
        return predicted.decisions[key]
    if predicted.record is not None or key[0] in predicted.errors:
        return predicted.at(key)
    stored = outcomes.get(key)
    if stored is None:
        return None
    if not any(rule.id == key[0] for rule in ruleset.rules):
        if stored.state == "armed":
            return Prediction("cancelled", stored.due_at, REMOVED)
        return None
    return Prediction(stored.state, stored.due_at, stored.reason)


def _change(old: Prediction | None, new: Prediction | None) -> str | None:
    """How a rule occurrence's standing differs between the two rule sets (``None``: it does not)."""
    if (old and (old.state, old.due_at)) == (new and (new.state, new.due_at)):
        return None
    if new is None or new.state == "waiting":
        return "no longer fires" if old is not None and old.state == "fired" else "changes"
    if new.state == "fired":
        return "fires"
    if old is None or old.state == "waiting":
        return "newly matches" if new.state == "armed" else "changes"
    if old.state == "armed" and new.state == "armed":
        return "moves"
    if new.state in ("cancelled", "lapsed") and old.state not in ("cancelled", "lapsed"):
        return "cancelled" if new.state == "cancelled" else "lapses"
    if old.state == "fired":
        return "no longer fires"
    return "changes"


def _then(
    ruleset: RuleSet, row: TrackedRecord, outcomes: Outcomes, key: Key, armed: Prediction
) -> Prediction:
    """What a timer armed under ``ruleset`` would decide at its due time, on the stored copy."""
    assert armed.due_at is not None
    rule = next(rule for rule in ruleset.rules if rule.id == key[0])
    taken = Outcome("armed", armed.due_at, armed.due_at, "", rule.version)
    stream = ruleset.streams[row.stream]
    return predict(ruleset, stream, row, outcomes, armed.due_at, {key: taken}).at(key)


def format_compare(report: Mapping[str, Any], zone: tzinfo) -> str:
    """The report of :func:`compare_configs` as text."""

    at = stamp(zone)
    lines = [
        f"{report['proposed']} against {report['running']}, over {report['records']} stored record(s) "
        f"at {at(report['now'])}",
        "(decided on the stored copy of each record; nothing was written and no CRM was called)",
    ]
    for change, heading in HEADINGS.items():
        found = [c for c in report["changes"] if c["change"] == change]
        if not found:
            continue
        lines += ["", f"{heading} ({len(found)}):"]
        for entry in found:
            lines += _entry_lines(entry, at)
    if not report["changes"]:
        lines += ["", "No difference."]
    return "\n".join(lines)


def _entry_lines(entry: Mapping[str, Any], at: Any) -> list[str]:
    name = f"  {entry['title']!r}" if entry.get("title") else ""
    occurrence = f" [{entry['occurrence']}]" if entry.get("occurrence") not in (None, "once") else ""
    effect = entry["takes_effect"]
    when = effect["when"] + (f" {at(effect['at'])}" if effect["at"] else "")
    head = f"  {entry['rule'] or '*'}{occurrence}  {entry['record']}{name}  ({when})"
    if entry["change"] == "rejected":
        return [head, f"      {entry['reason']}"]
    old, new = entry["before"], entry["after"]
    if entry["change"] == "moves":
        return [head, f"      due {at(old['due_at'])} -> {at(new['due_at'])}", *_then_lines(entry, at)]
    was = (
        f"was {old['state']}" + (f" (due {at(old['due_at'])})" if old and old["due_at"] else "")
        if old
        else ""
    )
    lines = [head + (f"  ({was})" if was else "")]
    if new is None:
        return [*lines, "      nothing happens any more"]
    return lines + [f"      {line}" for line in outcome_lines(new, at)] + _then_lines(entry, at)


def _then_lines(entry: Mapping[str, Any], at: Any) -> list[str]:
    then = entry.get("then")
    if then is None:
        return []
    due = at(entry["after"]["due_at"])
    return [f"      at {due}: {line}" for line in outcome_lines(then, at)]
