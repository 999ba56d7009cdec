"""``MovableClock``: the clock tests and benchmarks move by hand (any emulator ``Clock``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


class MovableClock:
    """A clock that only moves when told to; call it for the time, set ``now`` to jump."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move forward by ``seconds`` and/or ``timedelta`` keywords (``hours=1``); returns the new time."""
        self.now += timedelta(seconds=seconds, **delta)
        return self.now
