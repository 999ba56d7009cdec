"""The values behind a rule's decision, computed on a stored record: each condition's result with the
record fields it reads, the occurrence key, and the timer's anchor and due time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from notifications.records import lookup
from rules.expressions import Compiled, Expression, ExpressionError, Text
from rules.model import Rule, Timer
from sync.inspect.common import iso


def rule_values(rule: Rule, record: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """``when``, ``unless``, ``occurrence`` and ``after`` of a rule as they evaluate on ``record``."""
    values: dict[str, Any] = {"when": condition(rule.when, context)}
    if rule.unless is not None:
        values["unless"] = condition(rule.unless, context)
    if rule.occurrence is not None:
        values["occurrence"] = text(rule.occurrence, context)
    if rule.timer is not None:
        values["after"] = timer(rule.timer, record)
    return values


def condition(expression: Expression, context: Mapping[str, Any]) -> dict[str, Any]:
    """A condition's result (or its error) and the values of the fields it reads."""
    return _evaluated(expression, context, expression.test)


def text(template: Text, context: Mapping[str, Any]) -> dict[str, Any]:
    """A text's rendering (or its error) and the values of the fields it reads."""
    return _evaluated(template, context, lambda ctx: template.render(ctx).strip())


def _evaluated(
    compiled: Compiled, context: Mapping[str, Any], run: Callable[[Mapping[str, Any]], Any]
) -> dict[str, Any]:
    found: dict[str, Any] = {"source": compiled.source, "reads": reads(compiled, context)}
    try:
        found["value"] = run(context)
    except ExpressionError as exc:
        found["value"], found["error"] = None, str(exc)
    return found


def timer(rule_timer: Timer, record: Mapping[str, Any]) -> dict[str, Any]:
    """The delay, the date field it counts from (with its stored value) and the due time it gives."""
    found: dict[str, Any] = {"delay": str(rule_timer.delay), "field": rule_timer.field}
    if rule_timer.calendar is not None:
        found["business_time"] = True
    if rule_timer.field is None:
        found["from"] = "when the rule first matched"
        return found
    found["value"] = lookup(record, rule_timer.field)
    anchor = rule_timer.anchor(record)
    found["due_at"] = iso(rule_timer.due(anchor)) if anchor is not None else None
    return found


def reads(compiled: Compiled, context: Mapping[str, Any]) -> dict[str, Any]:
    """The record (and previous record) fields an expression reads, by dotted path, with their values;
    a path that goes past a field (``record.Name.upper``) stops at the field."""
    values: dict[str, Any] = {}
    for path in sorted(compiled.paths):
        root, parts = ("previous", path[1:]) if path[0] == "previous" else ("record", path)
        value: Any = context.get(root)
        walked = [root]
        for part in parts:
            if not isinstance(value, Mapping):
                break
            value = lookup(value, part)
            walked.append(part)
        values[".".join(walked)] = value
    return values
