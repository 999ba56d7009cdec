"""Turn a rule that fires on a record into fully rendered planned actions, each with its idempotency key.

Pure: everything a CRM write needs (recipients, subject, bodies, due dates) is decided here by the
action kinds, so the ledger stores exactly what is owed and a retry sends the very same thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifications.recipients import Directory, Recipient, Resolution, Resolver
from rules.actions.base import Firing, Notice, Payload
from rules.model import Rule, RuleSet

__all__ = ["Notice", "Plan", "PlannedAction", "plan_firing", "record_key"]


@dataclass(frozen=True)
class PlannedAction:
    """One write owed to a CRM. ``key`` is unique per rule, record, occurrence, action and recipient."""

    key: str
    rule_id: str
    kind: str
    target: str
    record_key: str
    record_id: str
    occurrence: str
    payload: Payload

    @property
    def external_id(self) -> str:
        """A short, stable form of ``key`` for CRM fields (e.g. ``Crm_Sync_Key__c``, a HubSpot sendId)."""
        return external_id(self.key)


def external_id(key: str) -> str:
    return "cs-" + hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass
class Plan:
    actions: list[PlannedAction] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    turns: dict[str, str] = field(default_factory=dict)  # round-robin team -> member whose turn was taken


def record_key(stream: str, record_id: str) -> str:
    return f"{stream}:{record_id}"


def plan_firing(
    ruleset: RuleSet,
    rule: Rule,
    record: Mapping[str, Any],
    context: Mapping[str, Any],
    occurrence: str,
    now: datetime,
    directory: Directory | None = None,
) -> Plan:
    """The actions of ``rule`` firing once on ``record``; raises ``ExpressionError`` if any text fails."""
    resolver = Resolver(ruleset.roles, record, directory or Directory())
    firing = Firing(rule, record, context, resolver, ruleset.templates, ruleset.timezone, now)

    # Resolve whom the firing alerts first, so every text (a Chatter post) can name who was alerted.
    alerted = Resolution()
    for spec in rule.actions:
        for resolution in spec.kind.alerts(spec.compiled, firing):
            for person in resolution.recipients:
                alerted.add(person)
            alerted.skipped.extend(s for s in resolution.skipped if s not in alerted.skipped)
    people = {name: resolver.first(name) for name in rule.context_roles}
    firing.context = {
        **context,
        "rule": rule.id,
        "recipients": [r.as_dict() for r in alerted.recipients],
        "skipped": [s.as_dict() for s in alerted.skipped],
        "roles": {name: p.as_dict() if isinstance(p, Recipient) else None for name, p in people.items()},
    }
    for skipped in alerted.skipped:
        firing.notices.append(Notice(rule.id, "skipped_recipient", f"{skipped.role}: {skipped.reason}"))

    rkey = record_key(rule.stream.name, firing.record_id)
    base = f"{rule.id}:{rkey}:{occurrence}"
    plan = Plan()
    for spec in rule.actions:
        for planned in spec.kind.plan(spec.compiled, firing):
            plan.actions.append(
                PlannedAction(
                    key=f"{base}:{spec.id}{planned.suffix}",
                    rule_id=rule.id,
                    kind=spec.kind.name,
                    target=spec.target,
                    record_key=rkey,
                    record_id=firing.record_id,
                    occurrence=occurrence,
                    payload=planned.payload,
                )
            )
    plan.notices = firing.notices
    plan.turns = dict(resolver.turns)
    return plan
