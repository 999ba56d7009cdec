"""Load, validate and compile ``config.yaml`` into a :class:`~rules.model.RuleSet`.

Every problem found is collected and raised together as :class:`~rules.source.ConfigErrors`, each error
located as ``FILE:LINE:COL: key.path: message``: YAML syntax, unknown keys, bad values and durations,
unknown sources and roles, undefined names and unknown record fields in expressions, role paths that the
source stream does not fetch, missing templates, actions a CRM cannot carry out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import TemplateSyntaxError
from jinja2.meta import find_undeclared_variables
from pydantic import BaseModel, TypeAdapter, ValidationError

from rules import settings as s
from rules.durations import BusinessCalendar
from rules.expressions import (
    ACTION_CONTEXT_NAMES,
    CONTEXT_NAMES,
    Expression,
    ExpressionError,
    Text,
    compile_expression,
    compile_text,
    expression_environment,
    record_paths,
    template_environment,
    unknown_record_paths,
)
from rules.model import (
    CAPABILITIES,
    DEFAULT_ID_FIELD,
    ActionSpec,
    RecipientRef,
    Role,
    Rule,
    RuleSet,
    Stream,
    StreamCheck,
    TemplateLibrary,
    Timer,
)
from rules.source import ConfigError, ConfigErrors, Document, Loc, load_document

_SECRET_SECTIONS = ("salesforce", "hubspot")
TEAM_CRMS = frozenset({"hubspot"})  # CRMs whose adapters publish their teams (Connector.directory)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def load_rules(path: Path | str) -> RuleSet:
    """Load and compile a configuration file; raises ``ConfigErrors`` listing every problem."""
    path = Path(path)
    doc, errors = load_document(path)
    _read_secret_files(doc, path.parent, errors)
    settings = _validate_settings(doc, errors)
    if settings is None:
        raise ConfigErrors(errors)
    compiler = _Compiler(doc, settings, path, errors)
    ruleset = compiler.compile()
    if errors:
        raise ConfigErrors(errors)
    assert ruleset is not None
    return ruleset


def _default_record_url(crm: str, section: Any, sobject: str, id_field: str) -> str | None:
    """Salesforce: the Lightning record page under the org's My Domain URL (it redirects there)."""
    if crm == "salesforce" and section.login_url.startswith("https://"):
        return f"{section.login_url.rstrip('/')}/lightning/r/{sobject}/{{{{ record.{id_field} }}}}/view"
    return None


def _read_secret_files(doc: Document, base: Path, errors: list[ConfigError]) -> None:
    """Replace ``NAME_file: path`` in the CRM sections with ``NAME: <file contents>``."""
    for section in _SECRET_SECTIONS:
        block = doc.data.get(section)
        if not isinstance(block, dict):
            continue
        for key in [k for k in block if isinstance(k, str) and k.endswith("_file")]:
            target = key[: -len("_file")]
            loc: Loc = (section, key)
            if target in block:
                errors.append(doc.error(loc, f"give either {target} or {key}, not both"))
                continue
            value = block.pop(key)
            if not isinstance(value, str) or not value:
                errors.append(doc.error(loc, "expected a file path"))
                continue
            file = Path(value) if Path(value).is_absolute() else base / value
            try:
                block[target] = file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                errors.append(doc.error(loc, f"cannot read {value}: {exc.strerror or exc}"))
                continue
            doc.positions[(section, target)] = doc.position(loc)


def _pydantic_errors(doc: Document, prefix: Loc, exc: ValidationError, model: Any) -> list[ConfigError]:
    out = []
    for err in exc.errors():
        loc = (*prefix, *(part for part in err["loc"] if not str(part).startswith("function-")))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}" + _suggest(str(loc[-1]), _known_keys(model, err["loc"][:-1]))
        elif err["type"] == "missing":
            message = "required key is missing"
        out.append(doc.error(loc, message))
    return out


