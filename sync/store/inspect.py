"""Read-only queries behind ``crm-sync explain`` and ``crm-sync plan``: one record's whole story, the
timers due in a window, and the stored records a rule set is compared over."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select

from sync.store.repository import Repository
from sync.store.tables import LedgerAction, NoticeRow, RecordChange, RuleOutcome, TrackedRecord


class InspectQueries(Repository):
    """What the store remembers, for people asking why (``sync.inspect`` shapes it)."""

    def changes(self, record_key: str) -> list[RecordChange]:
        """A record's change log, oldest first."""
        query = select(RecordChange).where(RecordChange.record_key == record_key)
        return list(self._session.exec(query.order_by(col(RecordChange.id))).all())

    def actions(self, record_key: str) -> list[LedgerAction]:
        """A record's ledger actions, in the order they were planned."""
        query = select(LedgerAction).where(LedgerAction.record_key == record_key)
        return list(self._session.exec(query.order_by(col(LedgerAction.planned_at), col(LedgerAction.key))))

    def notices(self, record_key: str) -> list[NoticeRow]:
        """A record's notices (skipped recipients, failing expressions), oldest first."""
        query = select(NoticeRow).where(NoticeRow.record_key == record_key)
        return list(self._session.exec(query.order_by(col(NoticeRow.first_at), col(NoticeRow.id))).all())

    def armed_until(self, until: datetime) -> list[RuleOutcome]:
        """Armed timers due before ``until`` (overdue ones included), by due time."""
        query = select(RuleOutcome).where(RuleOutcome.state == "armed", col(RuleOutcome.due_at) < until)
        query = query.order_by(col(RuleOutcome.due_at), col(RuleOutcome.record_key), col(RuleOutcome.rule_id))
        return list(self._session.exec(query).all())

    def live(self, streams: Sequence[str], after: str | None, limit: int) -> list[TrackedRecord]:
        """Live records of these streams in key order after ``after`` (a page of at most ``limit``)."""
        query = select(TrackedRecord).where(
            col(TrackedRecord.stream).in_(streams), col(TrackedRecord.deleted_at).is_(None)
        )
        if after is not None:
            query = query.where(col(TrackedRecord.key) > after)
        return list(self._session.exec(query.order_by(col(TrackedRecord.key)).limit(limit)).all())

    def ledger_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these action keys are already in the ledger."""
        if not keys:
            return set()
        query = select(LedgerAction.key).where(col(LedgerAction.key).in_(keys))
        return set(self._session.exec(query).all())
