"""Tunable behaviour of the Salesforce emulator."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Setup > Deliverability > Access level: "all_email", "system_email_only" or "no_access".
DELIVERABILITY_LEVELS = ("all_email", "system_email_only", "no_access")
SUPPORTED_API_VERSIONS: tuple[str, ...] = ("60.0", "61.0", "62.0", "63.0", "64.0", "65.0", "66.0")


@dataclass
class SalesforceSettings:
    """OAuth client, token lifetime, daily allocations and API versions of the emulated org."""

    client_id: str = "crm-sync-sandbox"
    client_secret: str = "sandbox-secret"
    token_ttl_seconds: int = 7200
    daily_api_budget: int = 100_000
    jwt_public_key_pem: str | None = None
    api_versions: tuple[str, ...] = SUPPORTED_API_VERSIONS
    single_email_daily_limit: int = 5_000
    workflow_email_daily_limit: int = 1_000
    integration_username: str = "integration@crm-sync.sandbox"
    # Org setup an admin does by hand (what ``crm-sync doctor`` checks); see ``org_setup.py``.
    email_deliverability: str = "all_email"
    org_wide_email_addresses: tuple[tuple[str, bool], ...] = (
        ("crm-sync@example.com", True),
    )  # (address, verified)
    feed_tracking_off: frozenset[str] = field(default_factory=frozenset)  # objects without feed tracking
    # "production" or "sandbox": the JWT bearer audience the org takes (login. or test.salesforce.com).
    org_type: str = "production"
    experience_sites: tuple[str, ...] = ()  # Experience Cloud site URLs, also valid JWT audiences
    # Enhanced Email (on in most orgs): a logged send is an EmailMessage plus its Task.
    enhanced_email: bool = True
