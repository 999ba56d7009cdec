"""Rule changes while timers are armed: which rules were edited or removed since the worker last ran,
how many armed timers each change touches, and applying it (re-plan, keep, cancel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import col, func, select

from rules.model import RuleSet
from sync.store.repository import Repository
from sync.store.tables import AppliedRule, RuleOutcome, TrackedRecord

Change = Literal["changed", "kept", "removed", "added"]


@dataclass(frozen=True)
class RuleChange:
    rule_id: str
    change: Change
    armed: int  # armed timers the change touches

    def describe(self) -> str:
        what = {
            "changed": "changed: its {n} armed timer(s) are re-planned under the new version",
            "kept": "changed (on_change: keep): its {n} armed timer(s) keep their due time",
            "removed": "removed: its {n} armed timer(s) are cancelled",
            "added": "added",
        }[self.change]
        return f"rule {self.rule_id} " + what.format(n=self.armed)


class RuleChanges(Repository):
    """The applied_rules table, and the armed timers a new rule set touches."""

    def _applied(self) -> dict[str, str]:
        return {row.rule_id: row.version for row in self._session.exec(select(AppliedRule)).all()}

    def compare(self, ruleset: RuleSet) -> list[RuleChange]:
        """What running ``ruleset`` changes against the rules the worker last ran (none on a first run)."""
        applied = self._applied()
        if not applied:
            return []
        current = {rule.id: rule for rule in ruleset.rules}
        changes = []
        for rule_id in sorted(set(applied) | set(current)):
            rule = current.get(rule_id)
            if rule is None:
                changes.append(RuleChange(rule_id, "removed", self._armed(rule_id)))
            elif rule_id not in applied:
                changes.append(RuleChange(rule_id, "added", 0))
            elif applied[rule_id] != rule.version:
                kind: Change = "kept" if rule.on_change == "keep" else "changed"
                changes.append(RuleChange(rule_id, kind, self._armed(rule_id)))
        return changes

    def apply(self, ruleset: RuleSet, now: datetime) -> list[RuleChange]:
        """Act on the changes (removed rules' timers cancelled, changed rules' records due now, so the
        next timer pass re-reads and re-plans them) and remember this rule set as applied."""
        if self._applied() == {rule.id: rule.version for rule in ruleset.rules}:
            return []  # the usual case: one small read per cycle
        changes = self.compare(ruleset)
        for change in changes:
            if change.change == "removed":
                self._session.execute(
                    sa.update(RuleOutcome)
                    .where(col(RuleOutcome.rule_id) == change.rule_id, col(RuleOutcome.state) == "armed")
                    .values(
                        state="cancelled",
                        decided_at=now,
                        reason="the rule was removed from the configuration",
                    )
                )
            elif change.change == "changed":
                armed = select(RuleOutcome.record_key).where(
                    col(RuleOutcome.rule_id) == change.rule_id, col(RuleOutcome.state) == "armed"
                )
                self._session.execute(
                    sa.update(TrackedRecord)
                    .where(col(TrackedRecord.key).in_(armed), col(TrackedRecord.deleted_at).is_(None))
                    .values(next_due=now)
                )
        self._session.execute(sa.delete(AppliedRule))
        for rule in ruleset.rules:
            self._session.add(AppliedRule(rule_id=rule.id, version=rule.version, applied_at=now))
        return changes

    def _armed(self, rule_id: str) -> int:
        query = (
            select(func.count())
            .select_from(RuleOutcome)
            .where(col(RuleOutcome.rule_id) == rule_id, col(RuleOutcome.state) == "armed")
        )
        return int(self._session.exec(query).one())
