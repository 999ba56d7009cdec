"""The compiled rule set: what the engine evaluates. Built by :mod:`rules.compiler`, never by hand."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from notifications.records import lookup
from notifications.rendering import TemplateLibrary
from notifications.roles import Role
from rules.durations import BusinessCalendar, Duration, add_duration
from rules.expressions import Expression, ExpressionError, Text, to_datetime
from rules.settings import Settings, StreamSettings
from rules.source import Position

if TYPE_CHECKING:
    from rules.actions.base import ActionKind
    from rules.schedule import ScheduledRule


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
        """``anchor`` plus the delay; a date the calendar cannot hold (year 9999) is a located error."""
        try:
            return add_duration(anchor, self.delay, self.calendar)
        except (OverflowError, ValueError) as exc:
            raise ExpressionError(f"{anchor.isoformat()} + {self.delay} is out of range: {exc}") from exc


@dataclass(frozen=True)
class RecipientRef:
    """An entry of an email's ``to``/``cc``: a role name, or an address template."""

    role: str | None = None
    address: Text | None = None


@dataclass(frozen=True)
class ActionSpec:
    """One compiled action of a rule: its kind, the CRM that carries it out and the kind's compiled
    parameters (texts, recipient references, timers)."""

    id: str
    kind: ActionKind[Any, Any]
    target: str
    compiled: Any

    @property
    def kind_name(self) -> str:
        return self.kind.name


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
    # What decides its timers (source, when, after, unless, occurrence), hashed: a timer armed under
    # another version is re-planned unless ``on_change`` is "keep".
    version: str = ""
    on_change: str = "replan"


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
    # Every file the rule set was compiled from (config, includes, the templates folder and its files).
    sources: tuple[Path, ...] = ()
    # Rules that run on the calendar or on metrics (``scheduled:``), see rules.schedule.
    scheduled: tuple[ScheduledRule, ...] = ()

    def rules_for(self, stream: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.stream.name == stream)

    @property
    def active_streams(self) -> tuple[Stream, ...]:
        """Streams that at least one rule reads."""
        used = {rule.stream.name for rule in self.rules}
        return tuple(stream for name, stream in self.streams.items() if name in used)


def materialise(record: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``record`` in which every declared path exists: an empty lookup becomes a dict of
    ``None`` leaves, so ``record.Office__r.Regional_Director__r.Email`` is ``None``, not an error.

    Only the dicts along declared paths are copied (nothing evaluates records in place: conditions and
    templates run in an immutable sandbox), so the cost is in the paths, not in the record's size."""
    return _fill(record, _path_tree(fields))


_Tree = dict[str, tuple[str, "_Tree | None"]]


@functools.lru_cache(maxsize=256)
def _path_tree(fields: tuple[str, ...]) -> _Tree:
    """Declared paths as a tree keyed by lower-cased name: ``{name: (as declared, subtree or None)}``."""
    tree: _Tree = {}
    for path in fields:
        level = tree
        parts = path.split(".")
        for index, part in enumerate(parts):
            name, sub = level.get(part.lower(), (part, None))
            if index < len(parts) - 1:
                sub = sub if sub is not None else {}
                level[part.lower()] = (name, sub)
                level = sub
            else:
                level[part.lower()] = (name, sub)
    return tree


def _fill(value: Mapping[str, Any], tree: _Tree) -> dict[str, Any]:
    out = dict(value)
    existing = {k.lower(): k for k in out if isinstance(k, str)}
    for lowered, (name, sub) in tree.items():
        key = existing.get(lowered, name)
        if sub is None:
            out.setdefault(key, None)
        else:
            current = out.get(key)
            out[key] = _fill(current if isinstance(current, Mapping) else {}, sub)
    return out
