"""The compiled rule set: what the engine evaluates. Built by :mod:`rules.compiler`, never by hand."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2.sandbox import ImmutableSandboxedEnvironment

from rules.durations import BusinessCalendar, Duration, add_duration
from rules.expressions import Expression, ExpressionError, Text, to_datetime
from rules.settings import Settings, StreamSettings
from rules.source import Position

#: Action kinds each CRM can carry out.
CAPABILITIES: Mapping[str, frozenset[str]] = {
    "salesforce": frozenset({"create_task", "send_email", "notify", "post_chatter", "update_record"}),
    "hubspot": frozenset({"create_task", "create_ticket", "send_email", "notify", "update_record"}),
}
DEFAULT_ID_FIELD = {"salesforce": "Id", "hubspot": "id"}


@dataclass(frozen=True)
class StreamCheck:
    expect: Expression
    message: Text


@dataclass(frozen=True)
class Stream:
    """A polled collection of records, named ``crm.key`` (e.g. ``salesforce.sli``)."""

    name: str
    crm: str
    object: str
    fields: tuple[str, ...]
    id_field: str
    where: str | None = None
    since: datetime | None = None
    checks: tuple[StreamCheck, ...] = ()
    record_url: Text | None = None
    position: Position | None = None  # where the stream is defined, for errors found later (adapters)
    settings: StreamSettings | None = field(default=None, compare=False, repr=False)  # as configured


@dataclass(frozen=True)
class Role:
    """A named recipient: a person found through a record's fields, a fixed address, the members of a
    CRM team, the next member of a team in turn, or the first of other roles that finds someone."""

    name: str
    source: str | None = None
    email: str | None = None
    id: str | None = None
    display_name: str | None = None
    active: str | None = None
    address: str | None = None
    team: str | None = None
    round_robin: str | None = None
    first_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timer:
    """``delay`` after the ``field`` date of the record (or after the rule first matched)."""

    delay: Duration
    field: str | None = None
    calendar: BusinessCalendar | None = None
    zone: tzinfo = UTC  # a date-only field means midnight here

    def anchor(self, record: Mapping[str, Any]) -> datetime | None:
        if self.field is None:
            return None
        return to_datetime(lookup(record, self.field), self.zone)

    def due(self, anchor: datetime) -> datetime:
        return add_duration(anchor, self.delay, self.calendar)


@dataclass(frozen=True)
class RecipientRef:
    """An entry of an email's ``to``/``cc``: a role name, or an address template."""

    role: str | None = None
    address: Text | None = None


@dataclass(frozen=True)
class ActionSpec:
    """One compiled action of a rule; ``params`` holds compiled texts and references by kind."""

    id: str
    kind: str
    target: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    id: str
    stream: Stream
    when: Expression
    actions: tuple[ActionSpec, ...]
    description: str | None = None
    unless: Expression | None = None
    timer: Timer | None = None
    occurrence: Text | None = None
    context_roles: tuple[
        str, ...
    ] = ()  # roles the rule's texts read as ``roles.NAME`` (and its owners, senders)


@dataclass(frozen=True)
class TemplateLibrary:
    """Named email templates: ``NAME.txt`` (plain) and/or ``NAME.html`` (autoescaped) in one folder."""

    directory: Path
    env: ImmutableSandboxedEnvironment = field(repr=False)
    names: frozenset[str] = frozenset()

    def render(self, name: str, context: Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The (text, html) parts of a named template; a part is ``None`` when its file is absent."""
        parts: list[str | None] = []
        for suffix in (".txt", ".html"):
            filename = name + suffix
            if filename not in self.names:
                parts.append(None)
                continue
            try:
                parts.append(self.env.get_template(filename).render(**context))
            except Exception as exc:  # template runtime errors of any kind become located failures
                raise ExpressionError(f"template {filename}: {type(exc).__name__}: {exc}") from exc
        return parts[0], parts[1]


@dataclass(frozen=True)
class RuleSet:
    """Everything the engine needs from the configuration, validated and compiled."""

    settings: Settings
    path: Path
    streams: Mapping[str, Stream]
    roles: Mapping[str, Role]
    rules: tuple[Rule, ...]
    templates: TemplateLibrary
    timezone: ZoneInfo

    def rules_for(self, stream: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.stream.name == stream)

    @property
    def active_streams(self) -> tuple[Stream, ...]:
        """Streams that at least one rule reads."""
        used = {rule.stream.name for rule in self.rules}
        return tuple(stream for name, stream in self.streams.items() if name in used)


def lookup(record: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted field path, case-insensitively; ``None`` when any step is missing."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        if part in current:
            current = current[part]
            continue
        lowered = part.lower()
        current = next((v for k, v in current.items() if isinstance(k, str) and k.lower() == lowered), None)
    return current


def materialise(record: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``record`` in which every declared path exists: an empty lookup becomes a dict of
    ``None`` leaves, so ``record.Office__r.Regional_Director__r.Email`` is ``None``, not an error."""
    out = copy.deepcopy(dict(record))
    for path in fields:
        current = out
        parts = path.split(".")
        for index, part in enumerate(parts):
            key = next((k for k in current if k.lower() == part.lower()), part)
            last = index == len(parts) - 1
            if last:
                current.setdefault(key, None)
            else:
                if not isinstance(current.get(key), dict):
                    current[key] = {}
                current = current[key]
    return out
