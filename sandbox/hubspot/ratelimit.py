"""HubSpot's API limits by the injected clock: the 10-second burst window, search's own per-second
limit and the daily limit (reset at midnight UTC), with the ``X-HubSpot-RateLimit-*`` headers."""

from __future__ import annotations

import uuid
from collections import deque
from typing import Any

from sandbox.core import Clock

from .settings import HubSpotSettings

BURST_WINDOW_S = 10.0
SEARCH_WINDOW_S = 1.0


def limit_body(policy: str, message: str, group: str) -> dict[str, Any]:
    """HubSpot's 429 body (not the usual error shape: it has ``errorType`` and ``policyName``)."""
    return {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "groupName": group,
        "requestId": str(uuid.uuid4()),
    }


class RateLimiter:
    """Counts admitted requests; search calls use their own window and get no rate-limit headers."""

    def __init__(self, settings: HubSpotSettings, clock: Clock, portal_id: int) -> None:
        self.limits = settings
        self.clock = clock
        self.portal_id = portal_id
        self._burst: deque[float] = deque()
        self._search: deque[float] = deque()
        self._day = ""
        self._daily = 0

    def reset(self) -> None:
        self._burst.clear()
        self._search.clear()
        self._day, self._daily = "", 0

    def admit(self, search: bool) -> tuple[dict[str, str], dict[str, Any] | None]:
        """(headers, None) when the request may proceed, or (headers, 429 body) when a limit is reached."""
        moment = self.clock()
        now = moment.timestamp()
        day = moment.date().isoformat()
        if day != self._day:
            self._day, self._daily = day, 0
        _prune(self._burst, now - BURST_WINDOW_S)
        _prune(self._search, now - SEARCH_WINDOW_S)
        refusal = self._refusal(search)
        if refusal is None:
            self._daily += 1
            (self._search if search else self._burst).append(now)
        return ({} if search else self._headers(now)), refusal

    def _refusal(self, search: bool) -> dict[str, Any] | None:
        if self._daily >= self.limits.daily_limit:
            return limit_body(
                "DAILY", "You have reached your daily limit.", f"api-calls-daily:{self.portal_id}"
            )
        if search and len(self._search) >= self.limits.search_rate_per_second:
            return limit_body("SECONDLY", "You have reached your secondly limit.", f"search:{self.portal_id}")
        if not search and len(self._burst) >= self.limits.rate_limit_per_10s:
            return limit_body(
                "TEN_SECONDLY_ROLLING",
                "You have reached your ten_secondly_rolling limit.",
                f"api-calls-burst:{self.portal_id}",
            )
        return None

    def _headers(self, now: float) -> dict[str, str]:
        secondly = max(1, self.limits.rate_limit_per_10s // 10)
        last_second = sum(1 for t in self._burst if t > now - 1.0)
        return {
            "X-HubSpot-RateLimit-Daily": str(self.limits.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.limits.daily_limit - self._daily)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(BURST_WINDOW_S * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.limits.rate_limit_per_10s),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.limits.rate_limit_per_10s - len(self._burst))),
            "X-HubSpot-RateLimit-Secondly": str(secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, secondly - last_second)),
        }

    def snapshot(self) -> dict[str, Any]:
        return {
            "day": self._day,
            "daily": self._daily,
            "burst": list(self._burst),
            "search": list(self._search),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._day, self._daily = state["day"], state["daily"]
        self._burst = deque(state["burst"])
        self._search = deque(state["search"])


def _prune(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()
