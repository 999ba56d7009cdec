"""The access token and its scopes.

A private app token is introspected with ``POST /oauth/v2/private-apps/get/access-token-info``
(``{"tokenKey": TOKEN}`` -> ``{userId, hubId, appId, scopes}``, HubSpot's "Private apps" guide); an OAuth
access token with ``GET /oauth/v1/access-tokens/{token}`` (``{hub_id, scopes, ...}``). Neither needs the
token as a bearer. The scopes crm-sync needs follow from the configured streams and actions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from rules.actions.email import Notify, SendEmail
from rules.actions.task import CreateTask
from rules.actions.ticket import CreateTicket
from rules.actions.update import UpdateRecord
from sync.connectors.base import ConnectorError
from sync.connectors.checks import Checks

from ..settings import HubSpotStreamSettings
from .context import PortalContext

PRIVATE_APP_INFO = "/oauth/v2/private-apps/get/access-token-info"
OAUTH_INFO = "/oauth/v1/access-tokens/{token}"
ENGAGEMENTS = frozenset({"calls", "tasks", "emails", "notes", "meetings"})  # gated by the contacts scopes
READ_SCOPES = {
    "contacts": "crm.objects.contacts.read",
    "companies": "crm.objects.companies.read",
    "deals": "crm.objects.deals.read",
    "tickets": "tickets",
    "feedback_submissions": "crm.objects.feedback_submissions.read",
}
WRITE_SCOPES = {
    "contacts": "crm.objects.contacts.write",
    "companies": "crm.objects.companies.write",
    "deals": "crm.objects.deals.write",
    "tickets": "tickets",
}
SCOPE_FIX = (
    "add the missing scopes to the private app (Settings > Integrations > Private apps > your app > "
    "Scopes), then put its token in HUBSPOT_ACCESS_TOKEN"
)


def _read_scope(object_type: str) -> str:
    if object_type in ENGAGEMENTS:
        return READ_SCOPES["contacts"]
    return READ_SCOPES.get(object_type, "crm.objects.custom.read")


def required_scopes(portal: PortalContext) -> dict[str, str]:
    """``{scope: why}`` for everything the configuration reads and writes."""
    needed: dict[str, str] = {}
    for stream in portal.streams:
        needed.setdefault(_read_scope(stream.object), f"stream {stream.name} reads {stream.object}")
        relations = stream.settings.relations if isinstance(stream.settings, HubSpotStreamSettings) else {}
        for name, relation in relations.items():
            target = relation.object or relation.count
            if target:
                needed.setdefault(_read_scope(target), f"relation {name} of {stream.name} reads {target}")
            elif relation.owner:
                needed.setdefault("crm.objects.owners.read", f"relation {name} of {stream.name} reads owners")
    if any(role.team or role.round_robin for role in portal.ruleset.roles.values()):
        needed.setdefault("crm.objects.owners.read", "team roles read owners and their teams")
    if any(portal.uses(CreateTicket.name)):
        needed.setdefault("tickets", "create_ticket writes tickets")
    if any(portal.uses(CreateTask.name)):
        needed.setdefault("crm.objects.contacts.write", "create_task writes tasks (contacts scopes)")
    if any(portal.uses(SendEmail.name, Notify.name)):
        needed.setdefault("transactional-email", "send_email and notify send transactional emails")
    if any(portal.uses(SendEmail.name)):
        needed.setdefault("crm.objects.contacts.write", "send_email logs the email on the ticket")
        needed.setdefault("sales-email-read", "send_email logs the email on the ticket")
    for rule, _ in portal.uses(UpdateRecord.name):
        scope = WRITE_SCOPES.get(rule.stream.object, "crm.objects.custom.write")
        needed.setdefault(scope, f"update_record writes {rule.stream.object}")
    return needed


def _introspect(portal: PortalContext) -> tuple[dict[str, Any] | None, str]:
    """The token's metadata (private app first, then OAuth), or None and why."""
    base = portal.settings.base_url.rstrip("/")
    token = portal.settings.access_token
    timeout = portal.settings.timeout.total.total_seconds()
    problems = []
    with requests.Session() as session:
        if portal.settings.ca_bundle:
            session.verify = portal.settings.ca_bundle
            session.trust_env = False
        for method, path, body in (
            ("POST", PRIVATE_APP_INFO, {"tokenKey": token}),
            ("GET", OAUTH_INFO.format(token=quote(token, safe="")), None),
        ):
            url = base + path
            try:
                answer = session.request(method, url, json=body, timeout=timeout)
            except requests.RequestException as exc:
                return None, f"HubSpot is unreachable at {base}: {type(exc).__name__}: {exc}"
            if answer.status_code == 200:
                try:
                    info = answer.json()
                except ValueError:
                    info = None
                if isinstance(info, dict) and isinstance(info.get("scopes"), list):
                    return info, ""
            shown = OAUTH_INFO.format(token="...") if body is None else path  # never print the token
            problems.append(f"{method} {shown}: HTTP {answer.status_code}")
    return None, "; ".join(problems)


