"""The HubSpot adapter's preflight checks (``crm-sync doctor``): the token and its scopes, every object
type and property the streams read, what the actions write, the pipelines, teams and transactional
email the rules name.

Modules: ``context`` (client, properties, scopes), ``access``, ``properties``, ``portal``.
"""

from __future__ import annotations

from rules.model import RuleSet
from rules.settings import ConnectionSettings
from sync.connectors.checks import CheckResult, run_checks

from ..settings import HubSpotSettings
from .access import check_api_budget, check_api_version, check_token
from .context import CRM, PortalContext
from .portal import check_pipelines, check_teams, check_transactional_email
from .properties import check_stream_properties, check_ticket_properties, check_update_properties

AFTER_TOKEN = (
    check_api_version,
    check_stream_properties,
    check_ticket_properties,
    check_update_properties,
    check_pipelines,
    check_teams,
    check_transactional_email,
    check_api_budget,
)


def checks(settings: ConnectionSettings, ruleset: RuleSet) -> list[CheckResult]:
    """Every HubSpot check, in order; nothing past the token when HubSpot does not recognise it."""
    assert isinstance(settings, HubSpotSettings)
    portal = PortalContext.open(settings, ruleset)
    try:
        results = run_checks(CRM, portal, [check_token])
        if any(r.name == "access token" and r.blocks for r in results):
            return results
        return results + run_checks(CRM, portal, list(AFTER_TOKEN))
    finally:
        portal.close()
