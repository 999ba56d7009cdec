"""The HubSpot adapter: polls feedback submissions (enriched with contact, company, analyst and the
crm-sync ticket's logged calls) and delivers tickets, tasks, emails and updates.

Modules: ``client`` (SDK session, retries), ``pacing`` (rate limits, budget), ``api`` (batched calls),
``times`` (timestamps), ``where`` (stream filters); reading: ``polling``, ``enrich``, ``lookups``;
writing: ``delivery`` over ``context``, ``tickets``, ``tasks``, ``emails``, ``updates``, ``outcomes``.
"""

from __future__ import annotations

from rules.model import RuleSet, Stream

from .connector import HubSpotConnector
from .enrich import RecordShape
from .lookups import SUBMISSIONS
from .where import WhereError, parse_where

__all__ = ["HubSpotConnector", "WhereError", "build", "check_stream"]


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


def build(ruleset: RuleSet) -> HubSpotConnector:
    """The adapter for ``ruleset.settings.hubspot``, after checking every HubSpot stream."""
    settings = ruleset.settings.hubspot
    if settings is None:
        raise ValueError("the rules read HubSpot streams but the configuration has no hubspot section")
    for stream in ruleset.streams.values():
        if stream.crm == "hubspot":
            check_stream(stream)
    return HubSpotConnector(settings)
