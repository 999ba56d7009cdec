"""The Salesforce adapter: polls objects with a keyset cursor and carries out owed actions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rules.model import RuleSet, Stream
from rules.settings import ConnectionSettings
from sync.connectors.base import (
    ApiUsage,
    Clock,
    ConnectorSpec,
    DeliveryResult,
    OwedAction,
    Page,
    StoredSnapshots,
)
from sync.connectors.salesforce import doctor
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.polling import poll_stream, reread_records
from sync.connectors.salesforce.settings import SalesforceSettings, record_url
from sync.connectors.salesforce.writes import SalesforceWriter


class SalesforceConnector:
    name = "salesforce"

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.writer = SalesforceWriter(client)

    def poll(self, stream: Stream, cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        return poll_stream(self.client, stream, cursor, self.client.settings.overlap.total)

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        return reread_records(self.client, stream, ids)

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        return self.writer.deliver(actions)

    def usage(self) -> ApiUsage:
        client = self.client
        left = None
        if client.api_used is not None and client.api_max:
            left = max(0, int(client.api_max * client.settings.max_api_usage) - client.api_used)
        return ApiUsage(client.calls, left)

    def close(self) -> None:
        self.client.close()


def build(settings: ConnectionSettings, ruleset: RuleSet, clock: Clock) -> SalesforceConnector:
    assert isinstance(settings, SalesforceSettings)
    return SalesforceConnector(SalesforceClient(settings, clock))


SPEC = ConnectorSpec(
    name="salesforce",
    settings=SalesforceSettings,
    capabilities=frozenset(SalesforceWriter.HANDLED),
    build=build,
    id_field="Id",
    record_url=record_url,
    checks=doctor.checks,
)
