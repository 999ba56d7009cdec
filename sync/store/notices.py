"""Notices (what an admin should know about a record) and rejections (records the rules cannot use)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from rules.planner import Notice
from sync.store.repository import Repository
from sync.store.tables import NoticeRow, Rejection

Known = dict[tuple[str, str], NoticeRow]
"""One record's notice rows by (rule id, message)."""


class Notices(Repository):
    """The notices table. A page's notices are loaded once (:meth:`load`), so recording them never
    queries (and so never flushes the page's pending writes) record by record."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._known: dict[str, Known] = {}
        self._new: list[NoticeRow] = []  # inserted together by :meth:`write_new`

    def load(self, record_keys: Sequence[str]) -> None:
        """Read the notices of these records in one query, for :meth:`add` to count repeats against."""
        keys = [k for k in record_keys if k not in self._known]
        for key in keys:
            self._known[key] = {}
        if keys:
            for row in self._session.exec(select(NoticeRow).where(col(NoticeRow.record_key).in_(keys))):
                self._known[row.record_key][(row.rule_id, row.message)] = row

    def add(self, record_key: str, notices: Iterable[Notice], now: datetime) -> None:
        """Record notices, counting repeats of the same (record, rule, message) instead of adding rows."""
        notices = list(notices)
        if not notices:
            return
        if record_key not in self._known:
            with self._session.no_autoflush:
                self.load([record_key])
        existing = self._known[record_key]
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
                self._new.append(row)
            row.count += 1
            row.last_at = now
            if row.id is not None:
                self._session.add(row)

    def write_new(self) -> None:
        """Insert this transaction's new notice rows in one statement (called before it commits): the
        ORM would insert them one by one to learn each id, which nothing here needs."""
        if self._new:
            columns = ("record_key", "rule_id", "kind", "message", "first_at", "last_at", "count")
            self._session.execute(
                sa.insert(NoticeRow), [{c: getattr(r, c) for c in columns} for r in self._new]
            )
            self._new.clear()


class Rejections(Repository):
    """The rejections table: one row per rejected record, with the latest reason. Rows read by
    :meth:`for_records` are remembered, so rejecting one of those records never queries again."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._read: dict[str, Rejection | None] = {}

    def reject(self, stream: str, key: str, record_id: str, reason: str, now: datetime) -> None:
        if key in self._read:
            row = self._read[key]
        else:
            with self._session.no_autoflush:
                row = self._session.get(Rejection, key)
        if row is None:
            row = Rejection(
                record_key=key, stream=stream, record_id=record_id, reason=reason[:1000], first_at=now
            )
            self._read[key] = row
        row.reason = reason[:1000]
        row.last_at = now
        self._session.add(row)

    def for_records(self, keys: Sequence[str]) -> dict[str, Rejection]:
        """The rejections of these records, in one query."""
        found = self._by_key(Rejection, Rejection.record_key, keys)
        self._read.update({key: found.get(key) for key in keys})
        return found

    def clear(self, row: Rejection) -> None:
        self._read[row.record_key] = None
        self._session.delete(row)
