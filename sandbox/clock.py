"""Clocks the sandbox can be driven by, and the duration strings of ``POST /_sandbox/clock``.

* ``MovableClock``: stands still and only moves when told to (tests, ``bench/``).
* ``OffsetClock``: the wall clock shifted by an offset; it keeps ticking (the served sandbox's clock).

Both can be ``set`` to an instant and ``advance``d, which is what the control endpoint needs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from sandbox.core import Clock, system_clock

START = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


@runtime_checkable
class SettableClock(Protocol):
    """A clock that can be set and moved forward."""

    def __call__(self) -> datetime: ...

    def set(self, when: datetime) -> datetime: ...

    def advance(self, seconds: float = 0, **delta: float) -> datetime: ...


class MovableClock:
    """A clock that only moves when told to; call it for the time, set ``now`` to jump."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> datetime:
        """Jump to ``when``; returns it."""
        self.now = when
        return self.now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move forward by ``seconds`` and/or ``timedelta`` keywords (``hours=1``); returns the new time."""
        self.now += timedelta(seconds=seconds, **delta)
        return self.now


class OffsetClock:
    """The wall clock plus ``offset``: it keeps ticking; ``set`` and ``advance`` change the offset."""

    def __init__(self, wall: Clock = system_clock, offset: timedelta = timedelta(0)) -> None:
        self.wall = wall
        self.offset = offset

    def __call__(self) -> datetime:
        return self.wall() + self.offset

    def set(self, when: datetime) -> datetime:
        """Make it ``when`` now (the clock ticks on from there); returns it."""
        self.offset = when - self.wall()
        return when

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move forward by ``seconds`` and/or ``timedelta`` keywords; returns the new time."""
        self.offset += timedelta(seconds=seconds, **delta)
        return self()

    def reset(self) -> None:
        """Back to the wall clock."""
        self.offset = timedelta(0)


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"2d"`` or a sum like ``"1d12h"``; ``ValueError`` otherwise."""
    spec = text.strip().lower() if isinstance(text, str) else ""
    if not spec or _DURATION.sub("", spec):
        raise ValueError(f"expected a duration like 90s, 15m, 2h, 2d or 1d12h; got {text!r}")
    total = timedelta(0)
    for amount, unit in _DURATION.findall(spec):
        total += timedelta(**{UNITS[unit]: float(amount)})
    return total


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (``Z`` or an offset; none means UTC); ``ValueError`` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"expected an ISO-8601 instant like 2026-12-01T09:00:00Z; got {text!r}")
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"expected an ISO-8601 instant like 2026-12-01T09:00:00Z; got {text!r}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
