"""``crm-sync explain`` as plain text: a record's story for a person to read at a glance."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from sync.inspect.common import person_text, shown, stamp

INDENT = "    "


def format_explain(report: Mapping[str, Any], zone: tzinfo) -> str:
    """The report of :func:`sync.inspect.explain.explain_record` as text, times in ``zone``."""

    at = stamp(zone)
    title = f"  {report['title']!r}" if report.get("title") else ""
    lines = [f"{report['record']}{title}"]
    seen = f"  first seen {at(report['first_seen'])}, last seen {at(report['last_seen'])}"
    if report["deleted_at"]:
        seen += f", deleted in the CRM {at(report['deleted_at'])}"
    elif report["next_due"]:
        seen += f", next timer check {at(report['next_due'])}"
    lines.append(seen)
    if report["rejected"]:
        lines.append(f"  REJECTED since {at(report['rejected']['first_at'])}: {report['rejected']['reason']}")
    lines.append("")
    lines.append("Timeline:")
    for entry in report["timeline"]:
        lines.extend(_timeline_entry(entry, at(entry["seen_at"])))
    lines.append("")
    lines.append(f"Rules (condition values: the stored copy, evaluated {at(report['evaluated_at'])}):")
    for rule in report["rules"]:
        lines.extend(_rule(rule, at))
        lines.append("")
    for notice in report["notices"]:
        lines.append(
            f"  [{notice['kind']}] {notice['message']} (x{notice['count']}, last {at(notice['last_at'])})"
        )
    return "\n".join(lines).rstrip()


def _timeline_entry(entry: Mapping[str, Any], when: str) -> list[str]:
    if entry["kind"] == "first_seen":
        note = f" ({entry['note']})" if entry.get("note") else ""
        return [f"  {when}  first seen{note}"]
    if entry["kind"] == "deleted":
        return [f"  {when}  deleted in the CRM"]
    changes = entry["changes"]
    lines = [f"  {when}  changed {len(changes)} field(s):"]
    lines += [
        f"{INDENT}  {path}: {shown(old, 60)} -> {shown(new, 60)}" for path, (old, new) in changes.items()
    ]
    return lines


def _rule(rule: Mapping[str, Any], at: Any) -> list[str]:
    lines = []
    if rule["outcomes"]:
        for outcome in rule["outcomes"]:
            occurrence = f" [{outcome['occurrence']}]" if outcome["occurrence"] != "once" else ""
            lines.append(f"  {rule['rule']}{occurrence}: {_outcome(outcome, at)}")
    else:
        lines.append(f"  {rule['rule']}: {rule['state']} ({rule['reason']})")
    if not rule["in_config"]:
        lines.append(f"{INDENT}(no longer in the configuration)")
    for name, value in rule.get("values", {}).items():
        lines.append(f"{INDENT}{_value(name, value, at)}")
    for action in rule["actions"]:
        lines += [f"{INDENT}{line}" for line in _action(action, at)]
    for skipped in rule["skipped"]:
        lines.append(f"{INDENT}skipped {skipped['role']}: {skipped['reason']} (x{skipped['count']})")
    for error in rule["errors"]:
        lines.append(
            f"{INDENT}[{error['kind']}] {error['message']} (x{error['count']}, last {at(error['last_at'])})"
        )
    return lines


def _outcome(outcome: Mapping[str, Any], at: Any) -> str:
    state, due, decided = outcome["state"], at(outcome["due_at"]), at(outcome["decided_at"])
    stale = "" if outcome.get("current_version", True) else " (decided by an earlier version of the rule)"
    if state == "armed":
        return f"armed {at(outcome['armed_at'])}, due {due}{stale}"
    if state == "fired":
        when = f" (due {due})" if outcome["due_at"] else ""
        late = f"; {outcome['reason']}" if "late" in outcome["reason"] else ""
        return f"fired {decided}{when}{late}{stale}"
    if state == "lapsed":
        return f"lapsed {decided}: when was false at the due time {due}{stale}"
    reason = outcome["reason"] or state
    return f"{state} {decided}: {reason}" + (f" (was due {due})" if outcome["due_at"] else "") + stale


def _value(name: str, value: Mapping[str, Any], at: Any) -> str:
    if name == "after":
        if value["field"] is None:
            return f"after: {value['delay']} from {value['from']}"
        due = f" -> due {at(value['due_at'])}" if value.get("due_at") else " -> no due time (empty date)"
        return f"after: {value['delay']} from {value['field']} = {shown(value['value'])}{due}"
    result = f"error: {value['error']}" if value.get("error") else shown(value["value"])
    reads = ", ".join(f"{path} = {shown(v, 50)}" for path, v in value["reads"].items())
    source = " ".join(value["source"].split())
    return f"{name}: {source} -> {result}" + (f"   [{reads}]" if reads else "")


def _action(action: Mapping[str, Any], at: Any) -> list[str]:
    attempts = f"{action['attempts']} attempt{'s' if action['attempts'] != 1 else ''}"
    head = f"{action['kind']} {action['status']}, {attempts}"
    if action["crm_id"]:
        head += f", CRM id {action['crm_id']}"
    if action["recipients"]:
        head += ": " + "; ".join(f"{p['as']} {person_text(p)}" for p in action["recipients"])
    text = action["subject"] or action["summary"]
    lines = [f"action {head}" + (f"  {shown(text, 60)}" if text else "")]
    if action["status"] == "retrying" and action["next_attempt_at"]:
        lines.append(f"  next attempt {at(action['next_attempt_at'])}")
    if action["last_error"]:
        lines.append(f"  error: {action['last_error']}")
    return lines