def check_token(portal: PortalContext, out: Checks) -> None:
    """The token is known to HubSpot and carries every scope the configuration needs."""
    info, problem = _introspect(portal)
    if info is None:
        out.block(
            "access token",
            f"HubSpot does not recognise hubspot.access_token ({problem})",
            "create a private app (or service key) and put its token in HUBSPOT_ACCESS_TOKEN",
        )
        return
    granted = frozenset(str(s) for s in info["scopes"])
    portal.scopes = granted
    hub = info.get("hubId", info.get("hub_id"))
    out.ok("access token", f"the token belongs to portal {hub}")
    needed = required_scopes(portal)
    missing = {scope: why for scope, why in needed.items() if scope not in granted}
    if missing:
        listed = "; ".join(f"{scope} ({why})" for scope, why in sorted(missing.items()))
        out.block("token scopes", f"the token lacks {len(missing)} scope(s): {listed}", SCOPE_FIX)
    else:
        out.ok("token scopes", f"all {len(needed)} needed scope(s) granted: {', '.join(sorted(needed))}")


def check_api_version(portal: PortalContext, out: Checks) -> None:
    """HubSpot serves the CRM API version ``hubspot.api_version`` names."""
    version = portal.settings.api_version
    try:
        portal.api.owners_page(1)
    except ConnectorError as exc:
        if "404" not in str(exc):
            out.warn("api version", f"HubSpot did not answer: {exc}", "run crm-sync doctor again")
            return
        out.block(
            "api version",
            f"HubSpot does not serve CRM API version {version} ({exc})",
            "set hubspot.api_version (HUBSPOT_API_VERSION) to v3 or to a date version HubSpot lists "
            "in its API versioning guide, such as 2026-03",
        )
        return
    if version == "v3":
        out.ok("api version", "v3: HubSpot's legacy CRM paths, unsupported from September 2027")
    else:
        out.ok("api version", f"{version}: HubSpot's date-versioned CRM paths (/crm/objects/{version}/...)")


def check_api_budget(portal: PortalContext, out: Checks) -> None:
    """How much of the portal's daily API allowance is used, as HubSpot states it (not for OAuth tokens)."""
    client = portal.connector.client
    if not client.pacer.daily_seen:
        try:
            portal.api.owners_page(1)  # any answer but a search's states the budget
        except ConnectorError as exc:
            out.warn("daily API budget", f"HubSpot did not answer: {exc}", "run crm-sync doctor again")
            return
    pacer, share = client.pacer, portal.settings.max_daily_usage
    if pacer.daily is None:
        out.warn(
            "daily API budget",
            "unknown: HubSpot states no daily limit for this token (OAuth apps get no "
            "X-HubSpot-RateLimit-Daily headers), so hubspot.max_daily_usage cannot keep crm-sync below "
            "it; a DAILY 429 stops its calls until the limit resets",
            "use a private app (or service key) token, or watch the portal's API usage in HubSpot",
        )
    elif pacer.daily.used >= share * pacer.daily.limit:
        out.warn(
            "daily API budget",
            f"{pacer.daily.used:,} of {pacer.daily.limit:,} calls are used today: crm-sync makes no call "
            f"past {share:.0%} (hubspot.max_daily_usage) until the limit resets",
            "wait for the daily reset (midnight in the portal's time zone) or raise hubspot.max_daily_usage",
        )
    else:
        out.ok(
            "daily API budget",
            f"{pacer.daily.used:,} of {pacer.daily.limit:,} calls used today (crm-sync stops at {share:.0%})",
        )
