"""The connector conformance suite against every adapter: a new adapter joins with one line below."""

from __future__ import annotations

from sync.connectors.conformance import ConnectorConformance
from tests.conformance.drivers.fake import FakeDriver
from tests.conformance.drivers.hubspot import HubSpotDriver
from tests.conformance.drivers.salesforce import SalesforceDriver

DRIVERS = [
    FakeDriver,
    SalesforceDriver,
    HubSpotDriver,
]


class TestConformance(ConnectorConformance):
    drivers = DRIVERS
