"""Notices (what an admin should know about a record) and rejections (records the rules cannot use)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import select

from rules.planner import Notice
from sync.store.repository import Repository
from sync.store.tables import NoticeRow, Rejection


class Notices(Repository):
    """The notices table."""

    def add(self, record_key: str, notices: Iterable[Notice], now: datetime) -> None:
        """Record notices, counting repeats of the same (record, rule, message) instead of adding rows."""
        notices = list(notices)
        if not notices:
            return
        existing = {
            (row.rule_id, row.message): row
            for row in self._session.exec(select(NoticeRow).where(NoticeRow.record_key == record_key)).all()
        }
        for notice in notices:
            message = notice.message[:1000]
            row = existing.get((notice.rule_id, message))
            if row is None:
                row = NoticeRow(
                    record_key=record_key,
                    rule_id=notice.rule_id,
                    kind=notice.kind,
                    message=message,
                    first_at=now,
                    last_at=now,
                    count=0,
                )
                existing[(notice.rule_id, message)] = row
            row.count += 1
            row.last_at = now
            self._session.add(row)


class Rejections(Repository):
    """The rejections table: one row per rejected record, with the latest reason."""

    def reject(self, stream: str, key: str, record_id: str, reason: str, now: datetime) -> None:
        row = self._session.get(Rejection, key)
        if row is None:
            row = Rejection(
                record_key=key, stream=stream, record_id=record_id, reason=reason[:1000], first_at=now
            )
        row.reason = reason[:1000]
        row.last_at = now
        self._session.add(row)

    def for_records(self, keys: Sequence[str]) -> dict[str, Rejection]:
        """The rejections of these records, in one query."""
        return self._by_key(Rejection, Rejection.record_key, keys)

    def clear(self, row: Rejection) -> None:
        self._session.delete(row)
