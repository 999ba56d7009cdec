"""Rule outcomes: where each rule stands for each record occurrence (armed, fired, cancelled, lapsed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from rules.evaluate import Decision, History, Outcome
from sync.store.repository import Repository
from sync.store.tables import RuleOutcome, TrackedRecord

Outcomes = dict[tuple[str, str], RuleOutcome]
"""One record's outcome rows by (rule id, occurrence)."""


def history(row: TrackedRecord | None, outcomes: Outcomes, previous: Any = None) -> History:
    """A record's stored history, as the rules read it."""
    return History(
        first_seen=row.first_seen if row is not None else None,
        previous=previous if previous is not None else (row.snapshot if row is not None else None),
        outcomes={
            key: Outcome(o.state, o.armed_at, o.due_at, o.reason, o.rule_version)  # type: ignore[arg-type]
            for key, o in outcomes.items()
        },
    )


class RuleOutcomes(Repository):
    """The rule_outcomes table."""

    def for_records(self, keys: Sequence[str]) -> dict[str, Outcomes]:
        """Every outcome of each record, in one query."""
        found: dict[str, Outcomes] = {key: {} for key in keys}
        if keys:
            rows = self._session.exec(select(RuleOutcome).where(col(RuleOutcome.record_key).in_(keys))).all()
            for row in rows:
                found[row.record_key][(row.rule_id, row.occurrence)] = row
        return found

    def all(self) -> list[RuleOutcome]:
        return list(self._session.exec(select(RuleOutcome)).all())

    def decide(self, record_key: str, outcomes: Outcomes, decisions: Iterable[Decision]) -> None:
        """Record decisions on one record, updating ``outcomes`` (its rows) in place."""
        for decision in decisions:
            key = (decision.rule_id, decision.occurrence)
            existing = outcomes.get(key)
            outcome = decision.outcome
            if existing is None:
                existing = RuleOutcome(
                    record_key=record_key,
                    rule_id=decision.rule_id,
                    occurrence=decision.occurrence,
                    state=outcome.state,
                    armed_at=outcome.at,
                )
                outcomes[key] = existing
            existing.state = outcome.state
            existing.due_at = outcome.due_at
            existing.reason = outcome.reason[:500]
            existing.decided_at = outcome.at if outcome.state != "armed" else None
            existing.rule_version = outcome.version
            self._session.add(existing)

    def cancel_armed(self, record_keys: Sequence[str], now: datetime, reason: str) -> None:
        """Cancel the pending timers of these records, in one statement."""
        self._session.execute(
            sa.update(RuleOutcome)
            .where(col(RuleOutcome.record_key).in_(record_keys), col(RuleOutcome.state) == "armed")
            .values(state="cancelled", decided_at=now, reason=reason)
        )

    def save(self, row: RuleOutcome) -> None:
        """Add or update one outcome row (scheduled rules file theirs one at a time)."""
        self._session.add(row)
