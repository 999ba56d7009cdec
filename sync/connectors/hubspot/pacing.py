"""Pacing: HubSpot's ``X-HubSpot-RateLimit-*`` headers, the search API's own rate and the daily budget."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sync.connectors.base import BudgetExhausted

Sleep = Callable[[float], None]
Monotonic = Callable[[], float]

#: Pause for a whole burst interval once this few calls are left in it.
BURST_RESERVE = 2


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Pacer:
    """Decides how long to wait before each call, from what the last responses said.

    Search calls are spaced at ``search_per_second``; other calls pause for the burst interval when the
    ``Remaining`` header is nearly spent. Once ``max_daily_usage`` of the daily limit is used every call
    raises :class:`BudgetExhausted` until :meth:`reset_budget` (called at the start of each poll and
    delivery, so a long-running worker picks up the daily reset at the cost of one call).
    """

    def __init__(
        self, search_per_second: float, max_daily_usage: float, sleep: Sleep, clock: Monotonic
    ) -> None:
        self.search_interval = 1.0 / search_per_second
        self.max_daily_usage = max_daily_usage
        self.sleep = sleep
        self.clock = clock
        self.burst_interval = 10.0
        self._next_search = 0.0
        self._resume_at = 0.0
        self._exhausted: str | None = None
        self.budget_left: int | None = None  # daily calls left before max_daily_usage, once a response said

    def reset_budget(self) -> None:
        self._exhausted = None

    def exhaust(self, reason: str) -> BudgetExhausted:
        """Record that the daily budget is spent; returns the exception to raise."""
        self._exhausted = reason
        return BudgetExhausted(reason)

    def before(self, search: bool) -> None:
        """Wait as the limits require before a call, or raise BudgetExhausted."""
        if self._exhausted:
            raise BudgetExhausted(self._exhausted)
        now = self.clock()
        if search:
            start = max(now, self._next_search)
            self._next_search = start + self.search_interval
            wait = start - now
        else:
            wait = self._resume_at - now
        if wait > 0:
            self.sleep(wait)

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Read the rate-limit headers of a (non-search) response."""
        if not headers:
            return
        interval_ms = _int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds")
        if interval_ms:
            self.burst_interval = interval_ms / 1000
        remaining = _int(headers, "X-HubSpot-RateLimit-Remaining")
        if remaining is not None and remaining <= BURST_RESERVE:
            self._resume_at = self.clock() + self.burst_interval
        daily = _int(headers, "X-HubSpot-RateLimit-Daily")
        daily_left = _int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if daily and daily_left is not None:
            self.budget_left = max(0, daily_left - int(daily * (1 - self.max_daily_usage)))
        if daily and daily_left is not None and daily - daily_left >= self.max_daily_usage * daily:
            self._exhausted = (
                f"{daily - daily_left} of the {daily} daily HubSpot API calls are used "
                f"(hubspot.max_daily_usage is {self.max_daily_usage:.0%})"
            )
