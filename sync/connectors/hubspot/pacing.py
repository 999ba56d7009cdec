"""Pacing: HubSpot's ``X-HubSpot-RateLimit-*`` headers, the search API's own rate and the daily budget.

Calls made with an OAuth app's token carry no ``Daily`` headers (HubSpot's usage guidelines and
changelog): the daily budget is then *unknown*, neither spent nor unlimited. ``max_daily_usage`` cannot
stop calls early then; a ``DAILY`` 429 still stops them (until the next poll or delivery tries again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sync.connectors.base import BudgetExhausted

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class DailyBudget:
    """The portal's daily API allowance as the last answer stated it."""

    limit: int
    remaining: int

    @property
    def used(self) -> int:
        return max(0, self.limit - self.remaining)


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
        #: The daily allowance from the latest non-search answer; None: unknown (OAuth, or no answer yet).
        self.daily: DailyBudget | None = None
        self.daily_seen = False  # a non-search answer was read: ``daily`` None then means "not stated"
        self._told_unknown = False

    @property
    def budget_left(self) -> int | None:
        """Daily calls left before ``max_daily_usage`` (None while unknown: OAuth, or no answer yet)."""
        if self.daily is None:
            return None
        return max(0, self.daily.remaining - int(self.daily.limit * (1 - self.max_daily_usage)))

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
        self.daily_seen = True
        daily = _int(headers, "X-HubSpot-RateLimit-Daily")
        daily_left = _int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if not daily or daily_left is None:  # not stated (OAuth): unknown, never read as 0 or as plenty
            self.daily = None
            if not self._told_unknown:
                self._told_unknown = True
                log.info(
                    "HubSpot states no daily API limit for this token (OAuth apps get no Daily headers): "
                    "hubspot.max_daily_usage cannot apply; a DAILY 429 still stops calls"
                )
            return
        self.daily = DailyBudget(daily, daily_left)
        if self.daily.used >= self.max_daily_usage * daily:
            self._exhausted = (
                f"{self.daily.used} of the {daily} daily HubSpot API calls are used "
                f"(hubspot.max_daily_usage is {self.max_daily_usage:.0%})"
            )
