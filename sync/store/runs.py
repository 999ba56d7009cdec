"""Runs: one row per cycle, with its mode, outcome and summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import select

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

    def interrupt_unfinished(self) -> int:
        """Runs still marked running belong to a worker that died (the caller holds the worker lock,
        so no other worker is running): mark them interrupted. Returns how many."""
        rows = self._session.exec(select(RunRow).where(RunRow.status == "running")).all()
        for row in rows:
            row.status = "interrupted"
            row.error = "the worker stopped before this cycle finished (killed, or the machine stopped)"
            self._session.add(row)
        return len(rows)
