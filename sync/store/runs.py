"""Runs: one row per cycle, with its mode, outcome and summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.store.repository import Repository
from sync.store.tables import RunRow


class Runs(Repository):
    """The runs table."""

    def start(self, started_at: datetime, mode: str, rules_now: datetime) -> int:
        """A run in progress; returns its id."""
        row = RunRow(started_at=started_at, status="running", mode=mode, rules_now=rules_now)
        self._session.add(row)
        self._session.flush()
        assert row.id is not None
        return row.id

    def finish(
        self, run_id: int, finished_at: datetime, status: str, summary: Any, error: str | None
    ) -> None:
        row = self._session.get(RunRow, run_id)
        if row is None:
            return
        row.finished_at = finished_at
        row.status = status
        row.summary = summary
        row.error = error
        self._session.add(row)
