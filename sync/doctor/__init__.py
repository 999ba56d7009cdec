"""``crm-sync doctor``: the preflight an admin runs before the first ``run``.

Each adapter declares its own checks (``ConnectorSpec.checks``), each channel its own
(``ChannelSpec.checks``: the SMTP server's connection, TLS and login); the doctor runs those of every CRM
the rules read and every channel they send through, and reports one line per check: ``ok``, ``warning`` or ``blocker`` with the fix to apply.
"""

from __future__ import annotations

from rules.model import RuleSet
from sync.channels.registry import checks as channel_checks
from sync.connectors.checks import CheckResult
from sync.connectors.registry import specs


def run_doctor(ruleset: RuleSet) -> list[CheckResult]:
    """The results of every check of every CRM the rules read, CRM by CRM."""
    results: list[CheckResult] = []
    for crm in sorted({stream.crm for stream in ruleset.active_streams}):
        spec = specs().get(crm)
        settings = ruleset.settings.connection(crm)
        if spec is None or settings is None:
            results.append(
                CheckResult(
                    crm,
                    "adapter",
                    "blocker",
                    f"this version of crm-sync has no {crm} adapter",
                    f"remove the {crm} streams or upgrade crm-sync",
                )
            )
        elif spec.checks is None:
            results.append(
                CheckResult(
                    crm,
                    "preflight",
                    "warning",
                    f"the {crm} adapter declares no preflight checks",
                    f"check the {crm} setup by hand before the first run",
                )
            )
        else:
            results.extend(spec.checks(settings, ruleset))
    results.extend(channel_checks(ruleset))
    return results
