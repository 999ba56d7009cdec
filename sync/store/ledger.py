"""The action ledger: every write owed to a CRM, by idempotency key, until it is delivered or dead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from rules.planner import PlannedAction
from sync.store.repository import Repository
from sync.store.tables import LedgerAction

OWED = ("pending", "retrying")
INSERT_CHUNK = 1000


def _row(action: PlannedAction, now: datetime) -> dict[str, Any]:
    """A planned action as a new ledger row."""
    return {
        "key": action.key,
        "external_id": action.external_id,
        "record_key": action.record_key,
        "rule_id": action.rule_id,
        "kind": action.kind,
        "target": action.target,
        "payload": action.payload.dump(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "planned_at": now,
        "updated_at": now,
    }


class Ledger(Repository):
    """The actions table."""

    def add(self, actions: Sequence[PlannedAction], now: datetime) -> list[PlannedAction]:
        """Insert actions not already in the ledger (by key); returns the ones inserted.

        Rows go in with plain inserts, ``INSERT_CHUNK`` a statement: a backfill page plans thousands of
        actions with rendered bodies, and ORM objects for them (identity map, change tracking, their
        JSON copies at flush) would multiply the page's memory for nothing read back here."""
        if not actions:
            return []
        existing = set(
            self._session.exec(
                select(LedgerAction.key).where(col(LedgerAction.key).in_([a.key for a in actions]))
            ).all()
        )
        added: list[PlannedAction] = []
        rows: list[dict[str, Any]] = []
        for action in actions:
            if action.key in existing:
                continue
            existing.add(action.key)
            rows.append(_row(action, now))
            added.append(action)
            if len(rows) >= INSERT_CHUNK:
                self._session.execute(sa.insert(LedgerAction), rows)
                rows = []
        if rows:
            self._session.execute(sa.insert(LedgerAction), rows)
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
        return list(self._session.exec(query).all())

    def sent(self, target: str, limit: int) -> list[LedgerAction]:
        """Sent actions of one CRM awaiting their final status, those checked longest ago first (a sent
        action's ``next_attempt_at`` is when it was sent, then when its status was last read)."""
        query = (
            select(LedgerAction)
            .where(LedgerAction.target == target, LedgerAction.status == "sent")
            .order_by(col(LedgerAction.next_attempt_at), col(LedgerAction.key))
            .limit(limit)
        )
        return list(self._session.exec(query).all())

    def mark_attempted(self, rows: Sequence[LedgerAction], now: datetime) -> None:
        """The write-ahead mark: these actions are about to be sent (commit it before calling the CRM)."""
        for row in rows:
            row.attempted_at = now
            self._session.add(row)

    def by_key(self, keys: Sequence[str]) -> dict[str, LedgerAction]:
        """Ledger rows by key, in one query."""
        return self._by_key(LedgerAction, LedgerAction.key, keys)

    def save(self, row: LedgerAction) -> None:
        self._session.add(row)

    def find(self, status: str | None = None, kind: str | None = None) -> list[LedgerAction]:
        """Every action, or those with this status and/or kind."""
        query = select(LedgerAction)
        if status is not None:
            query = query.where(LedgerAction.status == status)
        if kind is not None:
            query = query.where(LedgerAction.kind == kind)
        return list(self._session.exec(query).all())

    def requeue(self, now: datetime, include_dead: bool) -> int:
        """Make retrying (and, if asked, dead) actions due now; dead ones start their attempts afresh."""
        count = 0
        rows = self._session.exec(
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
            self._session.add(row)
            count += 1
        return count

    def cancel_owed(self, record_keys: Sequence[str], now: datetime, reason: str) -> None:
        """Cancel the undelivered actions of these records, in one statement."""
        self._session.execute(
            sa.update(LedgerAction)
            .where(col(LedgerAction.record_key).in_(record_keys), col(LedgerAction.status).in_(OWED))
            .values(status="cancelled", updated_at=now, last_error=reason, next_attempt_at=None)
        )
