"""``crm-sync explain STREAM:RECORD_ID``: one record's story, from the store.

When it was first seen and what each later sighting changed; for every rule of its stream the outcome
(armed and when due, fired, cancelled, lapsed, or why nothing happened) with the values of the
conditions, evaluated on the stored copy; every action with its status, attempts, error, CRM id and
recipients; every recipient skipped and why. Read only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rules.evaluate import History, context
from rules.model import Rule, RuleSet, Stream, materialise
from rules.planner import record_key
from sync.inspect.common import InspectError, headline, iso, people, skipped_recipient, summary
from sync.inspect.values import rule_values
from sync.store.changes import FIRST_SEEN
from sync.store.tables import LedgerAction, NoticeRow, RuleOutcome, TrackedRecord
from sync.store.transaction import Transaction

EXAMPLE = "salesforce.sli:a0X5e000001AbCdEAF"
TITLE_FIELDS = ("Name", "name", "subject")  # what a record is called, where it has one


def parse_target(text: str, ruleset: RuleSet) -> tuple[Stream, str]:
    """``STREAM:RECORD_ID`` as a configured stream and a record id; raises :class:`InspectError`."""
    name, colon, record_id = text.strip().partition(":")
    if not colon or "." not in name or not record_id.strip():
        raise InspectError(f"{text!r} is not STREAM:RECORD_ID (e.g. {EXAMPLE})")
    stream = ruleset.streams.get(name)
    if stream is None:
        known = ", ".join(sorted(ruleset.streams)) or "none"
        raise InspectError(f"unknown stream {name!r} (the configuration has: {known})")
    return stream, record_id.strip()


def explain_record(
    tx: Transaction, ruleset: RuleSet, stream: Stream, record_id: str, now: datetime
) -> dict[str, Any]:
    """Everything the store knows about one record, and the rules' conditions evaluated on it at ``now``."""
    key = record_key(stream.name, record_id)
    row = tx.records.get(key)
    if row is None:
        raise InspectError(
            f"no record {key} in the store: it has not been polled yet, or the id is wrong "
            "(ids are case-sensitive; Salesforce ids are the 18-character form)"
        )
    outcomes = tx.outcomes.for_records([key])[key]
    actions = tx.inspect.actions(key)
    notices = tx.inspect.notices(key)
    rejection = tx.rejections.for_records([key]).get(key)
    record = materialise(row.snapshot or {}, stream.fields)
    ctx = context(stream, record, History(row.first_seen, row.previous), now)
    rejected = rejection.reason if rejection is not None else None
    rules = [
        _rule(
            rule,
            record,
            ctx,
            [o for o in outcomes.values() if o.rule_id == rule.id],
            actions,
            notices,
            rejected,
        )
        for rule in ruleset.rules_for(stream.name)
    ]
    configured = {rule.id for rule in ruleset.rules_for(stream.name)}
    stored = {rid for rid, _ in outcomes} | {a.rule_id for a in actions} | {n.rule_id for n in notices}
    for rule_id in sorted(stored - configured - {"*"}):  # rules removed since: their history stays
        rows = [o for o in outcomes.values() if o.rule_id == rule_id]
        rules.append(_history(rule_id, rows, actions, notices) | {"in_config": False})
    return {
        "record": key,
        "stream": stream.name,
        "record_id": record_id,
        "title": title(row.snapshot),
        "first_seen": iso(row.first_seen),
        "last_seen": iso(row.last_seen),
        "deleted_at": iso(row.deleted_at),
        "next_due": iso(row.next_due),
        "rejected": None
        if rejection is None
        else {
            "reason": rejection.reason,
            "first_at": iso(rejection.first_at),
            "last_at": iso(rejection.last_at),
        },
        "timeline": _timeline(row, tx.inspect.changes(key)),
        "evaluated_at": iso(now),
        "values_note": "condition values are computed on the stored copy of the record at evaluated_at; "
        "a timer decides on the record as the CRM has it when it is due",
        "rules": rules,
        "notices": [_notice(n) for n in notices if n.rule_id == "*"],
    }


def title(snapshot: Any) -> str | None:
    """What a record is called (its ``Name``), where it has a name."""
    if not isinstance(snapshot, Mapping):
        return None
    return next((str(snapshot[f]) for f in TITLE_FIELDS if snapshot.get(f) not in (None, "")), None)


