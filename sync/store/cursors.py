"""Stream cursors: where each stream's next poll starts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.store.repository import Repository
from sync.store.tables import StreamCursor


class Cursors(Repository):
    """The stored cursor of every polled stream."""

    def get(self, stream: str) -> Any:
        row = self._session.get(StreamCursor, stream)
        return None if row is None else row.cursor

    def known(self, stream: str) -> bool:
        """Whether the stream was ever polled to its end (even when it had nothing yet)."""
        return self._session.get(StreamCursor, stream) is not None

    def set(self, stream: str, cursor: Any, now: datetime) -> None:
        row = self._session.get(StreamCursor, stream) or StreamCursor(stream=stream)
        row.cursor = cursor
        row.updated_at = now
        self._session.add(row)