def _known_keys(model: Any, path: Iterable[Any]) -> list[str]:
    """The field names of the pydantic model found by following ``path`` from ``model``."""
    current = model
    for part in path:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        annotation = info.annotation
        current = _model_in(annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _validate_settings(doc: Document, errors: list[ConfigError]) -> s.Settings | None:
    """Validate section by section (and rule by rule), so one mistake does not hide the next."""
    validated: dict[str, Any] = {}
    before = len(errors)
    failed = False
    for key, value in doc.data.items():
        info = s.Settings.model_fields.get(key) if isinstance(key, str) else None
        if info is None:
            errors.append(
                doc.error(
                    (key,),
                    f"unknown section {key!r}" + _suggest(str(key), [*s.Settings.model_fields, "include"]),
                )
            )
            continue
        if key == "rules":
            validated[key] = _validate_rules(doc, value, errors)
            continue
        try:
            validated[key] = TypeAdapter(info.annotation).validate_python(value)  # type: ignore[arg-type]
        except ValidationError as exc:
            failed = True
            # A value already reported (an unset environment variable) is not reported again.
            reported = [e.loc for e in errors]
            errors.extend(
                e
                for e in _pydantic_errors(doc, (key,), exc, _model_in(info.annotation))
                if not any(r[: len(e.loc)] == e.loc for r in reported)
            )
    if failed or len(errors) > before:
        return None
    return s.Settings.model_validate(validated)


def _validate_rules(doc: Document, value: Any, errors: list[ConfigError]) -> list[s.RuleSettings]:
    if not isinstance(value, list):
        errors.append(doc.error(("rules",), "rules must be a list"))
        return []
    out = []
    for index, item in enumerate(value):
        try:
            rule = s.RuleSettings.model_validate(item)
        except ValidationError as exc:
            errors.extend(_pydantic_errors(doc, ("rules", index), exc, s.RuleSettings))
            continue
        for a_index, action in enumerate(rule.actions):
            loc: Loc = ("rules", index, "actions", a_index)
            if len(action) != 1:
                errors.append(doc.error(loc, "an action is a mapping with one key, the action kind"))
                continue
            ((kind, params),) = action.items()
            model = s.ACTION_MODELS.get(kind)
            if model is None:
                errors.append(doc.error(loc, f"unknown action {kind!r}" + _suggest(kind, s.ACTION_KINDS)))
                continue
            try:
                model.model_validate(params or {})
            except ValidationError as exc:
                errors.extend(_pydantic_errors(doc, (*loc, kind), exc, model))
        out.append(rule)
    return out


@dataclass
class _Compiler:
    doc: Document
    settings: s.Settings
    path: Path
    errors: list[ConfigError]

    def __post_init__(self) -> None:
        self.expr_env = expression_environment()
        self._current_stream: Stream | None = None
        self._context_roles: set[str] = set()

    def error(self, loc: Loc, message: str) -> None:
        self.errors.append(self.doc.error(loc, message))

    def compile(self) -> RuleSet | None:
        timezone = self._zone(self.settings.timezone, ("timezone",)) or ZoneInfo("UTC")
        self.timezone = timezone
        self.calendars = {
            name: cal
            for name, cfg in self.settings.calendars.items()
            if (cal := self._calendar(name, cfg, timezone)) is not None
        }
        self.templates = self._templates()
        self.streams = self._streams()
        self.roles = self._roles()
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
            rule = self._rule(rule_settings, loc)
            if rule is not None and rule_settings.enabled:
                rules.append(rule)
        if self.errors:
            return None
        return RuleSet(
            settings=self.settings,
            path=self.path,
            streams=self.streams,
            roles=self.roles,
            rules=tuple(rules),
            templates=self.templates,
            timezone=timezone,
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
        for crm in ("salesforce", "hubspot"):
            section = getattr(self.settings, crm)
            if section is None:
                continue
            for key, cfg in section.streams.items():
                loc: Loc = (crm, "streams", key)
                if not re.fullmatch(r"[A-Za-z0-9_]+", key):
                    self.error(loc, "a stream name uses letters, digits and underscores only")
                    continue
                id_field = cfg.id_field or DEFAULT_ID_FIELD[crm]
                fields = tuple(cfg.fields)
                if id_field.lower() not in {f.lower() for f in fields}:
                    fields = (id_field, *fields)
                checks = []
                for index, check in enumerate(cfg.checks):
                    expect = self._expression(check.expect, (*loc, "checks", index, "expect"), fields)
                    message = self._text(
                        check.message, (*loc, "checks", index, "message"), fields, CONTEXT_NAMES
                    )
                    if expect is not None and message is not None:
                        checks.append(StreamCheck(expect, message))
                record_url = None
                url_source = cfg.record_url or _default_record_url(crm, section, cfg.object, id_field)
                if url_source:
                    allowed = CONTEXT_NAMES - {"record_url"}
                    record_url = self._text(url_source, (*loc, "record_url"), fields, allowed)
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
                if stream.crm not in TEAM_CRMS:
                    self.error(
                        loc, f"{stream.crm} has no teams crm-sync can read; team roles work with hubspot"
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
                        self.error(loc, f"unknown role {member!r}" + _suggest(member, roles))
                    roles.pop(name, None)
                    break
                stack.extend(target.first_of)
            else:
                sources = {s for m in seen if m in roles and (s := roles[m].source)}
                if len(sources) > 1:
                    self.error(loc, f"role {name!r} mixes sources {', '.join(sorted(sources))}")
                    roles.pop(name, None)
                elif sources:
                    roles[name] = Role(name=name, source=sources.pop(), first_of=role.first_of)

    def _templates(self) -> TemplateLibrary:
        directory = Path(self.settings.templates)
        if not directory.is_absolute():
            directory = self.path.parent / directory
        env = template_environment(directory if directory.is_dir() else None)
        names = (
            frozenset(p.name for p in directory.glob("*") if p.suffix in (".txt", ".html"))
            if directory.is_dir()
            else frozenset()
        )
        return TemplateLibrary(directory=directory, env=env, names=names)

    def _stream_ref(self, name: str | None, loc: Loc) -> Stream | None:
        if name is None:
            return None
        stream = self.streams.get(name)
        if stream is None:
            known = ", ".join(sorted(self.streams)) or "none: declare streams under salesforce/hubspot"
            self.error(loc, f"unknown source {name!r} (known: {known})")
        return stream

    # -- expressions and texts -------------------------------------------------------------------

    def _check_names(self, names: Iterable[str], allowed: Iterable[str], loc: Loc) -> bool:
        unknown = sorted(set(names) - set(allowed))
        for name in unknown:
            self.error(
                loc,
                f"undefined name {name!r}"
                + _suggest(name, allowed)
                + f"; available: {', '.join(sorted(allowed))}",
            )
        return not unknown

    def _check_paths(self, paths: Iterable[tuple[str, ...]], fields: tuple[str, ...], loc: Loc) -> bool:
        record = [p for p in paths if p[0] != "previous"]
        previous = [p[1:] for p in paths if p[0] == "previous" and len(p) > 1]
        unknown = unknown_record_paths(record, fields) + unknown_record_paths(previous, fields)
        for path in unknown:
            leaf = path.split(".")[0]
            self.error(
                loc,
                f"record field {path!r} is not in the stream's fields"
                + _suggest(leaf, [f.split(".")[0] for f in fields]),
            )
        return not unknown

    def _expression(self, source: str | bool, loc: Loc, fields: tuple[str, ...]) -> Expression | None:
        try:
            expr = compile_expression(self.expr_env, source)
        except ExpressionError as exc:
            self.error(loc, str(exc))
            return None
        ok = self._check_names(expr.names, CONTEXT_NAMES, loc) & self._check_paths(expr.paths, fields, loc)
        return expr if ok else None

    def _text(self, source: str, loc: Loc, fields: tuple[str, ...], allowed: Iterable[str]) -> Text | None:
        try:
            text = compile_text(self.templates.env, source)
        except ExpressionError as exc:
            self.error(loc, str(exc))
            return None
        ok = self._check_names(text.names, allowed, loc) & self._check_paths(text.paths, fields, loc)
        for role in sorted(text.roles):
            ok &= self._context_role(role, loc)
        return text if ok else None

    def _context_role(self, name: str, loc: Loc) -> bool:
        """A ``roles.NAME`` read by a text of the rule being compiled: it must be a role of its source."""
        stream = self._current_stream
        if stream is None or not self._role_ref(name, stream, loc):
            return False
        self._context_roles.add(name)
        return True

    def _template_file(self, name: str, loc: Loc, fields: tuple[str, ...]) -> frozenset[str] | None:
        """Check a named template's files; returns the roles they read (``roles.NAME``), or None if bad."""
        files = [
            f"{name}{suffix}" for suffix in (".txt", ".html") if f"{name}{suffix}" in self.templates.names
        ]
        if not files:
            self.error(
                loc,
                f"template {name!r} not found: expected {name}.txt and/or {name}.html in {self.templates.directory.name}/",
            )
            return None
        ok = True
        roles: set[str] = set()
        for filename in files:
            source = (self.templates.directory / filename).read_text(encoding="utf-8")
            try:
                ast = self.templates.env.parse(source)
                self.templates.env.get_template(filename)
            except TemplateSyntaxError as exc:
                self.error(loc, f"{filename}:{exc.lineno}: syntax error: {exc.message}")
                ok = False
                continue
            names = find_undeclared_variables(ast)
            unknown = sorted(set(names) - set(ACTION_CONTEXT_NAMES) - {"recipient"})
            for undefined in unknown:
                self.error(loc, f"{filename}: undefined name {undefined!r}")
                ok = False
            roles |= {p[0] for p in record_paths(ast, "roles")}
            paths = record_paths(ast) | {("previous", *p) for p in record_paths(ast, "previous")}
            for path in unknown_record_paths([p for p in paths if p[0] != "previous"], fields):
                self.error(loc, f"{filename}: record field {path!r} is not in the stream's fields")
                ok = False
        return frozenset(roles) if ok else None

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
                    f"unknown calendar {cfg.calendar!r}" + _suggest(cfg.calendar, self.calendars),
                )
                return None
        if cfg.field is not None and cfg.field.lower() not in {f.lower() for f in fields}:
            self.error((*loc, "field"), f"date field {cfg.field!r} is not in the stream's fields")
            return None
        return Timer(delay=cfg.delay, field=cfg.field, calendar=calendar, zone=self.timezone)

    def _rule(self, cfg: s.RuleSettings, loc: Loc) -> Rule | None:
        stream = self._stream_ref(cfg.source, (*loc, "source"))
        if stream is None:
            return None
        start = len(self.errors)
        when = self._expression(cfg.when, (*loc, "when"), stream.fields)
        unless = (
            self._expression(cfg.unless, (*loc, "unless"), stream.fields) if cfg.unless is not None else None
        )
        timer = self._timer(cfg.after, (*loc, "after"), stream.fields) if cfg.after is not None else None
        occurrence = (
            self._text(cfg.occurrence, (*loc, "occurrence"), stream.fields, CONTEXT_NAMES)
            if cfg.occurrence is not None
            else None
        )
        self._current_stream, self._context_roles = stream, set()
        actions = []
        counts: dict[str, int] = {}
        for index, action in enumerate(cfg.actions):
            ((kind, params),) = action.items()
            counts[kind] = counts.get(kind, 0) + 1
            action_id = kind if counts[kind] == 1 else f"{kind}.{counts[kind]}"
            spec = self._action(action_id, kind, params or {}, stream, (*loc, "actions", index, kind))
            if spec is not None:
                actions.append(spec)
        context_roles, self._current_stream = tuple(sorted(self._context_roles)), None
        if len(self.errors) > start or when is None:
            return None
        return Rule(
            context_roles=context_roles,
            id=cfg.id,
            stream=stream,
            when=when,
            unless=unless,
            timer=timer,
            occurrence=occurrence,
            actions=tuple(actions),
            description=cfg.description,
        )

    def _role_ref(self, name: str, stream: Stream, loc: Loc) -> bool:
        role = self.roles.get(name)
        if role is None:
            if name in self.settings.roles:
                return False  # the role itself is invalid and already reported
            self.error(loc, f"unknown role {name!r}" + _suggest(name, self.roles))
            return False
        if role.source is not None and role.source != stream.name:
            self.error(loc, f"role {name!r} reads {role.source}, but this rule's source is {stream.name}")
            return False
        return True

    def _recipients(self, entries: list[str], stream: Stream, loc: Loc) -> list[RecipientRef]:
        refs = []
        for index, entry in enumerate(entries):
            item_loc = (*loc, index)
            if "@" in entry or "{{" in entry:
                text = self._text(entry, item_loc, stream.fields, ACTION_CONTEXT_NAMES)
                if text is not None:
                    refs.append(RecipientRef(address=text))
            elif self._role_ref(entry, stream, item_loc):
                refs.append(RecipientRef(role=entry))
        return refs

    def _action(
        self, action_id: str, kind: str, raw: Mapping[str, Any], stream: Stream, loc: Loc
    ) -> ActionSpec | None:
        if kind not in CAPABILITIES[stream.crm]:
            able = sorted(CAPABILITIES[stream.crm])
            self.error(loc, f"{stream.crm} cannot {kind}; its actions are {', '.join(able)}")
            return None
        model = s.ACTION_MODELS[kind].model_validate(raw)
        names = ACTION_CONTEXT_NAMES
        params: dict[str, Any] = {}

        def text(key: str, value: str | None) -> None:
            if value is not None:
                params[key] = self._text(value, (*loc, key), stream.fields, names)

        if isinstance(model, s.EmailAction):
            params["to"] = self._recipients(model.to, stream, (*loc, "to"))
            params["cc"] = self._recipients(model.cc, stream, (*loc, "cc"))
            if model.sender is not None:
                params["sender"] = self._recipients([model.sender], stream, (*loc, "sender"))
            text("subject", model.subject)
            template_roles = self._template_file(model.template, (*loc, "template"), stream.fields)
            if template_roles is not None:
                params["template"] = model.template
                for role in sorted(template_roles):
                    self._context_role(role, (*loc, "template"))
            if model.sender is not None and model.sender in self.roles:
                self._context_roles.add(model.sender)
        elif isinstance(model, s.TaskAction):
            text("subject", model.subject)
            text("description", model.description)
            if model.owner is not None and self._role_ref(model.owner, stream, (*loc, "owner")):
                params["owner"] = model.owner
                self._context_roles.add(model.owner)
            if model.due is not None:
                params["due"] = self._timer(model.due, (*loc, "due"), stream.fields)
            for key in ("priority", "status", "type"):
                if getattr(model, key) is not None:
                    params[key] = getattr(model, key)
            params["fields"] = {
                k: self._text(v, (*loc, "fields", k), stream.fields, names) for k, v in model.fields.items()
            }
        elif isinstance(model, s.TicketAction):
            text("subject", model.subject)
            text("content", model.content)
            params["pipeline"], params["stage"] = model.pipeline, model.stage
            if model.owner is not None and self._role_ref(model.owner, stream, (*loc, "owner")):
                params["owner"] = model.owner
                self._context_roles.add(model.owner)
            params["properties"] = {
                k: self._text(v, (*loc, "properties", k), stream.fields, names)
                for k, v in model.properties.items()
            }
        elif isinstance(model, s.ChatterAction):
            text("body", model.body)
        elif isinstance(model, s.UpdateAction):
            params["fields"] = {
                k: self._text(v, (*loc, "fields", k), stream.fields, names) for k, v in model.fields.items()
            }
        return ActionSpec(id=action_id, kind=kind, target=stream.crm, params=params)
