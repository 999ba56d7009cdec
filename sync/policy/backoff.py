"""How long a failed action waits before its next attempt."""

from __future__ import annotations

from datetime import timedelta


def backoff(attempts: int, base: timedelta, cap: timedelta, key: str) -> timedelta:
    """Exponential backoff with a deterministic spread (up to +25%) so retries do not arrive in lockstep."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    spread = (sum(key.encode()) % 1000) / 4000
    return min(cap, delay * (1 + spread))
