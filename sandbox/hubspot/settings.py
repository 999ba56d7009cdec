"""Emulator settings: the accepted token and the portal's API limits."""

from __future__ import annotations

from dataclasses import dataclass

#: What the portal's private app grants (``access-token-info`` answers these): everything crm-sync uses.
DEFAULT_SCOPES: tuple[str, ...] = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.feedback_submissions.read",
    "crm.objects.owners.read",
    "sales-email-read",
    "tickets",
    "transactional-email",
)


@dataclass
class HubSpotSettings:
    """What the emulated portal accepts and allows."""

    access_token: str = "pat-sandbox-crm-sync"
    # An OAuth app's access token for the same portal: its answers carry no X-HubSpot-RateLimit-Daily*
    # headers, as HubSpot's are for OAuth-authorised calls.
    oauth_access_token: str = "oauth-sandbox-crm-sync"
    rate_limit_per_10s: int = 190  # the 10-second window; 429 with policyName TEN_SECONDLY_ROLLING past it
    search_rate_per_second: int = 5  # the search API's own limit
    daily_limit: int = 250_000
    scopes: tuple[str, ...] = DEFAULT_SCOPES  # the token's scopes; calls are not refused by scope here
