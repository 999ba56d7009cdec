"""Load, validate and compile ``config.yaml`` into a :class:`~rules.model.RuleSet`.

Every problem found is collected and raised together as :class:`~rules.source.ConfigErrors`, each error
located as ``FILE:LINE:COL: key.path: message``: YAML syntax, unknown keys, bad values and durations,
unknown sources and roles, undefined names and unknown record fields in expressions, role paths that the
source stream does not fetch, missing templates, actions a CRM cannot carry out.

The CRMs a configuration may use are handed in (``crms``): each declares its settings section, the
action kinds it carries out and its record conventions (:mod:`rules.platform`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules import settings as s
from rules.compile_actions import ActionCompiler
from rules.durations import BusinessCalendar
from rules.expressions import CONTEXT_NAMES, Expression, Text
from rules.model import Role, Rule, RuleSet, Stream, StreamCheck, Timer
from rules.platform import Profiles
from rules.schedule import ScheduleCompiler
from rules.source import ConfigError, ConfigErrors, Document, Environment, Loc, load_document
from rules.text_checks import TextChecker, read_templates
from rules.validation import read_secret_files, suggest, validate_settings

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def load_rules(path: Path | str, crms: Profiles, offline: bool = False) -> RuleSet:
    """Load and compile a configuration file; raises ``ConfigErrors`` listing every problem. Offline,
    unset environment variables and secret files read as placeholders (everything else is checked)."""
    path = Path(path)
    doc, errors = load_document(path, Environment(offline=offline))
    read_secret_files(doc, path.parent, [*crms, "email"], errors, offline)
    settings = validate_settings(doc, crms, errors)
    if settings is None:
        raise ConfigErrors(errors)
    ruleset = _Compiler(doc, settings, path, crms, errors).compile()
    if errors or ruleset is None:
        raise ConfigErrors(errors)
    return ruleset


@dataclass
class _Compiler:
    doc: Document
    settings: s.Settings
    path: Path
    crms: Profiles
    errors: list[ConfigError]

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append(self.doc.error(loc, message))

    def compile(self) -> RuleSet | None:
        self.timezone = self._zone(self.settings.timezone, ("timezone",)) or ZoneInfo("UTC")
        self.calendars = {
            name: cal
            for name, cfg in self.settings.calendars.items()
            if (cal := self._calendar(name, cfg, self.timezone)) is not None
        }
        template_dir = Path(self.settings.templates)
        if not template_dir.is_absolute():
            template_dir = self.path.parent / template_dir
        sources = read_templates(template_dir)
        self.texts = TextChecker(self.doc, self.errors, template_dir, sources)
        self.streams = self._streams()
        self.roles = self._roles()
        actions = ActionCompiler(
            self.texts, self.roles, self.settings.roles, self._timer, self.crms, self.settings
        )
        rules = []
        seen: dict[str, int] = {}
        for index, rule_settings in enumerate(self.settings.rules):
            loc: Loc = ("rules", index)
            if rule_settings.id in seen:
                self.error(
                    (*loc, "id"),
                    f"rule id {rule_settings.id!r} is already used by rules[{seen[rule_settings.id]}]",
                )
                continue
            seen[rule_settings.id] = index
            rule = self._rule(rule_settings, loc, actions)
            if rule is not None and rule_settings.enabled:
                rules.append(rule)
        scheduled = ScheduleCompiler(
            self.error,
            self.texts,
            self.roles,
            self.settings.connections,
            {name: stream.fields for name, stream in self.streams.items()},
        ).compile(self.settings.scheduled, seen)
        if self.errors:
            return None
        return RuleSet(
            settings=self.settings,
            path=self.path,
            streams=self.streams,
            roles=self.roles,
            rules=tuple(rules),
            templates=self.texts.library(),
            timezone=self.timezone,
            sources=(*self.doc.files, template_dir, *(template_dir / name for name in sources)),
            scheduled=scheduled,
        )

    # -- sections -------------------------------------------------------------------------------

    def _zone(self, name: str, loc: Loc) -> ZoneInfo | None:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.error(loc, f"unknown time zone {name!r} (use an IANA name such as America/New_York)")
            return None

    def _calendar(self, name: str, cfg: s.CalendarSettings, default_tz: ZoneInfo) -> BusinessCalendar | None:
        loc: Loc = ("calendars", name)
        zone = self._zone(cfg.timezone, (*loc, "timezone")) if cfg.timezone else default_tz
        if zone is None:
            return None
        try:
            opens, closes = cfg.opening_hours()
            extra = frozenset(date.fromisoformat(day) for day in cfg.holidays)
            return BusinessCalendar(
                timezone=zone,
                opens=opens,
                closes=closes,
                workdays=frozenset(_WEEKDAYS.index(day) for day in cfg.workdays),
                country=cfg.country,
                subdivision=cfg.subdivision,
                extra_holidays=extra,
            )
        except (ValueError, NotImplementedError, KeyError) as exc:
            self.error(loc, f"invalid calendar: {exc}")
            return None

    def _streams(self) -> dict[str, Stream]:
        streams: dict[str, Stream] = {}
        for crm, section in self.settings.connections.items():
            profile = self.crms[crm]
            for key, cfg in section.streams.items():
                loc: Loc = (crm, "streams", key)
                if not re.fullmatch(r"[A-Za-z0-9_]+", key):
                    self.error(loc, "a stream name uses letters, digits and underscores only")
                    continue
                id_field = cfg.id_field or profile.id_field
                fields = tuple(cfg.fields)
                if id_field.lower() not in {f.lower() for f in fields}:
                    fields = (id_field, *fields)
                checks = []
                for index, check in enumerate(cfg.checks):
                    at: Loc = (*loc, "checks", index)
                    expect = self.texts.expression(check.expect, (*at, "expect"), fields, CONTEXT_NAMES)
                    message = self.texts.text(check.message, (*at, "message"), fields, CONTEXT_NAMES)
                    if expect is not None and message is not None:
                        checks.append(StreamCheck(expect, message))
                record_url = None
                default_url = (
                    profile.record_url(section, cfg.object, id_field) if profile.record_url else None
                )
                url_source = cfg.record_url or default_url
                if url_source:
                    allowed = CONTEXT_NAMES - {"record_url"}
                    record_url = self.texts.text(url_source, (*loc, "record_url"), fields, allowed)
                streams[f"{crm}.{key}"] = Stream(
                    name=f"{crm}.{key}",
                    crm=crm,
                    object=cfg.object,
                    fields=fields,
                    id_field=id_field,
                    where=cfg.where,
                    since=cfg.since,
                    checks=tuple(checks),
                    record_url=record_url,
                    position=self.doc.position(loc),
                    settings=cfg,
                )
        return streams

    def _roles(self) -> dict[str, Role]:
        roles: dict[str, Role] = {}
        for name, cfg in self.settings.roles.items():
            loc: Loc = ("roles", name)
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                self.error(loc, "a role name uses lower-case letters, digits and underscores")
                continue
            if cfg.address is not None:
                roles[name] = Role(name=name, address=cfg.address, display_name=cfg.name)
                continue
            if cfg.first_of is not None:
                roles[name] = Role(name=name, first_of=tuple(cfg.first_of))
                continue
            stream = self._stream_ref(cfg.source, (*loc, "source"))
            if stream is None:
                continue
            if cfg.team is not None or cfg.round_robin is not None:
                if not self.crms[stream.crm].has_teams:
                    teams = sorted(c for c, p in self.crms.items() if p.has_teams)
                    self.error(
                        loc,
                        f"{stream.crm} has no teams crm-sync can read; team roles work with {', '.join(teams) or 'no CRM'}",
                    )
                    continue
                roles[name] = Role(name=name, source=stream.name, team=cfg.team, round_robin=cfg.round_robin)
                continue
            ok = True
            for key in ("email", "id", "name", "active"):
                field_path = getattr(cfg, key)
                if field_path is None:
                    continue
                if field_path.lower() not in {f.lower() for f in stream.fields}:
                    self.error(
                        (*loc, key),
                        f"{field_path!r} is not in the fields of {stream.name}; add it to "
                        f"{stream.crm}.streams.{stream.name.split('.', 1)[1]}.fields",
                    )
                    ok = False
            if ok:
                roles[name] = Role(
                    name=name,
                    source=stream.name,
                    email=cfg.email,
                    id=cfg.id,
                    display_name=cfg.name,
                    active=cfg.active,
                )
        self._check_first_of(roles)
        return roles

    def _check_first_of(self, roles: dict[str, Role]) -> None:
        """``first_of`` names known roles of one source, without cycles."""
        for name, role in list(roles.items()):
            if not role.first_of:
                continue
            loc: Loc = ("roles", name, "first_of")
            seen: list[str] = []
            stack = list(role.first_of)
            while stack:
                member = stack.pop(0)
                if member == name or member in seen:
                    if member == name:
                        self.error(loc, f"role {name!r} refers back to itself")
                        roles.pop(name, None)
                        break
                    continue
                seen.append(member)
                target = roles.get(member)
                if target is None:
                    if member not in self.settings.roles:
                        self.error(loc, f"unknown role {member!r}" + suggest(member, roles))
                    roles.pop(name, None)
                    break
                stack.extend(target.first_of)
            else:
                sources = {src for m in seen if m in roles and (src := roles[m].source)}
                if len(sources) > 1:
                    self.error(loc, f"role {name!r} mixes sources {', '.join(sorted(sources))}")
                    roles.pop(name, None)
                elif sources:
                    roles[name] = Role(name=name, source=sources.pop(), first_of=role.first_of)

    def _stream_ref(self, name: str | None, loc: Loc) -> Stream | None:
        if name is None:
            return None
        stream = self.streams.get(name)
        if stream is None:
            known = ", ".join(sorted(self.streams)) or "none: declare streams under a CRM section"
            self.error(loc, f"unknown source {name!r} (known: {known})")
        return stream

    # -- rules -----------------------------------------------------------------------------------

    def _timer(self, cfg: s.TimerSettings, loc: Loc, fields: tuple[str, ...]) -> Timer | None:
        calendar = None
        if cfg.calendar is not None:
            calendar = self.calendars.get(cfg.calendar)
            if calendar is None and cfg.calendar in self.settings.calendars:
                return None  # the calendar itself is invalid and already reported
            if calendar is None:
                self.error(
                    (*loc, "calendar"),
                    f"unknown calendar {cfg.calendar!r}" + suggest(cfg.calendar, self.calendars),
                )
                return None
        if cfg.field is not None and cfg.field.lower() not in {f.lower() for f in fields}:
            self.error((*loc, "field"), f"date field {cfg.field!r} is not in the stream's fields")
            return None
        return Timer(delay=cfg.delay, field=cfg.field, calendar=calendar, zone=self.timezone)

    def _rule(self, cfg: s.RuleSettings, loc: Loc, actions: ActionCompiler) -> Rule | None:
        stream = self._stream_ref(cfg.source, (*loc, "source"))
        if stream is None:
            return None
        start = len(self.errors)
        when = self.texts.expression(cfg.when, (*loc, "when"), stream.fields, CONTEXT_NAMES)
        unless: Expression | None = None
        if cfg.unless is not None:
            unless = self.texts.expression(cfg.unless, (*loc, "unless"), stream.fields, CONTEXT_NAMES)
        timer = self._timer(cfg.after, (*loc, "after"), stream.fields) if cfg.after is not None else None
        occurrence: Text | None = None
        if cfg.occurrence is not None:
            occurrence = self.texts.text(cfg.occurrence, (*loc, "occurrence"), stream.fields, CONTEXT_NAMES)
        specs, context_roles = actions.compile(stream, cfg.actions, (*loc, "actions"))
        if len(self.errors) > start or when is None:
            return None
        return Rule(
            version=rule_version(cfg),
            on_change=cfg.on_change,
            context_roles=context_roles,
            id=cfg.id,
            stream=stream,
            when=when,
            unless=unless,
            timer=timer,
            occurrence=occurrence,
            actions=specs,
            description=cfg.description,
        )


def rule_version(cfg: s.RuleSettings) -> str:
    """A short hash of what decides a rule's timers (not its actions, description or on_change)."""
    deciding = cfg.model_dump(mode="json", include={"source", "when", "after", "unless", "occurrence"})
    return hashlib.sha256(json.dumps(deciding, sort_keys=True, default=str).encode()).hexdigest()[:12]
