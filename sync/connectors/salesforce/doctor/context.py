"""What the Salesforce checks share: one logged-in client, the rule set, and describes read once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound

from rules.model import Rule, RuleSet, Stream
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.settings import SalesforceSettings

CRM = "salesforce"


def _describe(sf: Salesforce, sobject: str) -> dict[str, Any] | None:
    try:
        answer = sf.restful(f"sobjects/{sobject}/describe")
    except SalesforceResourceNotFound:
        return None
    return answer if isinstance(answer, dict) else None


@dataclass
class OrgContext:
    """The org as the checks read it; every describe is fetched once."""

    client: SalesforceClient
    settings: SalesforceSettings
    ruleset: RuleSet
    _describes: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def describe(self, sobject: str) -> dict[str, Any] | None:
        """``sobjects/{sobject}/describe``, or ``None`` when the org has no such object (or hides it)."""
        key = sobject.lower()
        if key not in self._describes:
            self._describes[key] = self.client.call(lambda sf: _describe(sf, sobject))
        return self._describes[key]

    def field(self, sobject: str, name: str) -> dict[str, Any] | None:
        """One field of ``sobject``'s describe (case-insensitive), or ``None``."""
        described = self.describe(sobject) or {}
        wanted = name.lower()
        return next(
            (f for f in described.get("fields", []) if str(f.get("name", "")).lower() == wanted), None
        )

    def rest(self, path: str, **params: Any) -> Any:
        """``GET /services/data/vXX.X/{path}``."""
        return self.client.call(lambda sf: sf.restful(path, params=params or None))

    @property
    def streams(self) -> list[Stream]:
        return [s for s in self.ruleset.active_streams if s.crm == CRM]

    def uses(self, *kinds: str) -> Iterator[tuple[Rule, Any]]:
        """``(rule, compiled parameters)`` of every action of these kinds that Salesforce carries out."""
        for rule in self.ruleset.rules:
            for action in rule.actions:
                if action.target == CRM and action.kind_name in kinds:
                    yield rule, action.compiled
