"""The channels crm-sync knows, listed once, and the outlets a rule set needs."""

from __future__ import annotations

from collections.abc import Mapping

from rules.model import RuleSet
from sync.connectors.base import Clock
from sync.connectors.checks import CheckResult

from . import slack, smtp, teams
from .base import ChannelSpec, Outlet

_SPECS: dict[str, ChannelSpec] = {spec.name: spec for spec in (smtp.SPEC, slack.SPEC, teams.SPEC)}


def specs() -> Mapping[str, ChannelSpec]:
    return dict(_SPECS)


def used(ruleset: RuleSet) -> list[str]:
    """The channels the rules deliver through, in a stable order."""
    targets = {spec.target for rule in ruleset.rules for spec in rule.actions}
    return [name for name in _SPECS if name in targets]


def build_outlets(ruleset: RuleSet, clock: Clock) -> dict[str, Outlet]:
    """One outlet per channel the rules use."""
    return {name: _SPECS[name].build(ruleset.settings, clock) for name in used(ruleset)}


def checks(ruleset: RuleSet) -> list[CheckResult]:
    """The preflight lines of the channels the rules use."""
    out: list[CheckResult] = []
    for name in used(ruleset):
        spec = _SPECS[name]
        if spec.checks is not None:
            out.extend(spec.checks(ruleset.settings))
    return out
