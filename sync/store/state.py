"""The state store's operations, used inside one transaction at a time.

``Store.transaction()`` yields a :class:`State`; everything done through it commits together or not at
all. That is how a page of records, the outcomes and ledger actions it produced, and the cursor that
fetched it are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from rules.evaluate import Evaluation, History, Outcome
from rules.planner import Notice, PlannedAction
from sync.store.database import migrate
from sync.store.tables import (
    LedgerAction,
    NoticeRow,
    Rejection,
    Rotation,
    RuleOutcome,
    RunRow,
    StreamCursor,
    TrackedRecord,
)

OWED = ("pending", "retrying")


class Store:
    """The database, handing out transactions. In dry-run mode nothing is ever committed."""

    def __init__(self, engine: Engine, dry_run: bool = False) -> None:
        self.engine = engine
        self.dry_run = dry_run
        self._dry_connection: Connection | None = None
        if dry_run:
            self._dry_connection = engine.connect()
            self._dry_connection.begin()

    @contextmanager
    def transaction(self) -> Iterator[State]:
        if self._dry_connection is not None:
            session = Session(
                bind=self._dry_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
        else:
            session = Session(self.engine, expire_on_commit=False)
        try:
            with session.begin():
                yield State(session)
        finally:
            session.close()

    def migrate(self) -> None:
        """Bring the schema up to date (inside the never-committed transaction in dry-run mode)."""
        migrate(self._dry_connection if self._dry_connection is not None else self.engine)

    def close(self) -> None:
        if self._dry_connection is not None:
            self._dry_connection.rollback()
            self._dry_connection.close()
            self._dry_connection = None
        self.engine.dispose()


class State:
    """Operations on the store inside one open transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- cursors ---------------------------------------------------------------------------------

    def cursor(self, stream: str) -> Any:
        row = self.session.get(StreamCursor, stream)
        return None if row is None else row.cursor

    def set_cursor(self, stream: str, cursor: Any, now: datetime) -> None:
        row = self.session.get(StreamCursor, stream) or StreamCursor(stream=stream)
        row.cursor = cursor
        row.updated_at = now
        self.session.add(row)

    # -- records and their history ---------------------------------------------------------------

    def record(self, key: str) -> TrackedRecord | None:
        return self.session.get(TrackedRecord, key)

    def records(self, keys: Sequence[str]) -> dict[str, TrackedRecord]:
        if not keys:
            return {}
        rows = self.session.exec(select(TrackedRecord).where(col(TrackedRecord.key).in_(keys))).all()
        return {row.key: row for row in rows}

    def outcomes(self, keys: Sequence[str]) -> dict[str, dict[tuple[str, str], RuleOutcome]]:
        found: dict[str, dict[tuple[str, str], RuleOutcome]] = {key: {} for key in keys}
        if keys:
            rows = self.session.exec(select(RuleOutcome).where(col(RuleOutcome.record_key).in_(keys))).all()
            for row in rows:
                found[row.record_key][(row.rule_id, row.occurrence)] = row
        return found

    @staticmethod
    def history(
        row: TrackedRecord | None, outcomes: dict[tuple[str, str], RuleOutcome], previous: Any = None
    ) -> History:
        return History(
            first_seen=row.first_seen if row is not None else None,
            previous=previous if previous is not None else (row.snapshot if row is not None else None),
            outcomes={
                key: Outcome(o.state, o.armed_at, o.due_at, o.reason)  # type: ignore[arg-type]
                for key, o in outcomes.items()
            },
        )

    def save_snapshot(
        self, stream: str, key: str, record_id: str, snapshot: Any, now: datetime, row: TrackedRecord | None
    ) -> TrackedRecord:
        """Store the newest snapshot of a record (keeping the one before as ``previous``)."""
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
        self.session.add(row)
        return row

    def apply(
        self,
        row: TrackedRecord,
        outcomes: dict[tuple[str, str], RuleOutcome],
        evaluation: Evaluation,
        now: datetime,
        recorded_at: datetime,
    ) -> list[PlannedAction]:
        """Record an evaluation's decisions and notices (at the rules' time ``now``) and its actions (owed
        from the wall-clock time ``recorded_at``); returns the actions newly owed."""
        for decision in evaluation.decisions:
            key = (decision.rule_id, decision.occurrence)
            existing = outcomes.get(key)
            outcome = decision.outcome
            if existing is None:
                existing = RuleOutcome(
                    record_key=row.key,
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
            self.session.add(existing)
        self.add_notices(row.key, evaluation.notices, now)
        row.next_due = evaluation.next_due
        self.session.add(row)
        return self.add_actions(evaluation.actions, recorded_at)

    def live_records(self, stream: str) -> list[tuple[Any, datetime]]:
        """``(snapshot, first seen)`` of every live, unrejected record of a stream (for reports)."""
        rejected = select(Rejection.record_key).where(Rejection.stream == stream)
        query = select(TrackedRecord.snapshot, TrackedRecord.first_seen).where(
            TrackedRecord.stream == stream,
            col(TrackedRecord.deleted_at).is_(None),
            col(TrackedRecord.key).not_in(rejected),
        )
        return [(snapshot, first_seen) for snapshot, first_seen in self.session.exec(query).all()]

    def due_records(
        self, now: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[TrackedRecord]:
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
        return list(self.session.exec(query).all())

    def mark_deleted(self, keys: Iterable[str], now: datetime) -> int:
        """A record deleted in the CRM: its pending timers and undelivered actions are cancelled."""
        keys = list(keys)
        if not keys:
            return 0
        rows = self.records(keys)
        for row in rows.values():
            row.deleted_at = now
            row.next_due = None
            self.session.add(row)
        self.session.execute(
            sa.update(RuleOutcome)
            .where(col(RuleOutcome.record_key).in_(keys), col(RuleOutcome.state) == "armed")
            .values(state="cancelled", decided_at=now, reason="record deleted in the CRM")
        )
        self.session.execute(
            sa.update(LedgerAction)
            .where(col(LedgerAction.record_key).in_(keys), col(LedgerAction.status).in_(OWED))
            .values(
                status="cancelled",
                updated_at=now,
                last_error="record deleted in the CRM",
                next_attempt_at=None,
            )
        )
        return len(rows)

    # -- rejections and notices ------------------------------------------------------------------

    def reject(self, stream: str, key: str, record_id: str, reason: str, now: datetime) -> None:
        row = self.session.get(Rejection, key)
        if row is None:
            row = Rejection(
                record_key=key, stream=stream, record_id=record_id, reason=reason[:1000], first_at=now
            )
        row.reason = reason[:1000]
        row.last_at = now
        self.session.add(row)

    def clear_rejection(self, key: str) -> None:
        row = self.session.get(Rejection, key)
        if row is not None:
            self.session.delete(row)

    def add_notices(self, record_key: str, notices: Iterable[Notice], now: datetime) -> None:
        """Record notices, counting repeats of the same (record, rule, message) instead of adding rows."""
        notices = list(notices)
        if not notices:
            return
        existing = {
            (row.rule_id, row.message): row
            for row in self.session.exec(select(NoticeRow).where(NoticeRow.record_key == record_key)).all()
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
            self.session.add(row)

    # -- the action ledger -----------------------------------------------------------------------

    def add_actions(self, actions: Sequence[PlannedAction], now: datetime) -> list[PlannedAction]:
        """Insert actions not already in the ledger (by key); returns the ones inserted."""
        if not actions:
            return []
        keys = [a.key for a in actions]
        existing = set(
            self.session.exec(select(LedgerAction.key).where(col(LedgerAction.key).in_(keys))).all()
        )
        added = []
        for action in actions:
            if action.key in existing:
                continue
            existing.add(action.key)
            self.session.add(
                LedgerAction(
                    key=action.key,
                    external_id=action.external_id,
                    record_key=action.record_key,
                    rule_id=action.rule_id,
                    kind=action.kind,
                    target=action.target,
                    payload=action.payload.dump(),
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    planned_at=now,
                    updated_at=now,
                )
            )
            added.append(action)
        self.session.flush()
        return added

    def owed(self, target: str, now: datetime, limit: int) -> list[LedgerAction]:
        """Actions for one CRM that are due for a (re)try, oldest first."""
        query = (
            select(LedgerAction)
            .where(
                LedgerAction.target == target,
                col(LedgerAction.status).in_(OWED),
                col(LedgerAction.next_attempt_at) <= now,
            )
            .order_by(col(LedgerAction.planned_at), col(LedgerAction.key))
            .limit(limit)
        )
        return list(self.session.exec(query).all())

    def actions(self, keys: Sequence[str]) -> dict[str, LedgerAction]:
        """Ledger rows by key, in one query."""
        if not keys:
            return {}
        rows = self.session.exec(select(LedgerAction).where(col(LedgerAction.key).in_(keys))).all()
        return {row.key: row for row in rows}

    def requeue(self, now: datetime, include_dead: bool) -> int:
        """Make retrying (and, if asked, dead) actions due now; dead ones start their attempts afresh."""
        count = 0
        rows = self.session.exec(
            select(LedgerAction).where(
                col(LedgerAction.status).in_(("retrying", "dead") if include_dead else ("retrying",))
            )
        ).all()
        for row in rows:
            if row.status == "dead":
                row.attempts = 0
                row.status = "retrying"
            row.next_attempt_at = now
            row.updated_at = now
            self.session.add(row)
            count += 1
        return count

    # -- round robin -----------------------------------------------------------------------------

    def next_in_turn(self, team: str, members: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        """The member after the one whose turn was taken last (members in their stable order)."""
        if not members:
            return None
        row = self.session.get(Rotation, team)
        if row is None:
            return members[0]
        ids = [str(m.get("id")) for m in members]
        if row.last_member_id in ids:
            return members[(ids.index(row.last_member_id) + 1) % len(members)]
        return members[0]

    def take_turn(self, team: str, member_id: str, now: datetime) -> None:
        row = self.session.get(Rotation, team) or Rotation(team=team, last_member_id=member_id)
        row.last_member_id = member_id
        row.turns += 1
        row.updated_at = now
        self.session.add(row)

    # -- runs ------------------------------------------------------------------------------------

    def start_run(self, started_at: datetime, mode: str, rules_now: datetime) -> int:
        row = RunRow(started_at=started_at, status="running", mode=mode, rules_now=rules_now)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def finish_run(
        self, run_id: int, finished_at: datetime, status: str, summary: Any, error: str | None
    ) -> None:
        row = self.session.get(RunRow, run_id)
        if row is None:
            return
        row.finished_at = finished_at
        row.status = status
        row.summary = summary
        row.error = error
        self.session.add(row)


def backoff(attempts: int, base: timedelta, cap: timedelta, key: str) -> timedelta:
    """Exponential backoff with a deterministic spread (up to +25%) so retries do not arrive in lockstep."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    spread = (sum(key.encode()) % 1000) / 4000
    return min(cap, delay * (1 + spread))