def _timeline(row: TrackedRecord, changes: Sequence[Any]) -> list[dict[str, Any]]:
    entries = [{"seen_at": iso(c.seen_at), "kind": c.kind, "changes": c.changes or {}} for c in changes]
    if not any(c.kind == FIRST_SEEN for c in changes):  # seen before the change log was kept
        entries.insert(
            0,
            {
                "seen_at": iso(row.first_seen),
                "kind": FIRST_SEEN,
                "changes": {},
                "note": "changes before the change log was kept are not known",
            },
        )
    if row.deleted_at is not None:
        entries.append({"seen_at": iso(row.deleted_at), "kind": "deleted", "changes": {}})
    return entries


def _rule(
    rule: Rule,
    record: Mapping[str, Any],
    ctx: Mapping[str, Any],
    outcomes: Sequence[RuleOutcome],
    actions: Sequence[LedgerAction],
    notices: Sequence[NoticeRow],
    rejected: str | None,
) -> dict[str, Any]:
    entry = _history(rule.id, outcomes, actions, notices)
    values = rule_values(rule, record, ctx)
    entry.update(in_config=True, timed=rule.timer is not None, values=values)
    for outcome in entry["outcomes"]:
        outcome["current_version"] = outcome["rule_version"] in (None, rule.version)
    if not outcomes:
        entry["state"], entry["reason"] = _undecided(rule, values, entry["errors"], rejected)
    return entry


def _undecided(
    rule: Rule, values: Mapping[str, Any], errors: Sequence[Mapping[str, Any]], rejected: str | None
) -> tuple[str, str]:
    """Why a rule has no outcome for this record, from its stored notices and conditions."""
    if rejected is not None:
        return "not evaluated", f"the record is rejected: {rejected}"
    if errors:
        return "error", errors[-1]["message"]
    when, unless = values["when"], values.get("unless")
    if when.get("error"):
        return "error", f"when fails on the stored copy: {when['error']}"
    if not when["value"]:
        return "not matched", "when is false"
    if rule.timer is None and unless is not None and unless["value"]:
        return "not fired", "unless is true"
    return "undecided", "matches the stored copy; the next cycle that sees the record decides"


def _history(
    rule_id: str,
    outcomes: Sequence[RuleOutcome],
    actions: Sequence[LedgerAction],
    notices: Sequence[NoticeRow],
) -> dict[str, Any]:
    """What the store keeps for one rule on the record: outcomes, actions, skipped recipients, errors."""
    rule_notices = [n for n in notices if n.rule_id == rule_id]
    decided = sorted(outcomes, key=lambda o: (o.armed_at, o.occurrence))
    return {
        "rule": rule_id,
        "state": decided[-1].state if decided else None,
        "reason": decided[-1].reason if decided else "",
        "outcomes": [
            {
                "occurrence": o.occurrence,
                "state": o.state,
                "armed_at": iso(o.armed_at),
                "due_at": iso(o.due_at),
                "decided_at": iso(o.decided_at),
                "reason": o.reason,
                "rule_version": o.rule_version,
            }
            for o in decided
        ],
        "actions": [_action(a) for a in actions if a.rule_id == rule_id],
        "skipped": [
            {**skipped_recipient(n.message), "count": n.count, "last_at": iso(n.last_at)}
            for n in rule_notices
            if n.kind == "skipped_recipient"
        ],
        "errors": [_notice(n) for n in rule_notices if n.kind != "skipped_recipient"],
    }


def _action(row: LedgerAction) -> dict[str, Any]:
    return {
        "key": row.key,
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "planned_at": iso(row.planned_at),
        "delivered_at": iso(row.delivered_at),
        "next_attempt_at": iso(row.next_attempt_at) if row.status in ("pending", "retrying") else None,
        "last_error": row.last_error,
        "crm_id": row.crm_id,
        "recipients": people(row.payload),
        "summary": summary(row.kind, row.payload),
        "subject": headline(row.payload),
    }


def _notice(row: NoticeRow) -> dict[str, Any]:
    return {"kind": row.kind, "message": row.message, "count": row.count, "last_at": iso(row.last_at)}
