"""Tracked records: the newest snapshot of every CRM record seen, and when a timer next needs it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from sync.reports.history import RecordHistory, history_from_rows
from sync.store.changes import CHANGED, change_row
from sync.store.repository import Repository
from sync.store.tables import RecordChange, Rejection, TrackedRecord

HISTORY_BATCH = 1000


class Records(Repository):
    """The records table."""

    def get(self, key: str) -> TrackedRecord | None:
        return self._session.get(TrackedRecord, key)

    def many(self, keys: Sequence[str]) -> dict[str, TrackedRecord]:
        """Records by key, in one query."""
        return self._by_key(TrackedRecord, TrackedRecord.key, keys)

    def save_snapshot(
        self, stream: str, key: str, record_id: str, snapshot: Any, now: datetime, row: TrackedRecord | None
    ) -> TrackedRecord:
        """Store the newest snapshot of a record (keeping the one before as ``previous``), and log the
        first sighting or what changed (one row, see :mod:`sync.store.changes`)."""
        change = change_row(key, now, row.snapshot if row else None, snapshot, first=row is None)
        if row is None:
            row = TrackedRecord(
                key=key, stream=stream, record_id=record_id, snapshot=snapshot, first_seen=now, last_seen=now
            )
        else:
            if row.snapshot != snapshot:
                row.previous = row.snapshot
                row.snapshot = snapshot
            row.last_seen = now
            row.deleted_at = None
        if change is not None:
            self._changes.append(change)
        self._session.add(row)
        return row

    @property
    def _changes(self) -> list[RecordChange]:
        return self._session.info.setdefault("record_changes", [])

    def write_changes(self) -> None:
        """Insert the change-log rows of this transaction in one statement (called before it commits)."""
        if self._changes:
            rows = [
                {"record_key": c.record_key, "seen_at": c.seen_at, "kind": c.kind, "changes": c.changes}
                for c in self._changes
            ]
            self._session.execute(sa.insert(RecordChange), rows)
            self._changes.clear()

    def save(self, row: TrackedRecord) -> None:
        self._session.add(row)

    def live(self, stream: str) -> list[tuple[Any, datetime]]:
        """``(snapshot, first seen)`` of every live, unrejected record of a stream (for reports)."""
        rejected = select(Rejection.record_key).where(Rejection.stream == stream)
        query = select(TrackedRecord.snapshot, TrackedRecord.first_seen).where(
            TrackedRecord.stream == stream,
            col(TrackedRecord.deleted_at).is_(None),
            col(TrackedRecord.key).not_in(rejected),
        )
        return [(snapshot, first_seen) for snapshot, first_seen in self._session.exec(query).all()]

    def due(self, now: datetime, after: tuple[datetime, str] | None, limit: int) -> list[TrackedRecord]:
        """Live records whose next timer is due, in (next_due, key) order after the ``after`` position."""
        query = select(TrackedRecord).where(
            col(TrackedRecord.next_due) <= now, col(TrackedRecord.deleted_at).is_(None)
        )
        if after is not None:
            due, key = after
            query = query.where(
                sa.or_(
                    col(TrackedRecord.next_due) > due,
                    sa.and_(col(TrackedRecord.next_due) == due, col(TrackedRecord.key) > key),
                )
            )
        query = query.order_by(col(TrackedRecord.next_due), col(TrackedRecord.key)).limit(limit)
        return list(self._session.exec(query).all())

    def mark_deleted(self, keys: Sequence[str], now: datetime) -> int:
        """Records deleted in the CRM: no timer of theirs is due any more. Returns how many were known."""
        rows = self.many(keys)
        for row in rows.values():
            row.deleted_at = now
            row.next_due = None
            self._session.add(row)
        return len(rows)

    def with_changes(
        self, stream: str, include_deleted: bool = False, first_seen_since: datetime | None = None
    ) -> list[RecordHistory]:
        """Every unrejected record of a stream (first seen since a time, when given) with the changes
        seen on it: what reports read."""
        return [
            history
            for batch in self.with_changes_batched(stream, include_deleted, first_seen_since)
            for history in batch
        ]

    def with_changes_batched(
        self,
        stream: str,
        include_deleted: bool = False,
        first_seen_since: datetime | None = None,
        size: int = HISTORY_BATCH,
    ) -> Iterator[list[RecordHistory]]:
        """:meth:`with_changes` a batch of ``size`` records at a time, in key order (two queries a
        batch), for a computation that keeps only what it extracts: its memory is one batch's."""
        rejected = select(Rejection.record_key).where(Rejection.stream == stream)
        after: str | None = None
        while True:
            query = sa.select(  # the columns reports read, never ``previous``
                col(TrackedRecord.key),
                col(TrackedRecord.record_id),
                col(TrackedRecord.snapshot),
                col(TrackedRecord.first_seen),
                col(TrackedRecord.last_seen),
                col(TrackedRecord.deleted_at),
            ).where(col(TrackedRecord.stream) == stream, col(TrackedRecord.key).not_in(rejected))
            if first_seen_since is not None:
                query = query.where(col(TrackedRecord.first_seen) >= first_seen_since)
            if not include_deleted:
                query = query.where(col(TrackedRecord.deleted_at).is_(None))
            if after is not None:
                query = query.where(col(TrackedRecord.key) > after)
            rows = list(self._session.execute(query.order_by(col(TrackedRecord.key)).limit(size)).all())
            if not rows:
                return
            after = rows[-1].key
            changes: dict[str, list[tuple[datetime, Any]]] = {row.key: [] for row in rows}
            changed = sa.select(
                col(RecordChange.record_key), col(RecordChange.seen_at), col(RecordChange.changes)
            ).where(col(RecordChange.kind) == CHANGED, col(RecordChange.record_key).in_(list(changes)))
            for key, seen_at, fields in self._session.execute(changed.order_by(col(RecordChange.id))).all():
                changes[key].append((seen_at, fields))
            yield [
                history_from_rows(
                    row.key,
                    row.record_id,
                    row.snapshot,
                    row.first_seen,
                    row.last_seen,
                    row.deleted_at,
                    changes[row.key],
                )
                for row in rows
            ]
            if len(rows) < size:
                return
