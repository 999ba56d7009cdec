"""``/healthz``: is this daemon doing its job? Active and a cycle succeeded recently (200), a standby
waiting for the lock (200, ``standby``), or stale (503, with the reason)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

Clock = Callable[[], datetime]


class Health:
    """The daemon's role and its last successful cycle; thread-safe (read by the HTTP thread)."""

    def __init__(self, clock: Clock, interval: timedelta, stale_after: int) -> None:
        self.clock = clock
        self.limit = interval * stale_after
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self.role = "starting"
        self.since = clock()
        self.last_success: datetime | None = None
        self.problem: str | None = None

    def standby(self, holder: str | None = None) -> None:
        with self._lock:
            self.role, self.problem = "standby", holder

    def active(self) -> None:
        with self._lock:
            self.role, self.since, self.problem = "active", self.clock(), None

    def succeeded(self, at: datetime) -> None:
        with self._lock:
            self.last_success, self.problem = at, None

    def failed(self, problem: str) -> None:
        with self._lock:
            self.problem = problem

    def lost(self, problem: str) -> None:
        """The lock is gone (its database connection dropped): unhealthy until the process ends."""
        with self._lock:
            self.role, self.problem = "lost", problem

    def check(self) -> tuple[int, str]:
        """The HTTP status and a one-line reason."""
        with self._lock:
            now = self.clock()
            if self.role == "standby":
                return 200, "standby: waiting to take over" + (
                    f" from {self.problem}" if self.problem else ""
                )
            if self.role == "lost":
                return 503, f"not active: {self.problem}"
            if self.role == "starting":
                return 503, "starting: the lock is not taken yet"
            window = f"{self.stale_after} intervals ({int(self.limit.total_seconds())}s)"
            if self.last_success is None:
                if now - self.since <= self.limit:
                    return 200, "ok: active, first cycle under way"
                return 503, f"stale: no cycle succeeded in {window} since becoming active" + _why(
                    self.problem
                )
            age = now - self.last_success
            if age > self.limit:
                return 503, (
                    f"stale: the last successful cycle was {int(age.total_seconds())}s ago, at "
                    f"{self.last_success.isoformat(timespec='seconds')} (limit {window})" + _why(self.problem)
                )
            return 200, (
                f"ok: active, last successful cycle {int(age.total_seconds())}s ago, at "
                f"{self.last_success.isoformat(timespec='seconds')}"
            )


def _why(problem: str | None) -> str:
    return f"; last error: {problem}" if problem else ""
