"""Conformance drivers: one module per adapter (see :class:`sync.connectors.conformance.ConformanceDriver`)."""
