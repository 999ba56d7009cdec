"""The adapter's declaration for the registry: its section, its action kinds, its stream check, its factory."""

from __future__ import annotations

from rules.model import RuleSet, Stream
from rules.settings import ConnectionSettings
from sync.connectors.base import Clock, ConnectorSpec

from . import doctor
from .connector import HubSpotConnector
from .delivery import Deliverer
from .settings import HubSpotSettings
from .shape import RecordShape


def check_stream(stream: Stream) -> None:
    """Refuse, with a clear message, a stream this adapter cannot poll."""
    RecordShape.of(stream)


def build(settings: ConnectionSettings, ruleset: RuleSet, clock: Clock) -> HubSpotConnector:
    """The adapter for the ``hubspot`` section, after checking every HubSpot stream."""
    assert isinstance(settings, HubSpotSettings)
    streams = [stream for stream in ruleset.streams.values() if stream.crm == SPEC.name]
    for stream in streams:
        check_stream(stream)
    return HubSpotConnector(settings)


SPEC = ConnectorSpec(
    name="hubspot",
    settings=HubSpotSettings,
    capabilities=frozenset(Deliverer.HANDLED),
    build=build,
    check_stream=check_stream,
    has_teams=True,
    checks=doctor.checks,
    # Transactional email needs a paid add-on and makes every recipient a contact: with an ``email:``
    # section, emails go by SMTP unless a rule asks for ``channel: crm``.
    email_channel="smtp",
)
