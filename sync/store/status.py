"""Read-only queries behind ``crm-sync status``: each one query, newest or most urgent first."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, func, select

from sync.store.repository import Repository
from sync.store.tables import LedgerAction, NoticeRow, Rejection, RuleOutcome, RunRow, StreamCursor


class StatusQueries(Repository):
    """What the worker knows, as rows (``sync.status`` shapes them for people and JSON)."""

    def cursors(self) -> list[StreamCursor]:
        return list(self._session.exec(select(StreamCursor).order_by(col(StreamCursor.stream))).all())

    def recent_runs(self, limit: int) -> list[RunRow]:
        return list(self._session.exec(select(RunRow).order_by(col(RunRow.id).desc()).limit(limit)).all())

    def armed_count(self) -> int:
        """How many timers are pending."""
        query = select(func.count()).select_from(RuleOutcome).where(RuleOutcome.state == "armed")
        return int(self._session.exec(query).one())

    def armed_timers(self, limit: int) -> list[RuleOutcome]:
        """The pending timers due first."""
        query = select(RuleOutcome).where(RuleOutcome.state == "armed").order_by(col(RuleOutcome.due_at))
        return list(self._session.exec(query.limit(limit)).all())

    def action_counts(self) -> dict[str, int]:
        """Ledger actions per status."""
        query = select(LedgerAction.status, func.count()).group_by(col(LedgerAction.status))
        return dict(self._session.exec(query).all())

    def actions(self, status: str, limit: int) -> list[LedgerAction]:
        """The actions with this status, most recently updated first."""
        query = (
            select(LedgerAction)
            .where(LedgerAction.status == status)
            .order_by(col(LedgerAction.updated_at).desc())
            .limit(limit)
        )
        return list(self._session.exec(query).all())

    def rejections(self, limit: int) -> list[Rejection]:
        query = select(Rejection).order_by(col(Rejection.last_at).desc()).limit(limit)
        return list(self._session.exec(query).all())

    def notices(self, limit: int) -> list[NoticeRow]:
        query = select(NoticeRow).order_by(col(NoticeRow.last_at).desc()).limit(limit)
        return list(self._session.exec(query).all())

    def oldest_owed(self, now: datetime) -> datetime | None:
        """When the longest-waiting action that is due now (pending or retrying) became due."""
        query = select(func.min(LedgerAction.next_attempt_at)).where(
            col(LedgerAction.status).in_(("pending", "retrying")),
            col(LedgerAction.next_attempt_at) <= now,
        )
        return self._session.exec(query).one()

    def timers_due(self, now: datetime) -> int:
        """Armed timers whose due time has passed (decided by the next cycle)."""
        query = (
            select(func.count())
            .select_from(RuleOutcome)
            .where(RuleOutcome.state == "armed", col(RuleOutcome.due_at) <= now)
        )
        return int(self._session.exec(query).one())

    def dead_by_rule(self) -> dict[str, int]:
        """Dead actions per rule."""
        query = (
            select(LedgerAction.rule_id, func.count())
            .where(LedgerAction.status == "dead")
            .group_by(col(LedgerAction.rule_id))
        )
        return dict(self._session.exec(query).all())
