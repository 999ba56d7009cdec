"""``notify`` (an email to staff) and ``send_email`` (an email to a customer): one email per recipient,
so one bad address never blocks the others.

``channel`` says how it goes: ``crm`` (the CRM's own email), ``smtp`` (the ``email:`` section's server)
or, for ``notify`` only, ``slack`` / ``teams`` (one short message with the record link to a ``room`` of the
``chat:`` section). A ``send_email`` sent by SMTP is then logged in the CRM (``log_email``) so the
record's timeline shows what went out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from notifications.recipients import Resolution
from rules.actions.base import ActionKind, CompileScope, EmailContent, Firing, Payload, Person, Planned
from rules.actions.log_email import LogEmail, LogEmailPayload
from rules.actions.registry import action_kind
from rules.expressions import Text
from rules.model import RecipientRef
from rules.settings import Strict


class EmailParams(Strict):
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    sender: str | None = None
    subject: str
    template: str | None = None
    channel: Literal["crm", "smtp", "slack", "teams"] | None = None
    room: str | None = None


class EmailPayload(EmailContent):
    log_in: str | None = None  # sent by SMTP: the CRM it is logged in afterwards (``log_email``)

    def summary(self) -> str:
        return f"to {self.to.email}: {self.subject}"


class ChatPayload(Payload):
    """A short chat message (``notify`` with ``channel: slack|teams``): the subject and the record link."""

    room: str
    subject: str
    link: str | None = None

    def summary(self) -> str:
        return f"to room {self.room}: {self.subject}"


@dataclass(frozen=True)
class CompiledEmail:
    to: tuple[RecipientRef, ...]
    cc: tuple[RecipientRef, ...]
    sender: tuple[RecipientRef, ...]
    subject: Text
    template: str
    target: str | None = None  # a channel's name; None: the stream's CRM
    room: str | None = None
    log_in: str | None = None


class _Email(ActionKind[EmailParams, CompiledEmail]):
    params = EmailParams
    payload = EmailPayload
    channels: ClassVar[frozenset[str]] = frozenset({"crm", "smtp"})
    logged: ClassVar[bool] = False  # sent by SMTP, it is logged in the CRM

    def compile(self, params: EmailParams, scope: CompileScope) -> CompiledEmail | None:
        target = scope.channel(self.name, self.channels, params.channel, params.room)
        if target is None:
            return None
        own = target not in ("smtp", "slack", "teams")
        if params.room is not None:  # a chat message: its subject and the record link, to the room
            extra = [k for k in ("to", "cc", "sender", "template") if getattr(params, k)]
            for key in extra:
                scope.error(key, f"a {target} message goes to its room: {key} is for emails")
            subject = scope.text("subject", params.subject)
            if subject is None or extra:
                return None
            return CompiledEmail((), (), (), subject, "", target, params.room)
        if not params.to:
            scope.error("to", "required key is missing")
        if params.template is None:
            scope.error("template", "required key is missing")
            return None
        to = scope.recipients("to", params.to)
        cc = scope.recipients("cc", params.cc)
        sender = scope.recipients("sender", [params.sender]) if params.sender is not None else ()
        if sender and sender[0].role is not None:
            scope.role("sender", sender[0].role)  # its person is ``roles.NAME`` in texts
        subject = scope.text("subject", params.subject)
        template = scope.template("template", params.template)
        if subject is None or template is None or not params.to:
            return None
        log_in = scope.stream.crm if target == "smtp" and self.logged and scope.carries("log_email") else None
        return CompiledEmail(to, cc, sender, subject, template, None if own else target, params.room, log_in)

    def target(self, compiled: CompiledEmail) -> str | None:
        return compiled.target

    def load(self, stored: Mapping[str, Any]) -> Payload:
        if "room" in stored:
            return ChatPayload.model_validate(dict(stored))
        return super().load(stored)

    def follow_ups(self, payload: Payload) -> list[tuple[str, str, Payload]]:
        if not isinstance(payload, EmailPayload) or payload.log_in is None:
            return []
        logged = LogEmailPayload(
            related_id=payload.related_id,
            to=payload.to,
            cc=payload.cc,
            sender=payload.sender,
            subject=payload.subject,
            text=payload.text,
            html=payload.html,
        )
        return [(payload.log_in, LogEmail.name, logged)]

    def alerts(self, compiled: CompiledEmail, firing: Firing) -> Sequence[Resolution]:
        if compiled.room is not None:
            return ()
        return (firing.recipients(compiled.to), firing.recipients(compiled.cc))

    def plan(self, compiled: CompiledEmail, firing: Firing) -> list[Planned]:
        if compiled.room is not None:  # a chat message: one per firing, to the room
            subject = firing.render(compiled.subject) or ""
            link = firing.context.get("record_url")
            return [
                Planned(
                    ChatPayload(related_id=firing.record_id, room=compiled.room, subject=subject, link=link)
                )
            ]
        to, cc = self.alerts(compiled, firing)  # roles resolve once per firing: the same people again
        sender = None
        if compiled.sender:
            found = firing.recipients(compiled.sender).recipients
            sender = Person.of(found[0]) if found else None
        to_ids = {t.identity for t in to.recipients}
        cc_people = tuple(Person.of(c) for c in cc.recipients if c.identity not in to_ids)
        planned = []
        for person in to.recipients:
            email = firing.email(compiled.template, compiled.subject, {"recipient": person.as_dict()})
            payload = EmailPayload(
                related_id=firing.record_id,
                to=Person.of(person),
                cc=cc_people,
                sender=sender,
                subject=email.subject,
                text=email.text,
                html=email.html,
                log_in=compiled.log_in,
            )
            planned.append(Planned(payload, suffix=f":{person.identity}"))
        return planned

    def example(self) -> EmailPayload:
        return EmailPayload(
            to=Person(email="rd@example.com", name="Rae Director"),
            subject="SLI submitted",
            text="An SLI was submitted.",
            html="<p>An SLI was submitted.</p>",
        )


@action_kind
class Notify(_Email):
    """An email to staff (internal notification)."""

    name = "notify"
    channels: ClassVar[frozenset[str]] = frozenset({"crm", "smtp", "slack", "teams"})


@action_kind
class SendEmail(_Email):
    """An email to a customer."""

    name = "send_email"
    logged: ClassVar[bool] = True
