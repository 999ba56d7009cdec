"""The Salesforce adapter: polls objects with a keyset cursor and carries out owed actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from rules.model import RuleSet, Stream
from sync.connectors.base import DeliveryResult, OwedAction, Page
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.polling import poll_stream
from sync.connectors.salesforce.writes import SalesforceWriter


class SalesforceConnector:
    name = "salesforce"

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client
        self.writer = SalesforceWriter(client)

    def poll(self, stream: Stream, cursor: Any) -> Iterator[Page]:
        return poll_stream(self.client, stream, cursor, self.client.settings.overlap.total)

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        return self.writer.deliver(actions)

    def directory(self) -> dict[str, list[dict[str, Any]]]:
        """No team roles on Salesforce: recipients come through the record's relationships."""
        return {}

    def close(self) -> None:
        self.client.close()


def build(ruleset: RuleSet, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> SalesforceConnector:
    settings = ruleset.settings.salesforce
    if settings is None:
        raise ValueError("no salesforce section in the configuration")
    return SalesforceConnector(SalesforceClient(settings, clock))
