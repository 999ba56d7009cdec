"""``create_ticket``: a support ticket in a pipeline and stage (named by label), owned by a role."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from rules.actions.base import ActionKind, CompileScope, Firing, Payload, Person, Planned
from rules.actions.registry import action_kind
from rules.expressions import Text
from rules.settings import Strict


class TicketParams(Strict):
    subject: str
    pipeline: str
    stage: str
    owner: str | None = None
    content: str | None = None
    properties: dict[str, str] = Field(default_factory=dict)


class TicketPayload(Payload):
    subject: str
    content: str | None = None
    pipeline: str
    stage: str
    owner: Person | None = None
    properties: dict[str, str | None] = Field(default_factory=dict)

    def summary(self) -> str:
        owner = f" owner {self.owner.email}" if self.owner else ""
        return f"{self.subject} ({self.pipeline} / {self.stage}){owner}"


@dataclass(frozen=True)
class CompiledTicket:
    subject: Text
    content: Text | None
    pipeline: str
    stage: str
    owner: str | None
    properties: dict[str, Text]


@action_kind
class CreateTicket(ActionKind[TicketParams, CompiledTicket]):
    """A ticket about the record."""

    name = "create_ticket"
    params = TicketParams
    payload = TicketPayload

    def compile(self, params: TicketParams, scope: CompileScope) -> CompiledTicket | None:
        subject = scope.text("subject", params.subject)
        content = scope.text("content", params.content)
        owner = scope.role("owner", params.owner)
        properties = scope.texts("properties", params.properties)
        if subject is None:
            return None
        return CompiledTicket(subject, content, params.pipeline, params.stage, owner, properties)

    def plan(self, compiled: CompiledTicket, firing: Firing) -> list[Planned]:
        payload = TicketPayload(
            related_id=firing.record_id,
            subject=firing.render(compiled.subject) or "",
            content=firing.render(compiled.content),
            pipeline=compiled.pipeline,
            stage=compiled.stage,
            owner=firing.person(compiled.owner, "ticket owner"),
            properties=firing.render_all(compiled.properties),
        )
        return [Planned(payload)]

    def example(self) -> TicketPayload:
        return TicketPayload(
            subject="NPS detractor: score 3",
            content="The customer answered 3.",
            pipeline="Customer Success",
            stage="New",
        )
