"""Where the contract suite runs: the served sandbox, or a real org and portal named by ``CRM_SYNC_LIVE_*``.

Salesforce is live when all of ``CRM_SYNC_LIVE_SALESFORCE_LOGIN_URL`` (the org's My Domain URL),
``..._CLIENT_ID`` and ``..._CLIENT_SECRET`` are set; HubSpot when ``CRM_SYNC_LIVE_HUBSPOT_ACCESS_TOKEN`` is
(``CRM_SYNC_LIVE_HUBSPOT_BASE_URL`` defaults to ``https://api.hubapi.com``). With any of them set the run is
live: the other CRM's tests are skipped, and so are the tests that need the sandbox's back door.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import requests.certs

PREFIX = "CRM_SYNC_LIVE_"
SALESFORCE_VARS = (
    "CRM_SYNC_LIVE_SALESFORCE_LOGIN_URL",
    "CRM_SYNC_LIVE_SALESFORCE_CLIENT_ID",
    "CRM_SYNC_LIVE_SALESFORCE_CLIENT_SECRET",
)
HUBSPOT_TOKEN = "CRM_SYNC_LIVE_HUBSPOT_ACCESS_TOKEN"
HUBSPOT_BASE_URL = "CRM_SYNC_LIVE_HUBSPOT_BASE_URL"
HUBSPOT_DEFAULT_URL = "https://api.hubapi.com"
KNOWN = frozenset({*SALESFORCE_VARS, HUBSPOT_TOKEN, HUBSPOT_BASE_URL})


class LiveConfigError(ValueError):
    """The ``CRM_SYNC_LIVE_*`` variables are set but incomplete or malformed."""


@dataclass(frozen=True)
class SalesforceOrg:
    login_url: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class HubSpotPortal:
    access_token: str
    base_url: str = HUBSPOT_DEFAULT_URL


@dataclass(frozen=True)
class LiveTarget:
    """The real systems to check, if any (both ``None``: the served sandbox)."""

    salesforce: SalesforceOrg | None = None
    hubspot: HubSpotPortal | None = None

    @property
    def active(self) -> bool:
        return self.salesforce is not None or self.hubspot is not None

    def covers(self, crm: str) -> bool:
        return getattr(self, crm) is not None

    def client_env(self) -> dict[str, str]:
        """The six client variables, as ``crm-sync sandbox serve`` prints them, for the live systems
        (empty for a CRM that is not configured; its tests are skipped)."""
        sf, hs = self.salesforce, self.hubspot
        return {
            "SALESFORCE_LOGIN_URL": sf.login_url if sf else "",
            "SALESFORCE_CLIENT_ID": sf.client_id if sf else "",
            "SALESFORCE_CLIENT_SECRET": sf.client_secret if sf else "",
            "HUBSPOT_BASE_URL": hs.base_url if hs else "",
            "HUBSPOT_ACCESS_TOKEN": hs.access_token if hs else "",
            "CRM_SYNC_CA_BUNDLE": requests.certs.where(),
        }


def live_target(environ: Mapping[str, str] = os.environ) -> LiveTarget:
    """Read ``CRM_SYNC_LIVE_*``; ``LiveConfigError`` names what is missing, unknown or not HTTPS."""
    set_vars = {k: v.strip() for k, v in environ.items() if k.startswith(PREFIX) and v.strip()}
    unknown = sorted(set(set_vars) - KNOWN)
    if unknown:
        raise LiveConfigError(f"unknown variable(s) {', '.join(unknown)}; expected {', '.join(sorted(KNOWN))}")
    salesforce = None
    given = [name for name in SALESFORCE_VARS if name in set_vars]
    if given:
        missing = [name for name in SALESFORCE_VARS if name not in set_vars]
        if missing:
            raise LiveConfigError(f"{', '.join(missing)} not set (a live Salesforce run needs all three)")
        login, client_id, secret = (set_vars[name] for name in SALESFORCE_VARS)
        salesforce = SalesforceOrg(_https(SALESFORCE_VARS[0], login), client_id, secret)
    hubspot = None
    if HUBSPOT_TOKEN in set_vars:
        base = _https(HUBSPOT_BASE_URL, set_vars.get(HUBSPOT_BASE_URL, HUBSPOT_DEFAULT_URL))
        hubspot = HubSpotPortal(set_vars[HUBSPOT_TOKEN], base)
    elif HUBSPOT_BASE_URL in set_vars:
        raise LiveConfigError(f"{HUBSPOT_BASE_URL} is set but {HUBSPOT_TOKEN} is not")
    return LiveTarget(salesforce, hubspot)


def _https(name: str, url: str) -> str:
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise LiveConfigError(f"{name} must be an https:// URL; got {url!r}")
    return url.rstrip("/")
