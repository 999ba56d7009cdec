"""The connector conformance suite against every adapter: a new adapter joins with one line below."""

from __future__ import annotations

from sync.connectors.conformance import ConnectorConformance
from tests.conformance.drivers.fake import FakeDriver

DRIVERS = [
    FakeDriver,
]


class TestConformance(ConnectorConformance):
    drivers = DRIVERS
