"""``notify`` (an email to staff) and ``send_email`` (an email to a customer): one email per recipient,
so one bad address never blocks the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import Field

from notifications.recipients import Resolution
from rules.actions.base import ActionKind, CompileScope, Firing, Payload, Person, Planned
from rules.actions.registry import action_kind
from rules.expressions import Text
from rules.model import RecipientRef
from rules.settings import Strict


class EmailParams(Strict):
    to: list[str] = Field(min_length=1)
    cc: list[str] = Field(default_factory=list)
    sender: str | None = None
    subject: str
    template: str


class EmailPayload(Payload):
    to: Person
    cc: tuple[Person, ...] = ()
    sender: Person | None = None
    subject: str
    text: str | None = None
    html: str | None = None

    def summary(self) -> str:
        return f"to {self.to.email}: {self.subject}"


@dataclass(frozen=True)
class CompiledEmail:
    to: tuple[RecipientRef, ...]
    cc: tuple[RecipientRef, ...]
    sender: tuple[RecipientRef, ...]
    subject: Text
    template: str


class _Email(ActionKind[EmailParams, CompiledEmail]):
    params = EmailParams
    payload = EmailPayload

    def compile(self, params: EmailParams, scope: CompileScope) -> CompiledEmail | None:
        to = scope.recipients("to", params.to)
        cc = scope.recipients("cc", params.cc)
        sender = scope.recipients("sender", [params.sender]) if params.sender is not None else ()
        if sender and sender[0].role is not None:
            scope.role("sender", sender[0].role)  # its person is ``roles.NAME`` in texts
        subject = scope.text("subject", params.subject)
        template = scope.template("template", params.template)
        if subject is None or template is None:
            return None
        return CompiledEmail(to, cc, sender, subject, template)

    def alerts(self, compiled: CompiledEmail, firing: Firing) -> Sequence[Resolution]:
        return (firing.recipients(compiled.to), firing.recipients(compiled.cc))

    def plan(self, compiled: CompiledEmail, firing: Firing) -> list[Planned]:
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


@action_kind
class SendEmail(_Email):
    """An email to a customer."""

    name = "send_email"
