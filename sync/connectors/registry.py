"""Build the CRM adapters a rule set needs, from its ``salesforce``/``hubspot`` sections."""

from __future__ import annotations

import importlib
from pathlib import Path

from rules.compiler import load_rules
from rules.model import RuleSet
from rules.source import ConfigError, ConfigErrors, Position
from sync.connectors.base import Connector

_ADAPTERS = {"salesforce": "sync.connectors.salesforce", "hubspot": "sync.connectors.hubspot"}


class ConnectorUnavailable(Exception):
    """A CRM section is configured but its adapter cannot be built."""


def check_streams(ruleset: RuleSet) -> list[ConfigError]:
    """What the adapters say about the streams they would poll (fields they cannot fill, filters they
    cannot express), as located config errors; adapters expose ``check_stream(stream)`` raising
    ``ValueError``."""
    errors = []
    for stream in ruleset.streams.values():
        try:
            module = importlib.import_module(_ADAPTERS[stream.crm])
        except ModuleNotFoundError:
            continue
        check = getattr(module, "check_stream", None)
        if check is None:
            continue
        try:
            check(stream)
        except ValueError as exc:
            position = stream.position or Position(str(ruleset.path), 1, 1)
            loc = (stream.crm, "streams", stream.name.split(".", 1)[1])
            errors.append(ConfigError(position, loc, str(exc).removeprefix(f"stream {stream.name}: ")))
    return errors


def load_config(path: Path) -> RuleSet:
    """The rule set, checked by the compiler and by the adapters; raises ``ConfigErrors``."""
    ruleset = load_rules(path)
    errors = check_streams(ruleset)
    if errors:
        raise ConfigErrors(errors)
    return ruleset


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
