"""``post_chatter``: a post on the record's feed."""

from __future__ import annotations

from dataclasses import dataclass

from rules.actions.base import ActionKind, CompileScope, Firing, Payload, Planned
from rules.actions.registry import action_kind
from rules.expressions import Text
from rules.settings import Strict


class ChatterParams(Strict):
    body: str


class ChatterPayload(Payload):
    body: str

    def summary(self) -> str:
        return self.body


@dataclass(frozen=True)
class CompiledChatter:
    body: Text


@action_kind
class PostChatter(ActionKind[ChatterParams, CompiledChatter]):
    """A feed post on the record."""

    name = "post_chatter"
    params = ChatterParams
    payload = ChatterPayload

    def compile(self, params: ChatterParams, scope: CompileScope) -> CompiledChatter | None:
        body = scope.text("body", params.body)
        return CompiledChatter(body) if body is not None else None

    def plan(self, compiled: CompiledChatter, firing: Firing) -> list[Planned]:
        return [Planned(ChatterPayload(related_id=firing.record_id, body=firing.render(compiled.body) or ""))]

    def example(self) -> ChatterPayload:
        return ChatterPayload(body="SLI submitted: the Regional Director and the client team were alerted.")
