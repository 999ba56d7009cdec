"""Emulator settings: the accepted token and the portal's API limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class HubSpotSettings:
    """What the emulated portal accepts and allows."""

    access_token: str = "pat-sandbox-crm-sync"
    rate_limit_per_10s: int = 190  # the 10-second window; 429 with policyName TEN_SECONDLY_ROLLING past it
    search_rate_per_second: int = 5  # the search API's own limit
    daily_limit: int = 250_000
