"""What the HubSpot checks share: the adapter's own client and API, the properties API, the token's scopes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hubspot import HubSpot
from urllib3.util.retry import Retry

from rules.model import Rule, RuleSet, Stream
from sync.connectors.base import ConnectorError

from ..api import HubSpotApi
from ..connector import HubSpotConnector
from ..settings import HubSpotSettings

CRM = "hubspot"


@dataclass
class PortalContext:
    """The portal as the checks read it; property lists are fetched once per object type."""

    settings: HubSpotSettings
    ruleset: RuleSet
    connector: HubSpotConnector
    scopes: frozenset[str] | None = None  # None: the token's scopes could not be read
    _properties: dict[str, dict[str, dict[str, Any]] | ConnectorError] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: HubSpotSettings, ruleset: RuleSet) -> PortalContext:
        return cls(settings, ruleset, HubSpotConnector(settings))

    @property
    def api(self) -> HubSpotApi:
        return self.connector.lookups.api

    def properties(self, object_type: str) -> dict[str, dict[str, Any]]:
        """``crm/v3/properties/{object_type}`` by name; raises ConnectorError (an unknown type, a scope)."""
        if object_type not in self._properties:
            try:
                if self.api.dated:
                    reader = self.api.versioned("GET", "properties", object_type)
                    answer = self.connector.client.call(reader, archived="false")
                else:
                    answer = self.connector.client.call(
                        self._properties_api.get_all, object_type, archived=False
                    )
                self._properties[object_type] = {str(p["name"]): p for p in answer.get("results", [])}
            except ConnectorError as exc:
                self._properties[object_type] = exc
        found = self._properties[object_type]
        if isinstance(found, ConnectorError):
            raise found
        return found

    @cached_property
    def _properties_api(self) -> Any:
        base = self.settings.base_url.rstrip("/")
        sdk = HubSpot(
            access_token=self.settings.access_token,
            host=base,
            base_url=base,
            ssl_ca_cert=self.settings.ca_bundle or None,
            retry=Retry(total=0, raise_on_status=False),
        )
        return sdk.crm.properties.core_api

    @property
    def streams(self) -> list[Stream]:
        return [s for s in self.ruleset.active_streams if s.crm == CRM]

    def uses(self, *kinds: str) -> Iterator[tuple[Rule, Any]]:
        """``(rule, compiled parameters)`` of every action of these kinds that HubSpot carries out."""
        for rule in self.ruleset.rules:
            for action in rule.actions:
                if action.target == CRM and action.kind_name in kinds:
                    yield rule, action.compiled

    def close(self) -> None:
        if "_properties_api" in self.__dict__:
            self._properties_api.api_client.rest_client.pool_manager.clear()
        self.connector.close()
