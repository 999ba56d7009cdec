"""Helpers shared by tests (imported explicitly; fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
