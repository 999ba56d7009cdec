"""The HubSpot adapter: polls feedback submissions (enriched with contact, company, analyst and the
crm-sync ticket's logged calls) and delivers tickets, tasks, emails and updates.

Modules: ``client`` (SDK session, retries), ``pacing`` (rate limits, budget), ``api`` (batched calls),
``times`` (timestamps), ``where`` (stream filters); reading: ``polling``, ``enrich``, ``lookups``;
writing: ``delivery`` over ``context``, ``tickets``, ``tasks``, ``emails``, ``updates``, ``outcomes``.
"""

from __future__ import annotations

from rules.model import RuleSet, Stream
from rules.settings import ConnectionSettings
from sync.connectors.base import Clock, ConnectorSpec

from .connector import HubSpotConnector
from .delivery import Deliverer
from .enrich import RecordShape
from .lookups import SUBMISSIONS
from .settings import HubSpotSettings
from .where import WhereError, parse_where

__all__ = ["SPEC", "HubSpotConnector", "WhereError", "check_stream"]


def check_stream(stream: Stream) -> None:
    """Refuse, with a clear message, a stream this adapter cannot poll."""
    if stream.object != SUBMISSIONS:
        raise ValueError(
            f"stream {stream.name}: the HubSpot adapter polls {SUBMISSIONS} only, not {stream.object}"
        )
    RecordShape.of(stream)
    try:
        parse_where(stream.where)
    except WhereError as exc:
        raise WhereError(f"stream {stream.name}: {exc}") from None


def build(settings: ConnectionSettings, ruleset: RuleSet, clock: Clock) -> HubSpotConnector:
    """The adapter for the ``hubspot`` section, after checking every HubSpot stream."""
    assert isinstance(settings, HubSpotSettings)
    for stream in ruleset.streams.values():
        if stream.crm == SPEC.name:
            check_stream(stream)
    return HubSpotConnector(settings)


SPEC = ConnectorSpec(
    name="hubspot",
    settings=HubSpotSettings,
    capabilities=frozenset(Deliverer.HANDLED),
    build=build,
    check_stream=check_stream,
    has_teams=True,
)
