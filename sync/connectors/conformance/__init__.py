"""The connector conformance suite, shipped with crm-sync the way singer-sdk ships its tap tests.

An adapter joins it with a :class:`ConformanceDriver` (in its test support) listed in a test module's
:class:`ConnectorConformance` subclass. This package needs pytest; nothing else in crm-sync imports it.
"""

from sync.connectors.conformance.driver import ConformanceDriver, Feature
from sync.connectors.conformance.suite import ConnectorConformance, needs

__all__ = ["ConformanceDriver", "ConnectorConformance", "Feature", "needs"]
