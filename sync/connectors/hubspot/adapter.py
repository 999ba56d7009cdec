"""The adapter's entry points for the registry: check a stream, build the connector."""

from __future__ import annotations

from rules.model import RuleSet, Stream

from .connector import HubSpotConnector
from .shape import RecordShape


def check_stream(stream: Stream) -> None:
    """Refuse, with a clear message, a stream this adapter cannot poll."""
    RecordShape.of(stream)


def build(ruleset: RuleSet) -> HubSpotConnector:
    """The adapter for ``ruleset.settings.hubspot``, after checking every HubSpot stream."""
    settings = ruleset.settings.hubspot
    if settings is None:
        raise ValueError("the rules read HubSpot streams but the configuration has no hubspot section")
    for stream in ruleset.streams.values():
        if stream.crm == "hubspot":
            check_stream(stream)
    return HubSpotConnector(settings)
