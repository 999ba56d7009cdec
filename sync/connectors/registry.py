"""The CRM adapters crm-sync knows, listed once, and what is built from them: the checked rule set and
the adapters a rule set needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from rules.compiler import load_rules
from rules.model import RuleSet
from rules.source import ConfigError, ConfigErrors, Position
from sync.connectors import hubspot, salesforce
from sync.connectors.base import Clock, Connector, ConnectorSpec

_SPECS: dict[str, ConnectorSpec] = {spec.name: spec for spec in (salesforce.SPEC, hubspot.SPEC)}


def _system_clock() -> datetime:
    return datetime.now(UTC)


class ConnectorUnavailable(Exception):
    """A CRM section is configured but its adapter cannot be built."""


def specs() -> Mapping[str, ConnectorSpec]:
    return dict(_SPECS)


@contextmanager
def registered(*extra: ConnectorSpec) -> Iterator[None]:
    """Add adapters for the duration of a block (an extension, a test)."""
    before = dict(_SPECS)
    try:
        _SPECS.update({spec.name: spec for spec in extra})
        yield
    finally:
        _SPECS.clear()
        _SPECS.update(before)


def check_streams(ruleset: RuleSet) -> list[ConfigError]:
    """What the adapters say about the streams they would poll (fields they cannot fill, filters they
    cannot express), as located config errors."""
    errors = []
    for stream in ruleset.streams.values():
        spec = _SPECS.get(stream.crm)
        if spec is None or spec.check_stream is None:
            continue
        try:
            spec.check_stream(stream)
        except ValueError as exc:
            position = stream.position or Position(str(ruleset.path), 1, 1)
            loc = (stream.crm, "streams", stream.name.split(".", 1)[1])
            errors.append(ConfigError(position, loc, str(exc).removeprefix(f"stream {stream.name}: ")))
    return errors


def load_config(path: Path | str, offline: bool = False) -> RuleSet:
    """The rule set, checked by the compiler and by the adapters; raises ``ConfigErrors``. ``offline``:
    see :func:`rules.compiler.load_rules`."""
    ruleset = load_rules(path, _SPECS, offline)
    errors = check_streams(ruleset)
    if errors:
        raise ConfigErrors(errors)
    return ruleset


def build_connectors(ruleset: RuleSet, clock: Clock = _system_clock) -> dict[str, Connector]:
    """One adapter per CRM that the rules read."""
    connectors: dict[str, Connector] = {}
    for crm in sorted({stream.crm for stream in ruleset.active_streams}):
        spec = _SPECS.get(crm)
        settings = ruleset.settings.connection(crm)
        if spec is None or settings is None:
            raise ConnectorUnavailable(f"this version of crm-sync has no {crm} adapter")
        connectors[crm] = spec.build(settings, ruleset, clock)
    return connectors
