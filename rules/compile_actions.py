"""Compiling the ``actions`` of a rule: each action's kind (from the registry) validates and compiles
its parameters through a :class:`~rules.actions.base.CompileScope`, after the CRM of the rule's
source has been asked whether it carries that kind out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rules import settings as s
from rules.actions.registry import kinds
from rules.expressions import ACTION_CONTEXT_NAMES, Text
from rules.model import ActionSpec, RecipientRef, Role, Stream, Timer
from rules.platform import Profiles
from rules.source import Loc
from rules.text_checks import TextChecker
from rules.validation import suggest

TimerCompiler = Callable[[s.TimerSettings, Loc, tuple[str, ...]], Timer | None]


class ActionCompiler:
    """Compiles the actions of each rule; remembers which roles a rule's texts read (``roles.NAME``)."""

    def __init__(
        self,
        texts: TextChecker,
        roles: Mapping[str, Role],
        role_settings: Mapping[str, s.RoleSettings],
        timer: TimerCompiler,
        crms: Profiles,
        settings: s.Settings | None = None,
    ) -> None:
        self.texts = texts
        self.roles = roles
        self.role_settings = role_settings
        self.compile_timer = timer
        self.crms = crms
        self.settings = settings or s.Settings()

    def compile(
        self, stream: Stream, actions: Sequence[Mapping[str, Any]], loc: Loc
    ) -> tuple[tuple[ActionSpec, ...], tuple[str, ...]]:
        known = kinds()
        capabilities = self.crms[stream.crm].capabilities
        specs: list[ActionSpec] = []
        context_roles: set[str] = set()
        counts: dict[str, int] = {}
        for index, action in enumerate(actions):
            ((name, params),) = action.items()
            counts[name] = counts.get(name, 0) + 1
            action_id = name if counts[name] == 1 else f"{name}.{counts[name]}"
            at: Loc = (*loc, index, name)
            kind = known[name]
            if not kind.in_rules:
                self.texts.error(
                    at, f"{name} is not a rule action: crm-sync owes it by itself (see its kind)"
                )
                continue
            if name not in capabilities and not kind.channels:
                offered = sorted(c for c in capabilities if c not in known or known[c].in_rules)
                self.texts.error(at, f"{stream.crm} cannot {name}; its actions are {', '.join(offered)}")
                continue
            scope = _Scope(self, stream, at, context_roles)
            compiled = kind.compile(kind.params.model_validate(params or {}), scope)
            if compiled is not None:
                target = kind.target(compiled) or stream.crm
                specs.append(ActionSpec(id=action_id, kind=kind, target=target, compiled=compiled))
        return tuple(specs), tuple(sorted(context_roles))

    def role_ref(self, name: str, stream: Stream, loc: Loc) -> bool:
        role = self.roles.get(name)
        if role is None:
            if name not in self.role_settings:  # else the role itself is invalid and already reported
                self.texts.error(loc, f"unknown role {name!r}" + suggest(name, self.roles))
            return False
        if role.source is not None and role.source != stream.name:
            self.texts.error(
                loc, f"role {name!r} reads {role.source}, but this rule's source is {stream.name}"
            )
            return False
        return True

    def channel(
        self,
        kind: str,
        allowed: frozenset[str],
        requested: str | None,
        room: str | None,
        stream: Stream,
        loc: Loc,
    ) -> str | None:
        """The delivery target of an action of ``kind`` (a CRM's name, ``smtp``, ``slack``, ``teams``):
        the one ``requested`` if it is configured, else the default for the stream's CRM."""
        profile = self.crms[stream.crm]
        can = kind in profile.capabilities
        email = self.settings.email is not None
        where: Loc = (*loc, "channel")
        if requested is None:
            if email and (getattr(profile, "email_channel", "crm") == "smtp" or not can):
                requested = "smtp"
            elif can:
                requested = "crm"
            else:
                self.texts.error(
                    loc, f"{stream.crm} cannot {kind} and there is no email: section for channel smtp"
                )
                return None
        if requested not in allowed:
            self.texts.error(
                where, f"{kind} cannot go by {requested}; its channels are {', '.join(sorted(allowed))}"
            )
            return None
        if room is not None and requested not in s.CHAT_SERVICES:
            self.texts.error((*loc, "room"), f"a room is for channel slack or teams, not {requested}")
            return None
        if requested == "crm":
            if not can:
                self.texts.error(
                    where, f"{stream.crm} cannot {kind}; choose channel smtp (with an email: section)"
                )
                return None
            return stream.crm
        if requested == "smtp":
            if not email:
                self.texts.error(where, "channel smtp needs an email: section (host, port, from_address...)")
                return None
            return requested
        rooms = self.settings.chat.rooms(requested) if self.settings.chat is not None else {}
        if room is None:
            self.texts.error(
                where, f"channel {requested} needs a room (one of chat.{requested} in this config)"
            )
            return None
        if room not in rooms:
            known = ", ".join(sorted(rooms)) or "none"
            self.texts.error(
                (*loc, "room"),
                f"unknown {requested} room {room!r} (chat.{requested} has: {known})" + suggest(room, rooms),
            )
            return None
        return requested


