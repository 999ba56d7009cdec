"""The Salesforce adapter's preflight checks (``crm-sync doctor``): login, API version, every object
and field the streams read, what the actions write, and the org's email prerequisites.

Modules: ``context`` (the client and describes), ``access``, ``fields``, ``writes``, ``email``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rules.model import RuleSet
from rules.settings import ConnectionSettings
from sync.connectors.checks import CheckResult, run_checks
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.settings import SalesforceSettings

from .access import check_api_version, check_login
from .context import CRM, OrgContext
from .email import check_deliverability, check_sender, check_single_email
from .fields import check_stream_fields
from .writes import check_feed_tracking, check_task_fields, check_task_key, check_update_fields

ACCESS = (check_login, check_api_version)
AFTER_ACCESS = (
    check_stream_fields,
    check_task_fields,
    check_task_key,
    check_feed_tracking,
    check_update_fields,
    check_deliverability,
    check_sender,
    check_single_email,
)


def _now() -> datetime:
    return datetime.now(UTC)


def checks(settings: ConnectionSettings, ruleset: RuleSet) -> list[CheckResult]:
    """Every Salesforce check, in order; nothing past the login and API version when either blocks (every
    later call would fail the same way)."""
    assert isinstance(settings, SalesforceSettings)
    client = SalesforceClient(settings, _now)
    try:
        org = OrgContext(client, settings, ruleset)
        results: list[CheckResult] = []
        for check in ACCESS:
            results += run_checks(CRM, org, [check])
            if any(r.blocks for r in results):
                return results
        return results + run_checks(CRM, org, list(AFTER_ACCESS))
    finally:
        client.close()
