"""What an action kind is: its YAML parameters, how they compile, and how a firing plans typed payloads.

An action kind is one module in this package holding one :class:`ActionKind` subclass decorated with
:func:`rules.actions.registry.action_kind`. Nothing else names it: the compiler validates its
parameters, the planner calls its ``plan``, the ledger stores its :class:`Payload` as JSON and loads it
back with ``load``, and an adapter that declares the kind among its capabilities receives the payload.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from notifications.recipients import Recipient, Resolution, Resolver, Skipped, resolve
from notifications.rendering import Renderable, RenderedEmail, TemplateLibrary, render_email, render_text
from rules.expressions import ANY_NAME, ExpressionError, Text

if TYPE_CHECKING:
    from rules.model import RecipientRef, Rule, Stream, Timer
    from rules.settings import TimerSettings


class Payload(BaseModel):
    """Everything one CRM write needs, fully rendered when the action is planned, so a retry sends the
    very same thing. Frozen; stored in the ledger as JSON (:meth:`dump`) and loaded back by its kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    related_id: str | None = None  # the record the action writes on (by default the polled record)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def summary(self) -> str:
        """One line for people (dry runs, status)."""
        return ""


class Person(BaseModel):
    """A recipient or owner as a payload carries it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str
    user_id: str | None = None
    name: str | None = None
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, recipient: Recipient) -> Person:
        return cls(
            email=recipient.email, user_id=recipient.user_id, name=recipient.name, roles=recipient.roles
        )


class EmailContent(Payload):
    """An email as it is sent or logged: recipients, sender, subject and rendered bodies."""

    to: Person
    cc: tuple[Person, ...] = ()
    sender: Person | None = None
    subject: str
    text: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class Notice:
    """Something an admin should see in ``status`` (a skipped recipient, a failing expression)."""

    rule_id: str
    kind: str
    message: str


@dataclass(frozen=True)
class Planned:
    """One payload an action owes; ``suffix`` tells apart the actions of one spec (one per recipient)."""

    payload: Payload
    suffix: str = ""


Loc = str | tuple[str | int, ...]


class CompileScope(Protocol):
    """What the compiler offers an action kind compiling one action of a rule. Each method reports its
    own located errors (the key is relative to the action) and returns ``None`` on failure."""

    @property
    def stream(self) -> Stream: ...

    def error(self, key: Loc | None, message: str) -> None: ...

    def text(self, key: Loc, source: str | None) -> Text | None: ...

    def texts(self, key: Loc, sources: Mapping[str, str]) -> dict[str, Text]: ...

    def recipients(self, key: Loc, entries: Sequence[str]) -> tuple[RecipientRef, ...]: ...

    def role(self, key: Loc, name: str | None) -> str | None:
        """A role the action names for one person (an owner, a sender); its person is ``roles.NAME``."""
        ...

    def timer(self, key: Loc, settings: TimerSettings | None) -> Timer | None: ...

    def template(self, key: Loc, name: str) -> str | None:
        """A named email template, checked (files present, names and fields known)."""
        ...

    def channel(
        self, kind: str, allowed: frozenset[str], requested: str | None, room: str | None
    ) -> str | None:
        """Where an action of ``kind`` is delivered (a CRM's name, ``smtp``, ``slack``, ``teams``): the
        ``requested`` channel checked against the configuration, or the stream's CRM's default."""
        ...

    def carries(self, kind: str) -> bool:
        """Whether the stream's CRM carries out actions of ``kind``."""
        ...


@dataclass
class Firing:
    """One rule firing on one record, as action kinds see it while planning. Pure: no I/O, no clock."""

    rule: Rule
    record: Mapping[str, Any]
    context: Mapping[str, Any]
    resolver: Resolver
    templates: TemplateLibrary
    zone: ZoneInfo
    now: datetime
    notices: list[Notice] = field(default_factory=list)
    _emails: dict[tuple[str, str], RenderedEmail] = field(default_factory=dict, repr=False)

    @property
    def stream(self) -> Stream:
        return self.rule.stream

    @property
    def record_id(self) -> str:
        return str(self.record.get(self.stream.id_field))

    def render(self, text: Renderable | None) -> str | None:
        return render_text(text, self.context)

    def render_all(self, texts: Mapping[str, Renderable]) -> dict[str, str | None]:
        return {key: render_text(text, self.context) for key, text in texts.items()}

    def email(self, template: str, subject: Renderable, extra: Mapping[str, Any]) -> RenderedEmail:
        """The email rendered with ``extra`` (e.g. ``recipient``); rendered once per firing when
        neither the subject nor the template's files read any name in ``extra``."""
        reads = self.templates.reads(template)
        subject_reads = getattr(subject, "names", None)
        if reads is None or subject_reads is None or (reads | subject_reads) & (set(extra) | {ANY_NAME}):
            return render_email(self.templates, template, subject, {**self.context, **extra})
        key = (template, subject.source)
        if key not in self._emails:
            self._emails[key] = render_email(self.templates, template, subject, self.context)
        return self._emails[key]

    def recipients(self, refs: Sequence[RecipientRef]) -> Resolution:
        """Roles and address templates resolved to de-duplicated recipients (roles resolve once)."""
        addresses: list[str] = []
        for ref in refs:
            if ref.address is not None:
                addresses.extend(ref.address.render(self.context).replace(";", ",").split(","))
        return resolve(self.resolver, [r.role for r in refs if r.role], addresses)

    def person(self, role: str | None, what: str) -> Person | None:
        """The one person a role names; a role that finds nobody is a notice, not a failure."""
        if role is None:
            return None
        found = self.resolver.first(role)
        if isinstance(found, Skipped):
            self.notices.append(
                Notice(self.rule.id, "skipped_recipient", f"{what} {found.role}: {found.reason}")
            )
            return None
        return Person.of(found)

    def due(self, timer: Timer) -> datetime:
        """When a ``{field, delay}`` (or plain delay, from now) falls due for this record."""
        anchor = timer.anchor(self.record) if timer.field else self.now
        if anchor is None:
            raise ExpressionError(f"the due date needs {timer.field}, which is empty")
        return timer.due(anchor)


ParamsT = TypeVar("ParamsT", bound=BaseModel)
CompiledT = TypeVar("CompiledT")


class ActionKind(ABC, Generic[ParamsT, CompiledT]):
    """One kind of action (``notify``, ``create_task``...): YAML parameters in, typed payloads out."""

    name: ClassVar[str]
    params: ClassVar[type[BaseModel]]  # the YAML shape, strict (an unknown key is an error)
    payload: ClassVar[type[Payload]]
    #: The channels it can be delivered by (``crm``, ``smtp``, ``slack``, ``teams``); empty: its CRM only.
    channels: ClassVar[frozenset[str]] = frozenset()
    #: ``False`` for a kind crm-sync owes by itself (``log_email``), never written in a rule.
    in_rules: ClassVar[bool] = True

    @abstractmethod
    def compile(self, params: ParamsT, scope: CompileScope) -> CompiledT | None:
        """Compile validated parameters (texts, recipients, timers); ``None`` after reporting errors."""

    def alerts(self, compiled: CompiledT, firing: Firing) -> Sequence[Resolution]:
        """The people this action emails, resolved before any text renders so every text of the firing
        can name them (``recipients``, ``skipped``). Most kinds alert nobody."""
        return ()

    def target(self, compiled: CompiledT) -> str | None:
        """Where a compiled action is delivered when not by the stream's CRM (a channel's name)."""
        return None

    def follow_ups(self, payload: Payload) -> list[tuple[str, str, Payload]]:
        """What a delivered action owes next, as ``(target, kind, payload)`` (e.g. an email sent by SMTP
        logged in the CRM); added to the ledger, keyed ``KEY:KIND``, with the delivery's result."""
        return []

    @abstractmethod
    def plan(self, compiled: CompiledT, firing: Firing) -> list[Planned]:
        """The payloads one firing owes; raises ``ExpressionError`` when a text cannot render."""

    @abstractmethod
    def example(self) -> Payload:
        """A valid payload, for adapter conformance tests."""

    def load(self, stored: Mapping[str, Any]) -> Payload:
        """A payload from its ledger JSON (rows stored by earlier versions keep loading)."""
        return self.payload.model_validate(dict(stored))
