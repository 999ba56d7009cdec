"""The functional core: ``evaluate(ruleset, stream, record, history, now)`` → decisions and planned actions.

Pure and deterministic: no I/O, no clock reads. Timers are level-triggered: an armed timer is decided
from the record's current state whenever it is evaluated at or after its due time, so a cycle that runs
late (downtime) still fires it, exactly once, and a timer whose ``unless`` became true is cancelled for
good.

Per rule and occurrence (by default one occurrence per record; ``occurrence:`` renders a key so a rule
can fire again, e.g. once per status value):

* untimed rule: fires when ``when`` is true and ``unless`` is not;
* timed rule, not yet armed: armed when ``when`` is true (cancelled at once if ``unless`` is true);
  the due time is ``after.delay`` past ``after.field`` (or past the arming time);
* armed timer: cancelled when ``unless`` is true; at or after its due time it fires if ``when`` still
  holds, otherwise it lapses.

Fired, cancelled and lapsed are final for that occurrence.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from notifications.recipients import Directory
from notifications.rendering import RenderError
from rules.expressions import ExpressionError
from rules.model import Rule, RuleSet, Stream, materialise
from rules.planner import Notice, PlannedAction, plan_firing

State = Literal["armed", "fired", "cancelled", "lapsed"]
FINAL_STATES: frozenset[str] = frozenset({"fired", "cancelled", "lapsed"})


@dataclass(frozen=True)
class Outcome:
    """Where one rule stands for one record occurrence."""

    state: State
    at: datetime
    due_at: datetime | None = None
    reason: str = ""
    version: str | None = None  # of the rule that decided it (None: decided before versions existed)


@dataclass(frozen=True)
class History:
    """What the store remembers about a record."""

    first_seen: datetime | None = None
    previous: Mapping[str, Any] | None = None
    outcomes: Mapping[tuple[str, str], Outcome] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    rule_id: str
    occurrence: str
    outcome: Outcome
    actions: tuple[PlannedAction, ...] = ()


@dataclass(frozen=True)
class Rejection:
    reason: str


@dataclass
class Evaluation:
    """The result for one record: new outcomes with their actions, notices, and when to look again."""

    decisions: list[Decision] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    next_due: datetime | None = None
    rejection: Rejection | None = None
    turns: dict[str, str] = field(default_factory=dict)  # round-robin turns the firings took

    @property
    def actions(self) -> list[PlannedAction]:
        return [action for decision in self.decisions for action in decision.actions]

    def wake_at(self, when: datetime | None) -> None:
        if when is not None and (self.next_due is None or when < self.next_due):
            self.next_due = when


def context(stream: Stream, record: Mapping[str, Any], history: History, now: datetime) -> dict[str, Any]:
    """The names a condition or template sees."""
    ctx: dict[str, Any] = {
        "record": record,
        "previous": materialise(history.previous, stream.fields) if history.previous is not None else None,
        "now": now,
        "first_seen": history.first_seen or now,
        "source": stream.name,
        "record_url": None,
    }
    if stream.record_url is not None:
        with contextlib.suppress(ExpressionError):  # a link that cannot be made is left out, not a failure
            ctx["record_url"] = stream.record_url.render(ctx).strip() or None
    return ctx


def check_record(stream: Stream, record: Mapping[str, Any], ctx: Mapping[str, Any]) -> Rejection | None:
    """The first failing stream check, as a rejection with its rendered reason."""
    for check in stream.checks:
        try:
            passed = check.expect.test(ctx)
            if not passed:
                return Rejection(check.message.render(ctx).strip() or check.expect.source)
        except ExpressionError as exc:
            return Rejection(f"check failed to evaluate: {exc}")
    return None


def evaluate(
    ruleset: RuleSet,
    stream: Stream,
    raw_record: Mapping[str, Any],
    history: History,
    now: datetime,
    directory: Directory | None = None,
) -> Evaluation:
    """Decide what every rule of ``stream`` owes for one record at time ``now``; ``directory`` is what
    the CRM says about its teams (and whose turn it is) for team and round-robin roles."""
    record = materialise(raw_record, stream.fields)
    ctx = context(stream, record, history, now)
    result = Evaluation()
    rejection = check_record(stream, record, ctx)
    if rejection is not None:
        result.rejection = rejection
        return result
    for rule in ruleset.rules_for(stream.name):
        try:
            _evaluate_rule(ruleset, rule, record, ctx, history, now, result, directory)
        except RenderError as exc:  # an expression or template failing on this record: a notice
            result.notices.append(Notice(rule.id, "error", str(exc)))
            prior = _prior_due(rule, history)
            result.wake_at(prior)
    return result


def _prior_due(rule: Rule, history: History) -> datetime | None:
    dues = [o.due_at for (rid, _), o in history.outcomes.items() if rid == rule.id and o.state == "armed"]
    return min((d for d in dues if d is not None), default=None)


def _evaluate_rule(
    ruleset: RuleSet,
    rule: Rule,
    record: Mapping[str, Any],
    ctx: Mapping[str, Any],
    history: History,
    now: datetime,
    result: Evaluation,
    directory: Directory | None,
) -> None:
    occurrence = rule.occurrence.render(ctx).strip() if rule.occurrence else "once"
    if not occurrence:
        raise ExpressionError(
            f"occurrence {rule.occurrence.source if rule.occurrence else ''!r} rendered empty"
        )
    prior = history.outcomes.get((rule.id, occurrence))
    if prior is not None and prior.state in FINAL_STATES:
        return
    when = rule.when.test(ctx)

    def unless() -> bool:  # evaluated only where it can change the outcome
        return rule.unless.test(ctx) if rule.unless is not None else False

    def decide(
        state: State, due: datetime | None, reason: str, actions: tuple[PlannedAction, ...] = ()
    ) -> None:
        outcome = Outcome(state, now, due, reason, rule.version)
        result.decisions.append(Decision(rule.id, occurrence, outcome, actions))

    def fire(due: datetime | None, reason: str) -> None:
        plan = plan_firing(ruleset, rule, record, {**ctx, "due": due}, occurrence, now, directory)
        result.notices.extend(plan.notices)
        result.turns.update(plan.turns)
        decide("fired", due, reason, tuple(plan.actions))

    if rule.timer is None:
        if when and not unless():
            fire(None, "condition met")
        return

    timer = rule.timer
    if prior is None:
        if not when:
            return
        if unless():
            decide("cancelled", None, "unless was already true when the rule first matched")
            return
    elif unless():
        decide("cancelled", prior.due_at, "unless became true before the timer was due")
        return

    # Armed under another version of the rule (its timing or conditions were edited since).
    changed = prior is not None and prior.version is not None and prior.version != rule.version
    if changed and rule.on_change == "keep" and prior is not None and prior.due_at is not None:
        due = prior.due_at  # finishes with the due time it was armed with
        changed = False
    elif timer.field:
        anchor = timer.anchor(record)
        if anchor is None:
            raise ExpressionError(f"timer field {timer.field} is empty or not a date/time")
        due = timer.due(anchor)  # recomputed each time: an edited date (or delay) moves the timer
    elif prior is not None and prior.due_at is not None:
        due = timer.due(prior.at) if changed else prior.due_at  # a new delay counts from arming
    else:
        due = timer.due(now)
    if now < due:
        if prior is None or prior.due_at != due or changed:
            reason = f"re-planned after the rule changed: due {due.isoformat()}" if changed else ""
            decide("armed", due, reason or f"due {due.isoformat()}")
        result.wake_at(due)
        return
    if when:
        late = now - due
        fire(due, "due" if late.total_seconds() < 1 else f"due, evaluated {late} late")
    else:
        decide("lapsed", due, "condition no longer held when the timer was due")
