"""The rules evaluated on a stored record, as a cycle re-reading it unchanged would decide, without
writing anything or asking a CRM: what ``plan`` shows and compares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from notifications.recipients import Directory
from rules.evaluate import History, Outcome, evaluate
from rules.model import RuleSet, Stream
from rules.planner import PlannedAction
from sync.inspect.common import headline, iso, people, skipped_recipient
from sync.store.outcomes import Outcomes, history
from sync.store.tables import TrackedRecord

Key = tuple[str, str]  # (rule id, occurrence)


@dataclass
class Prediction:
    """What one rule would decide for one record occurrence at a given time, on the stored copy."""

    state: str  # armed, fired, cancelled, lapsed; waiting (nothing decided), rejected or error
    due_at: datetime | None = None
    reason: str = ""
    actions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "due_at": iso(self.due_at),
            "reason": self.reason,
            "recipients": recipients(self.actions),
            "actions": self.actions,
            "skipped": self.skipped,
        }


@dataclass
class Predicted:
    """One stored record evaluated: decisions by (rule, occurrence), the rules whose conditions or texts
    failed on it, or why the record as a whole was not evaluated (rejected, failed)."""

    decisions: dict[Key, Prediction] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    record: Prediction | None = None

    def at(self, key: Key) -> Prediction:
        """The decision on one rule occurrence, or why there is none."""
        if self.record is not None:
            return self.record
        if key[0] in self.errors:
            return Prediction("error", reason=self.errors[key[0]])
        return self.decisions.get(key) or Prediction("waiting", reason="nothing is decided then")


def predict(
    ruleset: RuleSet,
    stream: Stream,
    row: TrackedRecord,
    outcomes: Outcomes,
    at: datetime,
    armed: Mapping[Key, Outcome] | None = None,
) -> Predicted:
    """What the rules decide on the stored record at ``at`` (``armed``: timers to take as armed besides
    the stored ones). Team and round-robin roles find nobody, since only the CRM knows the teams: their
    skips say ``team_role``."""
    stored = history(row, outcomes)
    past = History(stored.first_seen, stored.previous, {**stored.outcomes, **(armed or {})})
    try:
        evaluation = evaluate(ruleset, stream, row.snapshot or {}, past, at, Directory())
    except Exception as exc:  # shown to the admin, as the worker would record a notice
        failed = f"evaluation failed: {type(exc).__name__}: {exc}"
        return Predicted(record=Prediction("error", reason=failed))
    if evaluation.rejection is not None:
        return Predicted(record=Prediction("rejected", reason=evaluation.rejection.reason))
    result = Predicted()
    skipped: dict[str, list[dict[str, Any]]] = {}
    for notice in evaluation.notices:
        if notice.kind == "skipped_recipient":
            skipped.setdefault(notice.rule_id, []).append(skip(ruleset, notice.message))
        else:
            result.errors[notice.rule_id] = notice.message
    for d in evaluation.decisions:
        actions = [planned(a) for a in d.actions]
        result.decisions[(d.rule_id, d.occurrence)] = Prediction(
            d.outcome.state, d.outcome.due_at, d.outcome.reason, actions, skipped.get(d.rule_id, [])
        )
    return result


def planned(action: PlannedAction) -> dict[str, Any]:
    """A planned (never stored) action as plan shows it."""
    payload = action.payload.dump()
    return {
        "key": action.key,
        "kind": action.kind,
        "summary": action.payload.summary(),
        "subject": headline(payload),
        "recipients": people(payload),
    }


def recipients(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Everyone the actions reach, once each (by address)."""
    found: dict[str, dict[str, Any]] = {}
    for action in actions:
        for person in action["recipients"]:
            found.setdefault(person["email"].lower(), person)
    return list(found.values())


def skip(ruleset: RuleSet, message: str) -> dict[str, Any]:
    """A skipped recipient, with whether its role is (or falls back to) a CRM team or round-robin,
    whose members only the CRM knows."""
    found = skipped_recipient(message)
    return {**found, "team_role": _team_role(ruleset, found["role"].split(" ")[-1])}


def _team_role(ruleset: RuleSet, name: str, seen: frozenset[str] = frozenset()) -> bool:
    role = ruleset.roles.get(name)
    if role is None or name in seen:
        return False
    if role.team or role.round_robin:
        return True
    return any(_team_role(ruleset, member, seen | {name}) for member in role.first_of)
