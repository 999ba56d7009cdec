"""The worker's side of scheduled rules: build each due digest's report, read the metrics, and file the
emails owed in the ledger together with the rule's outcome, in one transaction.

A digest's slot is filed as an outcome (``schedule:RULE``, occurrence = slot and group) in the same
transaction as its emails, so a slot is sent once across cycles and restarts and its report is built
once. A metric rule keeps its last crossing as an outcome (``metrics:RULE``): ``fired`` while the metric
is past its threshold, ``recovered`` once it is back; it fires again only from ``recovered``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rules.expressions import ExpressionError
from rules.model import RuleSet
from rules.planner import PlannedAction
from rules.schedule import PER_FIELDS, ScheduledRule, crossing, plan_emails, recipients, slot_occurrence
from sync.reports.build import ReportRequest, build_report, current_metrics
from sync.reports.html import as_html
from sync.reports.kpi import WINDOW
from sync.reports.render import as_text
from sync.reports.window import Window, between, last_full_week, week_of
from sync.store.tables import RuleOutcome
from sync.store.transaction import Transaction

log = logging.getLogger(__name__)
CHECKED = "checked"  # a metric rule's outcome row that says which slot it last checked


def period_window(rule: ScheduledRule, slot: datetime, ruleset: RuleSet) -> Window:
    zone = ruleset.timezone
    period = rule.report.period if rule.report else "last_week"
    if period == "this_week":
        return week_of(slot, zone)
    if period == "last_28d":
        return between(slot - WINDOW, slot, zone)
    return last_full_week(slot, zone)


def _groups(rule: ScheduledRule, tx: Transaction, stream: str) -> dict[str | None, list[Mapping[str, Any]]]:
    """The records each digest's record roles are resolved on, by group (one group, None, unless per:)."""
    records = tx.records.with_changes(stream)
    groups: dict[str | None, list[Mapping[str, Any]]] = defaultdict(list)
    for h in records:
        key = None if rule.per is None else str(h.get(PER_FIELDS[rule.per]) or "") or None
        if rule.per is None or key is not None:
            groups[key].append(h.snapshot)
    return groups if rule.per else {None: groups.get(None, [])}


def plan_scheduled(ruleset: RuleSet, tx: Transaction, now: datetime) -> list[PlannedAction]:
    """The emails every scheduled rule owes at ``now``, with their outcomes recorded in ``tx``."""
    planned: list[PlannedAction] = []
    metrics = None
    for rule in ruleset.scheduled:
        outcomes = tx.outcomes.for_records([rule.record_key])[rule.record_key]
        if not rule.watches:
            planned += _digest(ruleset, tx, rule, now, {o for _, o in outcomes})
            continue
        if rule.every is not None and not _check_due(
            tx, rule, now, ruleset, outcomes.get((rule.id, CHECKED))
        ):
            continue
        if metrics is None:
            metrics = current_metrics(tx, now)
        crossings = [o for o in outcomes.values() if o.occurrence != CHECKED]
        planned += _metric(ruleset, tx, rule, now, metrics.as_dict(), crossings)
    return planned


def _check_due(
    tx: Transaction, rule: ScheduledRule, now: datetime, ruleset: RuleSet, checked: RuleOutcome | None
) -> bool:
    """A metric rule with ``every:`` checks once per slot: is this slot's check still to do? (It is
    marked done here, in the transaction that files what the check decides.)"""
    assert rule.every is not None
    slot = rule.every.last(now, ruleset.timezone)
    if checked is not None and checked.armed_at >= slot:
        return False
    if checked is None:
        checked = RuleOutcome(record_key=rule.record_key, rule_id=rule.id, occurrence=CHECKED, state=CHECKED)
    checked.armed_at, checked.decided_at, checked.reason = (
        slot,
        now,
        f"last checked for the slot {slot.isoformat()}",
    )
    tx.outcomes.save(checked)
    return True


def _digest(
    ruleset: RuleSet, tx: Transaction, rule: ScheduledRule, now: datetime, done: set[str]
) -> list[PlannedAction]:
    assert rule.every is not None and rule.report is not None
    slot = rule.every.last(now, ruleset.timezone)
    if any(o.startswith(slot.isoformat()) for o in done):  # every group of a slot is filed at once
        return []
    role_streams = {ruleset.roles[name].source for name in rule.to} - {None}
    stream = next(iter(role_streams), None) or "salesforce.sli"
    groups = _groups(rule, tx, stream) if (role_streams or rule.per) else {None: []}
    planned = []
    for group, records in sorted(groups.items(), key=lambda kv: kv[0] or ""):
        occurrence = slot_occurrence(slot, group)
        if occurrence in done:
            continue
        request = ReportRequest(
            rule.report.kind,
            period_window(rule, slot, ruleset),
            rule.report.by,
            region=group if rule.per == "region" else None,
            office=group if rule.per == "office" else None,
        )
        report = build_report(tx, request, slot, ruleset.timezone)
        context = {
            "report": report.as_dict(),
            "report_text": as_text(report),
            "report_html": as_html(report, charts=False, page=False),
            "group": group,
            "period": report.period,
        }
        people = recipients(ruleset.roles, rule.to, records)
        actions = plan_emails(rule, people, context, occurrence, ruleset.templates)
        _file(tx, rule, occurrence, slot, now, "fired", f"{len(actions)} email(s) for {report.period}")
        planned += actions
    return planned


def _metric(
    ruleset: RuleSet,
    tx: Transaction,
    rule: ScheduledRule,
    now: datetime,
    metric: dict[str, Any],
    outcomes: list[RuleOutcome],
) -> list[PlannedAction]:
    assert rule.when is not None
    last = max(outcomes, key=lambda o: o.armed_at, default=None)
    try:
        breached = rule.when.test({"metric": metric})
        recovered = rule.until.test({"metric": metric}) if rule.until else not breached
    except ExpressionError as exc:
        log.warning("scheduled rule %s: %s", rule.id, exc)
        return []
    decision = crossing(last.state if last else None, breached, recovered)
    if decision == "recover" and last is not None:
        last.state, last.decided_at = "recovered", now
        last.reason = f"recovered: {_brief(metric)}"
        tx.outcomes.save(last)
        return []
    if decision != "fire":
        return []
    occurrence = now.isoformat()
    people = recipients(ruleset.roles, rule.to, [])
    actions = plan_emails(rule, people, {"metric": metric}, occurrence, ruleset.templates)
    _file(tx, rule, occurrence, now, now, "fired", f"crossed: {_brief(metric)}")
    return actions


def _brief(metric: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in metric.items())[:480]


def _file(
    tx: Transaction,
    rule: ScheduledRule,
    occurrence: str,
    at: datetime,
    now: datetime,
    state: str,
    reason: str,
) -> None:
    tx.outcomes.save(
        RuleOutcome(
            record_key=rule.record_key,
            rule_id=rule.id,
            occurrence=occurrence,
            state=state,
            armed_at=at,
            due_at=None,
            decided_at=now,
            reason=reason,
        )
    )
