"""Build the CRM adapters a rule set needs, from its ``salesforce``/``hubspot`` sections."""

from __future__ import annotations

import importlib

from rules.model import RuleSet
from sync.connectors.base import Connector

_ADAPTERS = {"salesforce": "sync.connectors.salesforce", "hubspot": "sync.connectors.hubspot"}


class ConnectorUnavailable(Exception):
    """A CRM section is configured but its adapter cannot be built."""


def build_connectors(ruleset: RuleSet) -> dict[str, Connector]:
    """One adapter per CRM that the rules read (each module exposes ``build(ruleset) -> Connector``)."""
    connectors: dict[str, Connector] = {}
    for crm in sorted({stream.crm for stream in ruleset.active_streams}):
        try:
            module = importlib.import_module(_ADAPTERS[crm])
        except ModuleNotFoundError as exc:
            if exc.name != _ADAPTERS[crm]:
                raise
            raise ConnectorUnavailable(f"this version of crm-sync has no {crm} adapter yet") from None
        connectors[crm] = module.build(ruleset)
    return connectors