class _Scope:
    """The :class:`~rules.actions.base.CompileScope` of one action."""

    def __init__(self, compiler: ActionCompiler, stream: Stream, loc: Loc, context_roles: set[str]) -> None:
        self._compiler = compiler
        self._stream = stream
        self._loc = loc
        self._context_roles = context_roles

    @property
    def stream(self) -> Stream:
        return self._stream

    def _at(self, key: str | tuple[str | int, ...] | None) -> Loc:
        if key is None:
            return self._loc
        return (*self._loc, *((key,) if isinstance(key, str) else key))

    def error(self, key: str | tuple[str | int, ...] | None, message: str) -> None:
        self._compiler.texts.error(self._at(key), message)

    def _context_role(self, name: str, loc: Loc) -> bool:
        if not self._compiler.role_ref(name, self._stream, loc):
            return False
        self._context_roles.add(name)
        return True

    def text(self, key: str | tuple[str | int, ...], source: str | None) -> Text | None:
        if source is None:
            return None
        loc = self._at(key)
        text = self._compiler.texts.text(source, loc, self._stream.fields, ACTION_CONTEXT_NAMES)
        if text is None:
            return None
        ok = True
        for role in sorted(text.roles):
            ok &= self._context_role(role, loc)
        return text if ok else None

    def texts(self, key: str | tuple[str | int, ...], sources: Mapping[str, str]) -> dict[str, Text]:
        base = (key,) if isinstance(key, str) else key
        compiled = {name: self.text((*base, name), source) for name, source in sources.items()}
        return {name: text for name, text in compiled.items() if text is not None}

    def recipients(
        self, key: str | tuple[str | int, ...], entries: Sequence[str]
    ) -> tuple[RecipientRef, ...]:
        base = (key,) if isinstance(key, str) else key
        refs = []
        for index, entry in enumerate(entries):
            if "@" in entry or "{{" in entry:
                text = self.text((*base, index), entry)
                if text is not None:
                    refs.append(RecipientRef(address=text))
            elif self._compiler.role_ref(entry, self._stream, self._at((*base, index))):
                refs.append(RecipientRef(role=entry))
        return tuple(refs)

    def role(self, key: str | tuple[str | int, ...], name: str | None) -> str | None:
        if name is None:
            return None
        return name if self._context_role(name, self._at(key)) else None

    def timer(self, key: str | tuple[str | int, ...], settings: s.TimerSettings | None) -> Timer | None:
        if settings is None:
            return None
        return self._compiler.compile_timer(settings, self._at(key), self._stream.fields)

    def channel(
        self, kind: str, allowed: frozenset[str], requested: str | None, room: str | None
    ) -> str | None:
        return self._compiler.channel(kind, allowed, requested, room, self._stream, self._loc)

    def carries(self, kind: str) -> bool:
        return kind in self._compiler.crms[self._stream.crm].capabilities

    def template(self, key: str | tuple[str | int, ...], name: str) -> str | None:
        loc = self._at(key)
        roles = self._compiler.texts.template_file(name, loc, self._stream.fields)
        if roles is None:
            return None
        for role in sorted(roles):
            self._context_role(role, loc)
        return name
